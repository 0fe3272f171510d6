// A lock held by the agent of an apply that died on this workstation (its
// runner pid is gone) is an orphan: the next apply ends that agent and runs.
// Any other holder still refuses the run. Real agents, local connections.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybooks } from '../../../src/core/runner.js';
import type { RunEvent } from '../../../src/core/events.js';
import { isOrphanOfThisWorkstation } from '../../../src/core/stale-lock.js';
import { connectLocal, type LocalConnection } from '../../../src/transport/local.js';
import { inventory, play, playbook, task } from '../../helpers/specs.js';

const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-stale-lock-'));
const lockPath = join(dir, 'lock');
const opened: LocalConnection[] = [];
after(async () => {
  await Promise.allSettled(opened.map((c) => c.close()));
  rmSync(dir, { recursive: true, force: true });
});

const open = async () => {
  const c = await connectLocal({ host: 'a', lockPath });
  opened.push(c);
  return c;
};
/** A pid that existed and is gone: a child that already exited. */
const deadPid = spawnSync('true').pid!;

async function apply(): Promise<{ code: number; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const result = await runPlaybooks({
    command: 'apply',
    inventory: inventory({ a: { xivo_ha_state_dir: dir } }),
    playbooks: [playbook(play([task('noop', 'command', { cmd: 'true' })]))],
    tags: [],
    extraVars: {},
    connect: open,
    connectOptions: { acceptNew: false },
    emit: (e) => events.push(e),
  });
  return { code: result.exitCode, events };
}

test('tells an orphan (an apply from this workstation whose runner is gone) from a live or foreign holder', () => {
  const since = 'since 2026-01-01T00:00:00Z';
  assert.equal(isOrphanOfThisWorkstation({ holder: `xivo-ha apply by root@${hostname()} pid ${deadPid} ${since}`, pid: 1 }), true);
  assert.equal(isOrphanOfThisWorkstation({ holder: `xivo-ha apply by root@${hostname()} pid ${process.ppid} ${since}`, pid: 1 }), false);
  assert.equal(isOrphanOfThisWorkstation({ holder: `xivo-ha apply by root@elsewhere pid ${deadPid} ${since}`, pid: 1 }), false);
  assert.equal(isOrphanOfThisWorkstation({ holder: 'something else', pid: 1 }), false);
});

test('ends the agent of a dead run from this workstation and applies', async () => {
  const orphan = await open();
  await orphan.lock(`xivo-ha apply by root@${hostname()} pid ${deadPid} since 2026-01-01T00:00:00Z`, lockPath);
  const r = await apply();
  assert.equal(r.code, 0, JSON.stringify(r.events));
  assert.ok(r.events.some((e) => e.type === 'message' && /is gone from this workstation; ending its agent pid/.test(e.text)));
  assert.equal(await orphan.exited, null, 'the orphaned agent was killed');
});

test('still refuses when the holder run is alive', async () => {
  const live = await open();
  await live.lock(`xivo-ha apply by root@${hostname()} pid ${process.ppid} since 2026-01-01T00:00:00Z`, lockPath);
  const r = await apply();
  assert.equal(r.code, 3);
  assert.ok(r.events.some((e) => e.type === 'host_failed' && /locked by xivo-ha apply by root@/.test(e.message)));
  assert.ok(live.pid !== undefined && (() => { try { process.kill(live.pid!, 0); return true; } catch { return false; } })(), 'the live holder is left alone');
});
