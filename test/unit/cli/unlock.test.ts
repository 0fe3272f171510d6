// xivo-ha unlock against real agents on this machine (the local connection,
// the same agent.py): it names the holder, leaves a held lock alone without
// --force, and with --force ends the holding agent and the command it runs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unlockHost } from '../../../src/cli/commands/unlock.js';
import { connectLocal, type LocalConnection } from '../../../src/transport/local.js';
import type { RunEvent } from '../../../src/core/events.js';
import type { InventoryHost } from '../../../src/core/model.js';

const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-unlock-'));
const lockPath = join(dir, 'state', 'lock');
const started: LocalConnection[] = [];
after(async () => {
  await Promise.allSettled(started.map((c) => c.close()));
  rmSync(dir, { recursive: true, force: true });
});

const host: InventoryHost = { name: 'local', address: '127.0.0.1', port: 22, user: 'root', connectTimeoutS: 10, vars: { xivo_ha_lock_path: lockPath }, groups: [] };
const connect = async () => {
  const c = await connectLocal({ host: 'local', lockPath });
  started.push(c);
  return c;
};

async function unlock(force: boolean): Promise<{ outcome: string; text: string }> {
  const events: RunEvent[] = [];
  const outcome = await unlockHost(host, connect, { force, acceptNew: false }, (e) => events.push(e));
  const text = events.map((e) => ('text' in e ? e.text : 'message' in e ? e.message : e.type)).join('\n');
  return { outcome, text };
}

/** Running, not a zombie waiting for whoever inherited it to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('reports a free lock as free', async () => {
  const r = await unlock(false);
  assert.equal(r.outcome, 'free', r.text);
  assert.match(r.text, /not locked/);
});

test('names the holder of a held lock and leaves it alone without --force', async () => {
  const holder = await connect();
  await holder.lock('xivo-ha apply by alice@laptop pid 4242 since then', lockPath);
  const r = await unlock(false);
  assert.equal(r.outcome, 'locked', r.text);
  assert.match(r.text, /locked by xivo-ha apply by alice@laptop pid 4242/);
  assert.match(r.text, new RegExp(`agent pid ${holder.pid}`));
  assert.ok(alive(holder.pid!), 'the holder must survive an unlock without --force');
  await holder.close();
  assert.equal((await unlock(false)).outcome, 'free', 'a closed run releases its lock');
});

test('with --force ends the holding agent and the command it was running, and the lock is free', async () => {
  const holder = await connect();
  await holder.lock('xivo-ha apply by a run that hangs', lockPath);
  const pidFile = join(dir, 'sleep.pid');
  const hanging = holder.apply([{ kind: 'exec', argv: ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 600`] }]).catch((e: Error) => e);
  let sleepPid = 0;
  for (let i = 0; i < 100 && !sleepPid; i++) {
    await new Promise((r) => setTimeout(r, 50));
    sleepPid = Number(readFileSync(pidFile, { encoding: 'utf8', flag: 'a+' }).trim());
  }
  assert.ok(sleepPid > 0, 'the hanging command started');
  const r = await unlock(true);
  assert.equal(r.outcome, 'broken', r.text);
  assert.match(r.text, new RegExp(`lock broken: ended agent pid ${holder.pid}`));
  assert.ok((await hanging) instanceof Error, 'the killed agent fails its pending request');
  assert.equal(await holder.exited, null, 'the agent was killed');
  assert.equal(alive(sleepPid), false, 'the command the agent ran was killed with it');
  assert.equal((await unlock(false)).outcome, 'free');
});

test('refuses to kill a process that is not a xivo-ha agent', async () => {
  // A lock file naming some other pid (here: this test process) while our own holder keeps the lock.
  const holder = await connect();
  await holder.lock('x', lockPath);
  const fake = await connect();
  await fake.apply([{ kind: 'exec', argv: ['python3', '-c', `import json,os;fd=os.open(${JSON.stringify(lockPath)},os.O_RDWR);os.ftruncate(fd,0);os.write(fd,json.dumps({"holder":"forged","pid":${process.pid}}).encode())`] }]);
  const r = await unlock(true);
  assert.equal(r.outcome, 'failed', r.text);
  assert.match(r.text, new RegExp(`pid ${process.pid} is not a xivo-ha agent`));
  await holder.close();
  await fake.close();
});
