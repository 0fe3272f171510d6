// npm run bench -- [--hosts lab,2,10,50,200] [--runs 3] [--tools ansible,mitogen,xivo-ha] [--cases a,b,c] [--budget 20 | --full] [--inherit-env] [--no-install]

import { parseArgs } from 'node:util';
import { ALL_TOOLS, CASES } from './schedule.mjs';

/** The --hosts value for the lab's 2-node real case (bench/lib/targets.mjs). */
export const LAB = 'lab';

/** The bound on the whole default bench. */
export const DEFAULT_BUDGET_MINUTES = 20;

export const USAGE = `usage: npm run bench -- [options]
  --hosts LIST    host counts (default lab,2,10,50,200; above 10 only xivo-ha runs unless
                  --full); 'lab': the 2 nodes of lab instance 6 (real systemd, sshd, network)
  --runs N        runs per case at N <= 10 hosts (default 3; one run above 10)
  --tools LIST    ansible,mitogen,xivo-ha (default all three)
  --cases LIST    a,b,c: (a) first apply, (b) no-op apply, (c) dry run with diff after drift (default all)
  --budget MIN    time budget in minutes (default 20): runs 2 and 3 of the costliest tools
                  are dropped, and said so, when the measured costs project past it
  --full          no time budget, and every tool at every count up to 50 (about 45 min
                  on a quiet machine, far more on a loaded one)
  --no-floor      skip the SSH floor measurements
  --inherit-env   time the tools in this shell's environment, not a root login's on stock
                  Debian (PATH, HOME, SHELL, USER, LOGNAME, LANG)
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
      hosts: { type: 'string', default: `${LAB},2,10,50,200` },
      runs: { type: 'string', default: '3' },
      tools: { type: 'string', default: ALL_TOOLS.join(',') },
      cases: { type: 'string', default: CASES.join(',') },
      budget: { type: 'string' },
      full: { type: 'boolean', default: false },
      'no-floor': { type: 'boolean', default: false },
      'inherit-env': { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const hosts = values.hosts.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    if (s === LAB) return LAB;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1 || n > 250) throw new Error(`--hosts: '${s}' is neither '${LAB}' nor a host count between 1 and 250 (addresses 127.0.0.2…127.0.0.251)`);
    return n;
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: '${values.runs}' is not a positive integer`);
  if (values.full && values.budget !== undefined) throw new Error('--budget: --full runs the whole schedule, with no budget; give one or the other');
  const budgetMinutes = values.full ? undefined : Number(values.budget ?? DEFAULT_BUDGET_MINUTES);
  if (budgetMinutes !== undefined && !(budgetMinutes > 0)) throw new Error(`--budget: '${values.budget}' is not a positive number of minutes`);
  return {
    help: values.help,
    budgetMinutes,
    // The lab first (its 2 real nodes), then the loopback counts, smallest first.
    hosts: [...new Set(hosts)].sort((a, b) => (a === LAB ? -1 : b === LAB ? 1 : a - b)),
    runs,
    tools: list(values.tools, ALL_TOOLS, 'tools'),
    cases: CASES.filter((c) => list(values.cases, CASES, 'cases').includes(c)),
    full: values.full,
    floor: !values['no-floor'],
    inheritEnv: values['inherit-env'],
    install: !values['no-install'],
  };
}
