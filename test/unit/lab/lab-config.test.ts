// The lab's pure parts: node sets per deployment, /etc/hosts, the inventory
// it writes (which must load through the real inventory loader).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TURN_SECRET_FILE, renderLabInventory } from '../../../src/lab/inventory.js';
import { renderEtcHosts } from '../../../src/lab/node-disk.js';
import { renderLossRules } from '../../../src/lab/link-loss.js';
import { selectNodes, vethName, netnsName, ALL_NODES } from '../../../src/lab/topology.js';
import { parseInventory } from '../../../src/load/inventory.js';

const names = (sel: Parameters<typeof selectNodes>[0]): string[] => selectNodes(sel).map((n) => n.name);

test('brings up master and slave only for a plain xivo deployment', () => {
  assert.deepEqual(names({}), ['master', 'slave']);
});

test('adds the CC pair for cc, the MDS for xds, and Edge only when asked', () => {
  assert.deepEqual(names({ deployment: 'cc', edge: true }), ['master', 'slave', 'cc-master', 'cc-slave', 'edge']);
  assert.deepEqual(names({ deployment: 'xds' }), ['master', 'slave', 'mds1']);
  assert.deepEqual(names({ allNodes: true }), ALL_NODES.map((n) => n.name));
});

test('keeps every interface name within the kernel limit of 15 characters', () => {
  for (const n of ALL_NODES) {
    assert.ok(vethName(n.name).length <= 15, vethName(n.name));
    assert.ok(netnsName(n.name).length <= 15, netnsName(n.name));
  }
});

test('lists every lab node and the runner in /etc/hosts', () => {
  const hosts = renderEtcHosts('slave', selectNodes({ deployment: 'xds' }));
  assert.match(hosts, /^127\.0\.1\.1\tslave$/m);
  assert.match(hosts, /^198\.18\.0\.1\trunner$/m);
  assert.match(hosts, /^198\.18\.0\.31\tmds1$/m);
});

test('writes inventories that the inventory loader accepts, for each deployment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-inventory-'));
  writeFileSync(join(dir, TURN_SECRET_FILE), 'lab-turn-secret\n');
  for (const [deployment, edge] of [['xivo', false], ['cc', true], ['xds', false]] as const) {
    const inv = parseInventory(join(dir, `lab-${deployment}.yml`), renderLabInventory({ deployment, edge }));
    const hosts = [...inv.hosts.keys()].sort();
    assert.deepEqual(hosts, names({ deployment, edge }).sort());
  }
  rmSync(dir, { recursive: true });
});

test('drops the requested share of frames on the node\'s port in both directions and every bridge hook', () => {
  const rules = renderLossRules('cc-master', 30);
  assert.match(rules, /^table bridge xivo_ha_lab_loss_cc_master \{/);
  for (const hook of ['forward', 'input', 'output']) assert.match(rules, new RegExp(`type filter hook ${hook} priority 0`));
  assert.equal(rules.match(/iifname "xh-cc-master" numgen random mod 100 < 30 drop/g)?.length, 3);
  assert.equal(rules.match(/oifname "xh-cc-master" numgen random mod 100 < 30 drop/g)?.length, 3);
});
