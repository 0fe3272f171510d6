// npm run bench:replication (docs/bench-replication.md says what and why).
// Local PostgreSQL 15 clusters: two masters with the same large generated
// configuration, one of them also with a million CEL rows of history, and a
// slave. xivo-ha-replicate --only db is timed from the first (case 1) and the
// second (case 2), runs alternating; the 2016 pipeline with nothing excluded is
// timed for contrast (case 3). Every run is checked by
// table checksums. Writes bench/results/replication-<date>.{md,json}.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PG_BIN } from '../../test/helpers/pg-cluster.js';
import { dump2016Once, replicateOnce, type RunTiming } from './cases.js';
import { checksums, differingTables, publicTables, totalRows, type Checksums } from './checksums.js';
import { stopAll } from './cleanup.js';
import { OptionError, USAGE, parseOptions, type BenchOptions } from './options.js';
import { describeMachine, formatSeconds, renderReport, type BenchResults, type CaseResult } from './report.js';
import {
  EXCLUDED, HISTORY_TABLES, ROOT, SCRATCH_DB, clearHistory, copyMaster, generateConfig, generateHistory, masterSizes, prepareNodes, prepareScratch, startNodes, type Nodes,
} from './setup.js';

const log = (text: string): void => {
  process.stderr.write(`bench:replication: ${text}\n`);
};

class VerificationError extends Error {}

function assertSame(what: string, expected: Checksums, actual: Checksums): void {
  const differing = differingTables(expected, actual);
  if (differing.length > 0) throw new VerificationError(`${what}: tables differ: ${differing.join(', ')}`);
}

async function timedRun(label: string, once: () => Promise<RunTiming>, check: () => void): Promise<RunTiming> {
  const timing = await once();
  check();
  log(`${label}: ${formatSeconds(timing.seconds)} s${timing.dbSeconds === undefined ? '' : ` (DB step ${formatSeconds(timing.dbSeconds)} s)`}, checksums equal`);
  return timing;
}

async function bench(opts: BenchOptions, argv: readonly string[]): Promise<BenchResults> {
  const t0 = process.hrtime.bigint();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const machine = describeMachine(PG_BIN);
  log('starting three PostgreSQL clusters (two masters, one slave) and loading the fixture');
  const nodes: Nodes = await startNodes();
  prepareNodes(nodes);
  const { bare, loaded, slave } = nodes;

  log(`generating the configuration of ${opts.users} users (seed ${opts.seed}) and copying it to the second master`);
  const generateConfigSeconds = generateConfig(bare.cluster, opts.users, opts.seed);
  clearHistory(bare.cluster);
  copyMaster(bare, loaded);
  const replicated = publicTables(bare.cluster).filter((t) => !EXCLUDED.includes(t));
  const masterConfig = checksums(bare.cluster, replicated);
  assertSame('the two masters', masterConfig, checksums(loaded.cluster, replicated));

  log(`generating ${opts.celRows} CEL rows of history on the loaded master (with call_log and queue_log)`);
  const generateHistorySeconds = generateHistory(loaded.cluster, opts.celRows, opts.users, opts.seed);
  const history = checksums(loaded.cluster, HISTORY_TABLES);
  const rowsOf = (t: string): number => Number(history.get(t)?.split(':')[0] ?? 0);

  const slaveOwn = EXCLUDED.filter((t) => publicTables(slave).includes(t));
  const slaveOwnBefore = checksums(slave, slaveOwn);
  const checkReplica = (): void => {
    assertSame('master and slave after replication', masterConfig, checksums(slave, replicated));
    assertSame("the slave's own excluded tables", slaveOwnBefore, checksums(slave, slaveOwn));
  };
  const verifiedReplica = `the ${replicated.length} replicated tables have equal checksums on master and slave; the slave's ${slaveOwn.length} excluded tables (its own cel, call_log, queue_log, netiface, infos…) are unchanged`;

  log('first replication from each master (not timed: the first replaces the fixture configuration on the slave)');
  for (const m of [bare, loaded]) {
    await replicateOnce(m, nodes);
    checkReplica();
  }
  // Alternating 1 2, 2 1, 1 2 …: drift in the machine's load falls on both cases alike.
  const one: RunTiming[] = [];
  const two: RunTiming[] = [];
  for (let i = 1; i <= opts.runs; i++) {
    const order = i % 2 ? (['1', '2'] as const) : (['2', '1'] as const);
    for (const id of order) {
      const [master, runs] = id === '1' ? [bare, one] : [loaded, two];
      runs.push(await timedRun(`case ${id}, run ${i}/${opts.runs}`, () => replicateOnce(master, nodes), checkReplica));
    }
  }
  const cases: CaseResult[] = [
    { id: '1', label: 'configuration, no history (`xivo-ha-replicate --only db`)', runs: one, verified: verifiedReplica },
    { id: '2', label: `the same configuration + ${rowsOf('cel').toLocaleString('en-US')} CEL rows, excluded (\`xivo-ha-replicate --only db\`)`, runs: two, verified: verifiedReplica },
  ];

  if (opts.runs2016 > 0) {
    log('case 3: the 2016 pipeline with nothing excluded, from the loaded master into a throw-away database');
    prepareScratch(nodes);
    const all = publicTables(loaded.cluster);
    const masterAll = checksums(loaded.cluster, all);
    const check2016 = (): void => assertSame('master and the 2016-style copy', masterAll, checksums(slave, all, SCRATCH_DB));
    const runs: RunTiming[] = [];
    for (let i = 1; i <= opts.runs2016; i++) runs.push(await timedRun(`case 3, run ${i}/${opts.runs2016}`, () => dump2016Once(nodes, all), check2016));
    for (const r of runs) r.rows = totalRows(masterAll);
    cases.push({ id: '3', label: 'contrast: everything, CEL included (the 2016 pipeline, `pg_dump --data-only --schema=public` piped to `psql`, nothing excluded)', runs, verified: `all ${all.length} public tables, cel included, have equal checksums on the master and in the throw-away database` });
  }

  const sizes = masterSizes(loaded.cluster);
  return {
    date,
    machine,
    options: ['npm run bench:replication', ...(argv.length ? ['--', ...argv] : [])].join(' '),
    dataset: {
      users: opts.users, seed: opts.seed, replicatedTables: replicated.length, configRows: totalRows(masterConfig),
      celRows: rowsOf('cel'), callLogRows: rowsOf('call_log'), queueLogRows: rowsOf('queue_log'),
      replicatedBytes: sizes.replicatedBytes, excludedBytes: sizes.excludedBytes, generateConfigSeconds, generateHistorySeconds,
    },
    cases,
    totalSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    process.stderr.write(`bench:replication: ${err.message}\n${USAGE}\n`);
    return 1;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:replication: run as root: it starts PostgreSQL clusters as the postgres OS user and runs xivo-ha-replicate as the master would\n');
    return 1;
  }
  try {
    const results = await bench(opts, argv);
    const report = renderReport(results);
    const dir = join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const base = join(dir, `replication-${results.date.replace(/:/g, '-')}`);
    writeFileSync(`${base}.md`, report);
    writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(report);
    log(`report written to ${base}.md`);
    return 0;
  } catch (err) {
    const what = err instanceof VerificationError ? 'verification failed' : 'failed';
    process.stderr.write(`bench:replication: ${what}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    log('stopping the clusters');
    await stopAll();
  }
}
