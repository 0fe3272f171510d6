// The generator against real PostgreSQL 15 clusters (root, as the bench).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFixture, startPgCluster, type PgCluster } from '../../../test/helpers/pg-cluster.js';
import { checksums, differingTables, publicTables } from '../checksums.js';
import { EXCLUDED, HISTORY_TABLES, ROOT, generateConfig, generateHistory } from '../setup.js';
import { join } from 'node:path';

const FIXTURE = join(ROOT, 'test/fixtures/xivo-asterisk-schema.sql');
let a: PgCluster | undefined;
let b: PgCluster | undefined;

before(async () => {
  [a, b] = await Promise.all([startPgCluster('gen-a'), startPgCluster('gen-b')]);
  for (const c of [a, b]) {
    loadFixture(c, FIXTURE);
    // The fixture's own random values (node UUIDs, login_at = now()), set alike: the generator's rows are what is compared.
    c.sql(`UPDATE userfeatures SET uuid = 'fixture-' || id; UPDATE agent_login_status SET login_at = '2024-01-01'; UPDATE infos SET uuid = 'fixture';`, 'asterisk');
  }
});

after(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
});

function clusters(): [PgCluster, PgCluster] {
  if (!a || !b) throw new Error('clusters not started');
  return [a, b];
}

test('the same seed gives the same rows in every table, so runs on different days compare', () => {
  const [x, y] = clusters();
  for (const c of [x, y]) {
    generateConfig(c, 200, 42);
    generateHistory(c, 800, 200, 42);
  }
  const tables = publicTables(x);
  assert.deepEqual(differingTables(checksums(x, tables), checksums(y, tables)), []);
});

test('writes tens of rows per user into the replicated tables and exactly the CEL rows asked for', () => {
  const [x] = clusters();
  const replicated = publicTables(x).filter((t) => !EXCLUDED.includes(t));
  const rows = [...checksums(x, replicated).values()].reduce((n, v) => n + Number(v.split(':')[0]), 0);
  assert.ok(rows > 200 * 15, `only ${rows} configuration rows for 200 users`);
  const history = checksums(x, HISTORY_TABLES);
  assert.equal(history.get('cel')?.split(':')[0], String(800 + 2)); // plus the fixture's two
  assert.equal(x.sql('SELECT count(*) FROM userfeatures WHERE id > 1000', 'asterisk').trim(), '200');
});

test('leaves every foreign key valid and the sequences after the largest ids', () => {
  const [x] = clusters();
  // Re-validating every constraint from scratch is what a restore would do.
  x.sql(`DO $$ DECLARE r record; BEGIN
           FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                    WHERE c.contype = 'f' AND n.nspname = 'public' LOOP
             EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I %s', r.t, r.conname, r.conname,
                            (SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = r.conname AND conrelid = r.t));
           END LOOP; END $$;`, 'asterisk');
  assert.equal(x.sql(`SELECT nextval('userfeatures_id_seq') > max(id) FROM userfeatures`, 'asterisk').trim(), 't');
  assert.equal(x.sql(`SELECT nextval('cel_id_seq') > max(id) FROM cel`, 'asterisk').trim(), 't');
});

test('leaves nothing of itself in the schema (replication compares schemas)', () => {
  const [x, y] = clusters();
  const fresh = y.sql(`SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`, 'asterisk');
  assert.equal(fresh.trim(), '0');
  assert.deepEqual(publicTables(x), publicTables(y));
});
