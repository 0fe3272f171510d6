// One timed run of each kind. Wall-clock time from process.hrtime around the
// whole job, as the hourly timer would see it.
//
// - replicateOnce: the real program, `xivo-ha-replicate --only db`, against the
//   two local clusters (schema checks, FK closure, the streamed dump and load).
// - dump2016Once: the 2016 script's pipeline with nothing excluded:
//   `pg_dump --data-only --schema=public` (every table, CEL included), wrapped
//   in `SET session_replication_role = replica; BEGIN; TRUNCATE …; … COMMIT;`,
//   piped to psql as a superuser on a throw-away database of the slave's
//   cluster. No filter, no checks: if anything it flatters the contrast case.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PG_BIN } from '../../test/helpers/pg-cluster.js';
import { releaseProcessGroup, trackProcessGroup } from './cleanup.js';
import { REPLICATE, SLAVE_SCRATCH, type Master, type Nodes } from './setup.js';

export interface RunTiming {
  seconds: number;
  /** The database step alone, as xivo-ha-replicate records it (db.duration_s); undefined for the 2016 pipeline. */
  dbSeconds?: number;
  /** Rows the run copied (db.rows_total, or the rows in the scratch database after the 2016 load). */
  rows?: number;
}

function spawnTracked(command: string, argv: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  const child = spawn(command, argv, { ...options, detached: true });
  if (child.pid !== undefined) trackProcessGroup(child.pid);
  return child;
}

function exited(child: ChildProcess, stderrTail: () => string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (child.pid !== undefined) releaseProcessGroup(child.pid);
      if (code === 0) resolve();
      else reject(new Error(`${what} exited ${code ?? signal}: ${stderrTail()}`));
    });
  });
}

function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-4000);
  });
  return () => text.trim();
}

export async function replicateOnce(master: Master, nodes: Nodes): Promise<RunTiming> {
  const argv = ['--config', master.config, '--state-dir', master.state, '--ssh', nodes.fakeSsh, '--only', 'db'];
  const t0 = process.hrtime.bigint();
  const child = spawnTracked(REPLICATE, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  await exited(child, collectStderr(child), 'xivo-ha-replicate --only db');
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const status = JSON.parse(readFileSync(join(master.state, 'replication-status.json'), 'utf8')) as { last?: { result?: string; db?: { duration_s?: number; rows_total?: number } } };
  if (status.last?.result !== 'ok') throw new Error(`xivo-ha-replicate exited 0 but recorded ${JSON.stringify(status.last?.result)}`);
  return { seconds, dbSeconds: status.last.db?.duration_s, rows: status.last.db?.rows_total };
}

export async function dump2016Once(nodes: Nodes, tables: readonly string[]): Promise<RunTiming> {
  const { slave } = nodes;
  const master = nodes.loaded.cluster;
  const dumpArgv = ['-u', 'postgres', '--', join(PG_BIN, 'pg_dump'), '--data-only', '--schema=public', '-h', master.socketDir, '-p', String(master.port), 'asterisk'];
  const psqlArgv = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(slave.port), '-U', SLAVE_SCRATCH.role, '-d', SLAVE_SCRATCH.database, '--no-password'];
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG'))), PGPASSFILE: nodes.pgpass };
  const t0 = process.hrtime.bigint();
  const psql = spawnTracked(join(PG_BIN, 'psql'), psqlArgv, { stdio: ['pipe', 'ignore', 'pipe'], env });
  const dump = spawnTracked('runuser', dumpArgv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const psqlDone = exited(psql, collectStderr(psql), 'psql (2016-style load)');
  const dumpDone = exited(dump, collectStderr(dump), 'pg_dump (2016-style dump)');
  const input = psql.stdin!;
  input.on('error', () => undefined); // psql's own exit status says why it stopped reading
  input.write(`SET session_replication_role = replica;\nBEGIN;\nTRUNCATE ${tables.map((t) => `public."${t}"`).join(', ')};\n`);
  dump.stdout!.pipe(input, { end: false });
  try {
    // COMMIT only after pg_dump succeeded; a psql that fails first must not leave pg_dump blocked on a full pipe.
    await Promise.all([dumpDone.then(() => input.end('COMMIT;\n')), psqlDone]);
  } catch (err) {
    for (const child of [dump, psql]) if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    await Promise.allSettled([dumpDone, psqlDone]);
    throw err;
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}
