import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectHosts } from '../../../src/load/host-pattern.js';
import type { Inventory, InventoryHost } from '../../../src/core/model.js';

const names = ['master', 'slave', 'cc-master', 'cc-slave', 'edge'];
const groups = new Map<string, string[]>([
  ['all', names],
  ['xivo', ['master', 'slave']],
  ['cc', ['cc-master', 'cc-slave']],
  ['xivo_master', ['master']],
  ['edge', ['edge']],
]);
const hosts = new Map(names.map((n) => [n, { name: n } as InventoryHost]));
const inventory: Inventory = { path: 'inv.yml', kind: 'xivo', hosts, groups, secrets: new Map() };
const select = (p: string) => selectHosts(inventory, p);

test('selects every host with all or *', () => {
  assert.deepEqual(select('all'), names);
  assert.deepEqual(select('*'), names);
});

test('selects a group or a host by name, in inventory order', () => {
  assert.deepEqual(select('cc'), ['cc-master', 'cc-slave']);
  assert.deepEqual(select('slave'), ['slave']);
  assert.deepEqual(select('edge:xivo'), ['master', 'slave', 'edge']);
  assert.deepEqual(select('edge, xivo'), ['master', 'slave', 'edge']);
});

test('intersects with & and excludes with !, whatever their position', () => {
  assert.deepEqual(select('all:&xivo'), ['master', 'slave']);
  assert.deepEqual(select('all:!cc'), ['master', 'slave', 'edge']);
  assert.deepEqual(select('!xivo_master:xivo'), ['slave']);
  assert.deepEqual(select('all:&xivo:!slave'), ['master']);
});

test('matches globs and regular expressions against hosts and groups', () => {
  assert.deepEqual(select('cc-*'), ['cc-master', 'cc-slave']);
  assert.deepEqual(select('*master'), ['master', 'cc-master']);
  assert.deepEqual(select('xivo_*'), ['master']);
  assert.deepEqual(select('~^(edge|slave)$'), ['slave', 'edge']);
});

test('gives an empty match for unknown names', () => {
  assert.deepEqual(select('nosuch'), []);
  assert.deepEqual(select('nosuch*'), []);
  assert.deepEqual(select(''), []);
});
