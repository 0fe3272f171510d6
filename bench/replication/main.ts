// npm run bench:replication (docs/bench-replication.md says what and why).
// Two local PostgreSQL 15 clusters; the master gets a large generated
// configuration; xivo-ha-replicate --only db is timed without history (case 1),
// with a million CEL rows of excluded history (case 2), and the 2016 pipeline
// with nothing excluded is timed for contrast (case 3). Every run is checked by
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
  EXCLUDED, HISTORY_TABLES, ROOT, SCRATCH_DB, clearHistory, generateConfig, generateHistory, masterSizes, prepareNodes, prepareScratch, startPair, type Pair,
} from './setup.js';

const log = (text: string): void => {
  process.stderr.write(`bench:replication: ${text}\n`);
};

class VerificationError extends Error {}

function assertSame(what: string, expected: Checksums, actual: Checksums): void {
  const differing = differingTables(expected, actual);
  if (differing.length > 0) throw new VerificationError(`${what}: tables differ: ${differing.join(', ')}`);
}

async function timeRuns(label: string, runs: number, once: () => Promise<RunTiming>, check: () => void): Promise<RunTiming[]> {
  const timings: RunTiming[] = [];
  for (let i = 1; i <= runs; i++) {
    const timing = await once();
    check();
    timings.push(timing);
    log(`${label}, run ${i}/${runs}: ${formatSeconds(timing.seconds)} s${timing.dbSeconds === undefined ? '' : ` (DB step ${formatSeconds(timing.dbSeconds)} s)`}, checksums equal`);
  }
  return timings;
}

async function bench(opts: BenchOptions, argv: readonly string[]): Promise<BenchResults> {
  const t0 = process.hrtime.bigint();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const machine = describeMachine(PG_BIN);
  log('starting two PostgreSQL clusters and loading the fixture');
  const pair: Pair = await startPair();
  prepareNodes(pair);
  const { master, slave } = pair;

  log(`generating the configuration of ${opts.users} users (seed ${opts.seed})`);
  const generateConfigSeconds = generateConfig(master, opts.users, opts.seed);
  clearHistory(master);
  const replicated = publicTables(master).filter((t) => !EXCLUDED.includes(t));
  const masterConfig = checksums(master, replicated);
  const slaveOwn = EXCLUDED.filter((t) => publicTables(slave).includes(t));
  const slaveOwnBefore = checksums(slave, slaveOwn);
  const checkReplica = (): void => {
    assertSame('master and slave after replication', masterConfig, checksums(slave, replicated));
    assertSame("the slave's own excluded tables", slaveOwnBefore, checksums(slave, slaveOwn));
  };
  const verifiedReplica = `the ${replicated.length} replicated tables have equal checksums on master and slave; the slave's ${slaveOwn.length} excluded tables (its own cel, call_log, queue_log, netiface, infos…) are unchanged`;

  log('first replication (not timed: it replaces the fixture configuration on the slave)');
  await replicateOnce(pair);
  checkReplica();
  await replicateOnce(pair); // warm-up: caches and the python bytecode, as the hourly timer would find them
  const cases: CaseResult[] = [];
  cases.push({ id: '1', label: 'configuration, no history (`xivo-ha-replicate --only db`)', runs: await timeRuns('case 1', opts.runs, () => replicateOnce(pair), checkReplica), verified: verifiedReplica });

  log(`generating ${opts.celRows} CEL rows of history on the master (with call_log and queue_log)`);
  const generateHistorySeconds = generateHistory(master, opts.celRows, opts.users, opts.seed);
  const history = checksums(master, HISTORY_TABLES);
  const rowsOf = (t: string): number => Number(history.get(t)?.split(':')[0] ?? 0);
  await replicateOnce(pair); // warm-up after the load, like case 1's
  checkReplica();
  cases.push({ id: '2', label: `configuration + ${rowsOf('cel').toLocaleString('en-US')} CEL rows, excluded (\`xivo-ha-replicate --only db\`)`, runs: await timeRuns('case 2', opts.runs, () => replicateOnce(pair), checkReplica), verified: verifiedReplica });

  if (opts.runs2016 > 0) {
    log('case 3: the 2016 pipeline with nothing excluded, into a throw-away database');
    prepareScratch(pair);
    const all = publicTables(master);
    const masterAll = checksums(master, all);
    const check2016 = (): void => assertSame('master and the 2016-style copy', masterAll, checksums(slave, all, SCRATCH_DB));
    const runs = await timeRuns('case 3', opts.runs2016, () => dump2016Once(pair, all), check2016);
    for (const r of runs) r.rows = totalRows(masterAll);
    cases.push({ id: '3', label: 'contrast: everything, CEL included (2016 pipeline: `pg_dump --data-only --schema=public | psql`, nothing excluded)', runs, verified: `all ${all.length} public tables, cel included, have equal checksums on the master and in the throw-away database` });
  }

  const sizes = masterSizes(master);
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
