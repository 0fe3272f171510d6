// The bench's "nodes": PostgreSQL 15 clusters on loopback, loaded with the
// fixture, the slave's replication role created as
// the playbook does, and the cluster.json / pgpass / ssh stand-in that
// xivo-ha-replicate reads — the same arrangement as
// test/integration/replication-local.test.ts, without the file trees (the
// bench replicates the database only).

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PG_BIN, loadFixture, startPgCluster, type PgCluster } from '../../test/helpers/pg-cluster.js';
import { quote } from '../../src/transport/shell.js';
import { trackCluster, trackDirectory } from './cleanup.js';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const NODE_DIR = join(ROOT, 'src/remote/node');
export const REPLICATE = join(NODE_DIR, 'xivo-ha-replicate');
const RECEIVE = join(NODE_DIR, 'xivo-ha-receive');
const FIXTURE = join(ROOT, 'test/fixtures/xivo-asterisk-schema.sql');
const SQL_DIR = join(ROOT, 'bench/replication/sql');

/** The default exclusion list (docs/replication.md), written into cluster.json so the bench does not depend on a default. */
export const EXCLUDED = ['netiface', 'resolvconf', 'mail', 'monitoring', 'accesswebservice', 'provisioning', 'session', 'queue_log', 'cel', 'call_log', 'call_log_participant', 'stat_agent', 'stat_agent_periodic', 'stat_call_on_queue', 'stat_queue', 'stat_queue_periodic', 'infos'];
export const HISTORY_TABLES = ['cel', 'call_log', 'queue_log'];
/** The throw-away database of the 2016-style contrast run, on the slave's cluster. */
export const SCRATCH_DB = 'asterisk_2016';

const REPLICATION_ROLE = 'xivo_ha_replication';
const SCRATCH_ROLE = 'bench_2016';

/** A master as xivo-ha-replicate sees it: its cluster, its cluster.json, its state directory. */
export interface Master {
  cluster: PgCluster;
  config: string;
  state: string;
}

/**
 * Two masters with the same configuration (same generator seed) — `bare`
 * without call history, `loaded` with it — and one slave. Both masters
 * replicate to the same slave, so runs of case 1 and case 2 alternate and a
 * change of load on the machine hits both alike.
 */
export interface Nodes {
  bare: Master;
  loaded: Master;
  slave: PgCluster;
  work: string;
  slaveConfig: string;
  slaveState: string;
  fakeSsh: string;
  /** PGPASSFILE holding both slave roles' passwords (loopback TCP, like the real slave). */
  pgpass: string;
}

export async function startNodes(): Promise<Nodes> {
  const work = mkdtempSync(join(tmpdir(), 'xivo-ha-bench-repl-'));
  chmodSync(work, 0o700);
  trackDirectory(work);
  const [bare, loaded, slave] = await Promise.all(['bench-master-bare', 'bench-master-loaded', 'bench-slave'].map((name) => trackCluster(startPgCluster(name))));
  const master = (cluster: PgCluster, name: string): Master => ({ cluster, config: join(work, `${name}-cluster.json`), state: join(work, `${name}-state`) });
  const nodes: Nodes = {
    bare: master(bare!, 'master-bare'),
    loaded: master(loaded!, 'master-loaded'),
    slave: slave!,
    work,
    slaveConfig: join(work, 'slave-cluster.json'),
    slaveState: join(work, 'slave-state'),
    fakeSsh: join(work, 'fake-ssh'),
    pgpass: join(work, 'replication.pgpass'),
  };
  for (const dir of [nodes.bare.state, nodes.loaded.state, nodes.slaveState]) mkdirSync(dir, { mode: 0o700 });
  return nodes;
}

/** A password that exists only for this run, so nothing secret is ever written in the repository. */
function throwawayPassword(): string {
  return `bench-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export function prepareNodes(nodes: Nodes): void {
  for (const c of [nodes.bare.cluster, nodes.slave]) loadFixture(c, FIXTURE);
  const replicationPassword = throwawayPassword();
  const scratchPassword = throwawayPassword();
  createReplicationRole(nodes.slave, replicationPassword);
  // The 2016 script loaded the slave as a superuser ("psql -U postgres -h SLAVE"): the contrast run does the same.
  nodes.slave.sql(`CREATE ROLE ${SCRATCH_ROLE} LOGIN SUPERUSER PASSWORD '${scratchPassword}';`);
  const port = nodes.slave.port;
  writeFileSync(nodes.pgpass, `127.0.0.1:${port}:asterisk:${REPLICATION_ROLE}:${replicationPassword}\n127.0.0.1:${port}:${SCRATCH_DB}:${SCRATCH_ROLE}:${scratchPassword}\n`, { mode: 0o600 });
  writeFileSync(join(nodes.work, 'xivo_ha_replication'), 'stand-in key: the fake ssh ignores it\n', { mode: 0o600 });
  writeConfigs(nodes);
  writeFakeSsh(nodes);
}

function writeConfigs(nodes: Nodes): void {
  const replication = (local: PgCluster) => ({
    database: 'asterisk', role: REPLICATION_ROLE, pgpass: nodes.pgpass, peer_pg_port: nodes.slave.port,
    local_pg: { os_user: 'postgres', host: local.socketDir, port: local.port },
    ssh_key: join(nodes.work, 'xivo_ha_replication'), exclude_tables: EXCLUDED, lock_timeout: 5,
  });
  for (const m of [nodes.bare, nodes.loaded]) {
    writeFileSync(m.config, JSON.stringify({ node: { role: 'master', address: '127.0.0.1' }, peer: { address: '127.0.0.1' }, replication: replication(m.cluster) }));
  }
  writeFileSync(nodes.slaveConfig, JSON.stringify({ node: { role: 'slave', address: '127.0.0.1' }, peer: { address: '127.0.0.1' }, replication: replication(nodes.slave) }));
}

/** What sshd does with the replication key's forced command: SSH_ORIGINAL_COMMAND, then xivo-ha-receive (status, record-status). */
function writeFakeSsh(nodes: Nodes): void {
  const receive = [RECEIVE, '--role', 'replication', '--config', nodes.slaveConfig, '--state-dir', nodes.slaveState].map(quote).join(' ');
  writeFileSync(
    nodes.fakeSsh,
    `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in -i|-o|-l|-p) shift 2 ;; -*) shift ;; *) break ;; esac
done
shift
SSH_ORIGINAL_COMMAND="$*"; export SSH_ORIGINAL_COMMAND
exec ${receive}
`,
    { mode: 0o700 },
  );
}

/** The replication role as the playbook creates it: not a superuser, DML + TRUNCATE on replicated tables and their sequences. */
function createReplicationRole(c: PgCluster, password: string): void {
  const excluded = EXCLUDED.map((t) => `'${t}'`).join(', ');
  c.sql(`CREATE ROLE ${REPLICATION_ROLE} LOGIN NOSUPERUSER PASSWORD '${password}';`);
  c.sql(
    `GRANT CONNECT ON DATABASE asterisk TO ${REPLICATION_ROLE};
     GRANT USAGE ON SCHEMA public TO ${REPLICATION_ROLE};
     GRANT SET ON PARAMETER session_replication_role TO ${REPLICATION_ROLE};
     DO $$ DECLARE r record; BEGIN
       FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')
                  AND c.relname NOT IN (${excluded}) AND c.relname NOT IN (SELECT t || '_id_seq' FROM unnest(ARRAY[${excluded}]) t) LOOP
         IF r.relkind = 'r' THEN
           EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.%I TO ${REPLICATION_ROLE}', r.relname);
         ELSE
           EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE public.%I TO ${REPLICATION_ROLE}', r.relname);
         END IF;
       END LOOP; END $$;`,
    'asterisk',
  );
}

/** Runs helpers.sql then `file` in one psql session on the master's asterisk database; returns the seconds it took. */
function runGenerator(c: PgCluster, file: string, vars: Record<string, number>): number {
  const t0 = process.hrtime.bigint();
  const argv = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', c.socketDir, '-p', String(c.port), '-U', 'postgres', '-d', 'asterisk',
    ...Object.entries(vars).flatMap(([k, v]) => ['-v', `${k}=${v}`]), '-f', join(SQL_DIR, 'helpers.sql'), '-f', join(SQL_DIR, file)];
  const r = spawnSync(join(PG_BIN, 'psql'), argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`generating ${file} on ${c.name} failed (psql exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export function generateConfig(c: PgCluster, users: number, seed: number): number {
  return runGenerator(c, 'config.sql', { users, seed });
}

/**
 * The loaded master starts as a copy of the bare one: the generator is
 * deterministic but the fixture is not (node UUIDs, login_at = now()), and
 * the two masters must hold the very same configuration.
 */
export function copyMaster(from: Master, to: Master): void {
  const dump = spawnSync(join(PG_BIN, 'pg_dump'), ['-h', from.cluster.socketDir, '-p', String(from.cluster.port), '-U', 'postgres', 'asterisk'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (dump.status !== 0) throw new Error(`pg_dump of ${from.cluster.name} failed: ${dump.stderr}`);
  to.cluster.sql('CREATE ROLE asterisk LOGIN; CREATE DATABASE asterisk OWNER asterisk;');
  to.cluster.sql(dump.stdout, 'asterisk');
}

export function generateHistory(c: PgCluster, celRows: number, users: number, seed: number): number {
  const seconds = runGenerator(c, 'history.sql', { cel_rows: celRows, users, seed });
  // Fresh statistics and a checkpoint now, so neither autovacuum nor a checkpoint of the load falls into a timed run.
  c.sql(`VACUUM ANALYZE ${HISTORY_TABLES.join(', ')}; CHECKPOINT;`, 'asterisk');
  return seconds;
}

/** Case 1 starts from no history at all on the master. */
export function clearHistory(c: PgCluster): void {
  c.sql(`TRUNCATE ${HISTORY_TABLES.join(', ')}; CHECKPOINT;`, 'asterisk');
}

/** The throw-away database of the contrast run: the master's schema, no rows (schema copy not timed). */
export function prepareScratch(nodes: Nodes): void {
  const source = nodes.loaded.cluster;
  nodes.slave.sql(`CREATE DATABASE ${SCRATCH_DB} OWNER ${SCRATCH_ROLE};`);
  const schema = spawnSync(join(PG_BIN, 'pg_dump'), ['--schema-only', '--schema=public', '--no-owner', '-h', source.socketDir, '-p', String(source.port), '-U', 'postgres', 'asterisk'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (schema.status !== 0) throw new Error(`pg_dump --schema-only failed: ${schema.stderr}`);
  // pg_dump's schema output starts with a CREATE SCHEMA public that already exists in a new database.
  nodes.slave.sql(schema.stdout.replace(/^CREATE SCHEMA public;$/m, ''), SCRATCH_DB);
}

export const SLAVE_SCRATCH = { role: SCRATCH_ROLE, database: SCRATCH_DB };

/** Sizes on disk of the master's tables, split into what is replicated and what is excluded. */
export function masterSizes(c: PgCluster): { replicatedBytes: number; excludedBytes: number } {
  const excluded = EXCLUDED.map((t) => `'${t}'`).join(', ');
  const out = c.sql(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname NOT IN (${excluded})), 0),
            coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname IN (${excluded})), 0)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`,
    'asterisk',
  ).trim().split('|');
  return { replicatedBytes: Number(out[0]), excludedBytes: Number(out[1]) };
}
