// The monitor profiles are written twice: src/load/ha-settings.ts (what
// cluster.json carries on a provisioned node) and the node library's PROFILES
// (what a monitor started by hand without them falls back to). The same
// profile name must mean the same numbers on both sides.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { MONITOR_PROFILES } from '../../../src/load/ha-settings.js';

const nodeDir = join(import.meta.dirname, '..', '..', '..', 'src', 'remote', 'node');

test('the node library\'s monitor profiles hold the same numbers as the inventory\'s', () => {
  // -B: no __pycache__ in src/ (the integration tests refuse a dist/ older than src/).
  const run = spawnSync('python3', ['-I', '-B', '-c', 'import json, sys; sys.path.insert(0, sys.argv[1]); import xivo_ha_monitor_lib as m; print(json.dumps(m.PROFILES))', nodeDir], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), MONITOR_PROFILES);
});
