// xivo-ha status shows every step of the last takeover or failback in order,
// ssh's options left out, a failed step flagged (issue 7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarise, type NodeStatus } from '../../../src/ha/status.js';
import { renderClusterStatus } from '../../../src/cli/views/status-view.js';
import { palette } from '../../../src/cli/views/colors.js';

const ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'UserKnownHostsFile=/etc/xivo-ha/edge_known_hosts', '-i', '/root/.ssh/xivo_ha_edge'];

test('shows the last takeover\'s actions in order, ssh options dropped, with their exit codes and retries', () => {
  const slave: NodeStatus = {
    name: 'slave', role: 'slave', address: '198.18.0.12', reachable: true, telephony: 'running', units: {},
    monitor: {
      state: 'active',
      last_actions: [
        { phase: 'takeover', argv: ['xivo-service', 'start'], rc: 0, attempts: 1, at: '2026-11-28T06:00:01Z' },
        { phase: 'after_takeover', argv: [...ssh, 'root@198.18.0.22', 'restart-xuc'], rc: 0, attempts: 1, at: '2026-11-28T06:00:02Z' },
        { phase: 'after_takeover', argv: [...ssh, 'root@198.18.0.41', 'switch slave'], rc: 1, attempts: 3, at: '2026-11-28T06:00:09Z' },
      ],
    },
  };
  const master: NodeStatus = { name: 'master', role: 'master', address: '198.18.0.11', reachable: true, telephony: 'stopped', units: {} };
  const text = renderClusterStatus(summarise('lab', 'cc', [master, slave]), palette(false));
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.includes('last actions'));
  assert.ok(at >= 0, text);
  assert.deepEqual(lines.slice(at + 1, at + 4).map((l) => l.trim()), [
    '2026-11-28T06:00:01Z  takeover  xivo-service start  rc 0',
    '2026-11-28T06:00:02Z  after_takeover  ssh root@198.18.0.22 restart-xuc  rc 0',
    '2026-11-28T06:00:09Z  after_takeover  ssh root@198.18.0.41 switch slave  rc 1 after 3 attempts',
  ]);
});
