// A throw-away PostgreSQL 15 cluster for integration tests: its own data and
// socket directories under /tmp, a free port on 127.0.0.1, run as the
// `postgres` OS user (the test itself runs as root). Stopped by the PID in
// postmaster.pid, never by name, and its directory removed, even when a test
// fails.

import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';

export interface PgCluster {
  readonly name: string;
  readonly port: number;
  readonly dir: string;
  /** Unix socket directory: `psql -h socketDir -p port` connects as any role with trust. */
  readonly socketDir: string;
  /** Runs SQL as the superuser on `database` and returns psql's unaligned, tuples-only output. */
  sql(text: string, database?: string): string;
  /** The postmaster's PID, or undefined when it is not running. */
  pid(): number | undefined;
  stop(): Promise<void>;
}

function uidGid(user: string): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error(`OS user ${user} does not exist (apt-get install postgresql)`);
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs argv as the postgres OS user; throws with stderr when it fails. */
export function asPostgres(argv: string[], input?: string): string {
  const r = spawnSync('runuser', ['-u', OS_USER, '--', ...argv], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export async function startPgCluster(name: string): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), `xivo-ha-pg-${name}-`));
  const { uid, gid } = uidGid(OS_USER);
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const socketDir = dir;
  const port = await freePort();
  let stopped = false;

  const pid = (): number | undefined => {
    try {
      const first = readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0];
      const n = Number(first);
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };
  const alive = (p: number): boolean => {
    try {
      process.kill(p, 0);
      const state = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.[0];
      return state !== 'Z';
    } catch {
      return false;
    }
  };

  const cluster: PgCluster = {
    name,
    port,
    dir,
    socketDir,
    pid,
    sql(text, database = 'postgres') {
      // Local connections are `trust`: no need to become the postgres OS user for each query.
      const r = spawnSync(`${PG_BIN}/psql`, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', database], { input: text, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      if (r.status !== 0) throw new Error(`psql on ${name} failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const p = pid();
      if (p !== undefined && alive(p)) {
        process.kill(p, 'SIGINT'); // fast shutdown
        for (let i = 0; i < 100 && alive(p); i++) await new Promise((r) => setTimeout(r, 50));
        if (alive(p)) process.kill(p, 'SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    asPostgres([`${PG_BIN}/initdb`, '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    // Only loopback TCP, the socket in our own directory, and speed over durability.
    appendFileSync(
      join(data, 'postgresql.conf'),
      [`port = ${port}`, `listen_addresses = '127.0.0.1'`, `unix_socket_directories = '${socketDir}'`, 'fsync = off', 'synchronous_commit = off', 'full_page_writes = off', `password_encryption = 'scram-sha-256'`, ''].join('\n'),
    );
    await new Promise<void>((resolve, reject) => {
      const child = spawn('runuser', ['-u', OS_USER, '--', `${PG_BIN}/pg_ctl`, '-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', 'start'], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl start ${name} exited ${code}: ${safeRead(join(dir, 'log'))}`))));
    });
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/** Creates role and database `asterisk` and loads a SQL file into it. */
export function loadFixture(cluster: PgCluster, sqlFile: string): void {
  cluster.sql('CREATE ROLE asterisk LOGIN; CREATE DATABASE asterisk OWNER asterisk;');
  const copy = join(cluster.dir, 'fixture.sql');
  writeFileSync(copy, readFileSync(sqlFile));
  chownSync(copy, uidGid(OS_USER).uid, uidGid(OS_USER).gid);
  asPostgres([`${PG_BIN}/psql`, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', cluster.socketDir, '-p', String(cluster.port), '-U', 'asterisk', '-d', 'asterisk', '-f', copy]);
}
