import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checksumSql, differingTables, totalRows } from '../checksums.js';

test('quotes table names as identifiers and as labels ("user" is a reserved word)', () => {
  const sql = checksumSql(['user', 'we"ird']);
  assert.match(sql, /SELECT 'user', .* FROM public\."user" x/);
  assert.match(sql, /FROM public\."we""ird" x/);
});

test('hashes rows without sorting them, so a million CEL rows stay cheap to check', () => {
  assert.doesNotMatch(checksumSql(['cel']), /ORDER BY/);
  assert.match(checksumSql(['cel']), /sum\(hashtextextended\(x::text, 0\)::numeric\)/);
});

test('lists the tables whose checksum differs or that exist on one side only', () => {
  const a = new Map([['a', '1:5'], ['b', '2:7'], ['c', '0:0']]);
  const b = new Map([['a', '1:5'], ['b', '2:8'], ['d', '0:0']]);
  assert.deepEqual(differingTables(a, b), ['b', 'c', 'd']);
  assert.deepEqual(differingTables(a, new Map(a)), []);
});

test('adds up the row counts of a checksum map', () => {
  assert.equal(totalRows(new Map([['a', '3:1'], ['b', '1000000:9']])), 1_000_003);
});
