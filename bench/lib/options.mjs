// npm run bench -- [--hosts 2,10,50,200] [--runs 3] [--tools ansible,mitogen,xivo-ha] [--cases a,b,c] [--full] [--no-install]

import { parseArgs } from 'node:util';
import { ALL_TOOLS, CASES } from './schedule.mjs';

export const USAGE = `usage: npm run bench -- [options]
  --hosts LIST    host counts (default 2,10,50,200; above 10 only xivo-ha runs unless --full)
  --runs N        runs per case at N <= 10 hosts (default 3; one run above 10)
  --tools LIST    ansible,mitogen,xivo-ha (default all three)
  --cases LIST    a,b,c: (a) first apply, (b) no-op apply, (c) dry run with diff after drift (default all)
  --full          lift the time budget: every tool at every count up to 50 (about 45 min)
  --no-floor      skip the SSH floor measurements
  --no-install    do not apt-get install missing packages
  -h, --help`;

function list(value, allowed, name) {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item)) throw new Error(`--${name}: unknown value '${item}' (one of ${allowed.join(', ')})`);
  return items;
}

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string', default: '2,10,50,200' },
      runs: { type: 'string', default: '3' },
      tools: { type: 'string', default: ALL_TOOLS.join(',') },
      cases: { type: 'string', default: CASES.join(',') },
      full: { type: 'boolean', default: false },
      'no-floor': { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const hosts = values.hosts.split(',').map((s) => Number(s.trim()));
  for (const n of hosts) if (!Number.isInteger(n) || n < 1 || n > 250) throw new Error(`--hosts: ${n} is not a host count between 1 and 250 (addresses 127.0.0.2…127.0.0.251)`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: '${values.runs}' is not a positive integer`);
  return {
    help: values.help,
    hosts: [...new Set(hosts)].sort((a, b) => a - b),
    runs,
    tools: list(values.tools, ALL_TOOLS, 'tools'),
    cases: CASES.filter((c) => list(values.cases, CASES, 'cases').includes(c)),
    full: values.full,
    floor: !values['no-floor'],
    install: !values['no-install'],
  };
}
