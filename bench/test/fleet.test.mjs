// The simulated hosts, for real: sshd listeners we start and stop ourselves.
// Skipped when a bench is running (same addresses and port).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { Fleet } from '../lib/fleet.mjs';
import { sshArgv } from '../lib/floor.mjs';
import { REMOTE_HOME } from '../lib/paths.mjs';

function portBusy(host, port) {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const isRoot = process.getuid?.() === 0;

test('serves 18 hosts from two sshd processes with the bench key, a stock home and pinned host keys, then stops them', { skip: !isRoot && 'needs root' }, async (t) => {
  if (await portBusy('127.0.0.2', 2222)) return t.skip('127.0.0.2:2222 is in use (a bench running?)');
  const fleet = new Fleet(18);
  try {
    await fleet.start();
    assert.equal(fleet.processes.length, 2);
    for (const address of ['127.0.0.2', '127.0.0.19']) {
      // ssh hands the words to the remote shell, which expands $HOME there.
      const [cmd, ...args] = sshArgv(address, ['echo', '$HOME']);
      const out = execFileSync(cmd, args, { encoding: 'utf8' });
      assert.equal(out.trim(), REMOTE_HOME);
    }
  } finally {
    const pids = fleet.processes.map((p) => p.child.pid);
    fleet.stop();
    await new Promise((r) => setTimeout(r, 300));
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `sshd ${pid} still running`);
  }
});
