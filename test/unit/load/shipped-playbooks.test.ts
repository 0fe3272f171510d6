// The playbooks shipped with xivo-ha and the bench workload must load against
// the example inventories with the real module registry and template engine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory, loadPlaybook } from '../../../src/load/index.js';
import { Workdir } from './helpers.js';

const root = join(import.meta.dirname, '..', '..', '..');
process.env['XIVO_HA_TURN_SECRET'] ??= 'example-turn-secret';

for (const name of ['xivo', 'cc', 'cc-edge', 'xds']) {
  const inventory = loadInventory(join(root, 'inventories', `${name}.yml`));
  const playbook = join(root, 'playbooks', `${inventory.cluster!.deployment}.yml`);
  test(`the shipped playbook for ${name}.yml loads`, { skip: !existsSync(playbook) && `${playbook} not written yet` }, () => {
    const pb = loadPlaybook(playbook, inventory);
    assert.ok(pb.plays.length > 0);
  });
}

test('the bench workload playbook loads against an Ansible inventory with its host variables', () => {
  const w = new Workdir();
  try {
    const inv = w.write(
      'bench.yml',
      'all:\n  hosts:\n    xivo01: {ansible_host: 127.0.0.2, ansible_port: 2222, hostname: xivo01, node_type: master, local_address: 10.42.0.11, remote_address: 10.42.0.12, peer_name: xivo02, cluster_id: ha01, base: /tmp/b/xivo01}\n',
    );
    const pb = loadPlaybook(join(root, 'bench', 'workload', 'playbook.yml'), loadInventory(inv));
    assert.equal(pb.plays[0]!.tasks.length, 37);
  } finally {
    w.remove();
  }
});
