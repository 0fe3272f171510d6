// Issue 6 acceptance 1–6 on the lab's master and slave (fast profile): one
// provisioned pair is reused, each scenario puts it back in standby with the
// master answering. A sampler asks both nodes' SIP from the runner (on the
// lab bridge, as a phone would) about every 0.5 s and the scenarios assert on
// what it saw: never both at once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cutLink, ensureLab, execOk, execOn, findNode, nodeAnswersSip, provisionedPair, readNodeFile, replicateNow, revive, setLinkLoss, slaveMonitorState, standbyWithMasterAnswering, writeInventory, type MonitorState } from '../helpers/lab.js';
import { applyTwice, xivoHa } from '../helpers/xivo-ha-cli.js';
import { sleep, waitFor as waitForEvery } from '../helpers/wait.js';

// The scenarios poll every 250 ms: the times they print are the figures docs/failover.md quotes.
const waitFor = <T>(what: string, boundMs: number, check: () => Promise<T | undefined | false>): Promise<T> => waitForEvery(what, boundMs, check, 250);

const STATE = '/var/lib/xivo-ha/monitor-state.json';
/** The nft table scenario 1 adds on the slave to drop the master's ssh. */
const SSH_BLOCK = 'xivo_ha_failover_test';
const FAST_BOUND_MS = 60_000;
const PSQL = ['runuser', '-u', 'postgres', '--', 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', 'asterisk', '-c'];

let dir: string;
let inventory: string;

interface Sample { at: number; master: boolean; slave: boolean }

/** Samples both nodes' SIP until stop() is called. */
function sampleSip(): { samples: Sample[]; stop: () => Promise<Sample[]> } {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const [master, slave] = await Promise.all([nodeAnswersSip('master', 0.4), nodeAnswersSip('slave', 0.4)]);
      samples.push({ at, master, slave });
      await sleep(Math.max(0, 500 - (Date.now() - at)));
    }
  })();
  return { samples, stop: async () => { running = false; await loop; return samples; } };
}

async function slaveState(): Promise<MonitorState> {
  const state = await slaveMonitorState();
  if (!state) throw new Error("the slave's monitor state file is missing or unreadable");
  return state;
}

/**
 * Standby, master answering, slave silent: where every scenario starts and
 * ends. With outOfGrace, also past the failback grace (after a failback the
 * monitor does not count failed rounds for failback_grace, 60 s in fast).
 */
async function waitStandby(boundMs = 120_000, outOfGrace = false): Promise<void> {
  await waitFor('standby with the master answering', boundMs, async () => {
    const s = await standbyWithMasterAnswering();
    return s !== undefined && !(outOfGrace && typeof s.grace_until === 'number' && s.grace_until * 1000 > Date.now());
  });
}

function assertNeverBoth(samples: Sample[], scenario: string): void {
  const both = samples.filter((s) => s.master && s.slave);
  assert.deepEqual(both, [], `${scenario}: both nodes answered SIP at ${both.map((s) => new Date(s.at).toISOString()).join(', ')}`);
}

before(async () => {
  await ensureLab(['master', 'slave']);
  inventory = await provisionedPair();
  dir = mkdtempSync(join(tmpdir(), 'xivo-ha-failover-'));
  // The slave gets the master's users (for the DND of scenario 5).
  await replicateNow();
  await waitStandby();
});

after(async () => {
  await setLinkLoss('master', 0).catch(() => undefined);
  await execOn('slave', ['nft', 'delete', 'table', 'inet', SSH_BLOCK]).catch(() => undefined); // when scenario 1 failed half-way
  await revive('master').catch(() => undefined);
  await revive('slave').catch(() => undefined);
  // The pair stays for the chain's next file, which checks it is at rest.
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('4. an isolated slave (its link cut, witness unreachable) does not take over, and is still passive when its link returns', async () => {
  await waitStandby(120_000, true);
  const before = await slaveState();
  await cutLink('slave');
  try {
    await sleep(15_000); // five times the fast profile's three failed probes
    const during = await slaveState();
    assert.equal(during.state, 'standby');
    assert.equal(during.counters.takeovers, before.counters.takeovers);
  } finally {
    await revive('slave');
  }
  await sleep(3_000);
  assert.equal((await slaveState()).state, 'standby');
  assert.equal(await nodeAnswersSip('slave'), false);
});

test('3. a lossy master link (30 % of frames lost each way for 60 s) makes no takeover and no flapping', {
  // 30 % each way loses about half of the SIP exchanges; the probe's retransmissions and the flap damping
  // carry it. At 50 % each way the nodes' ARP re-resolutions leave the master mute for 4-7 s at a time
  // (measured): no probe can tell that from a failure within the fast profile's 10 s (docs/monitor.md).
}, async () => {
  await waitStandby(120_000, true);
  const before = await slaveState();
  const sampler = sampleSip();
  await setLinkLoss('master', 30);
  try {
    await sleep(60_000);
  } finally {
    await setLinkLoss('master', 0);
  }
  const samples = await sampler.stop();
  const afterward = await slaveState();
  assert.equal(afterward.state, 'standby');
  assert.equal(afterward.counters.takeovers, before.counters.takeovers);
  assert.equal(afterward.history.length, before.history.length, 'a transition happened under loss');
  assert.ok(!samples.some((s) => s.slave), 'the slave answered SIP under loss');
});

test('1. master link cut: the slave answers SIP (fast profile, measured); the cut-off master fences itself, and when its link returns it never answers beside the slave', async () => {
  await waitStandby(120_000, true);
  const cut = Date.now();
  await cutLink('master');
  try {
    await waitFor('the slave answering', FAST_BOUND_MS, () => nodeAnswersSip('slave'));
    const seconds = (Date.now() - cut) / 1000;
    console.log(`takeover (fast profile, master link cut): the slave answers SIP ${seconds.toFixed(1)} s after the cut`);
    assert.equal((await slaveState()).state, 'active');
    // The master reaches neither the slave nor the witness: its watch stops its telephony.
    await waitFor('the cut-off master fencing itself', FAST_BOUND_MS, async () =>
      (await execOn('master', ['systemctl', 'is-active', 'asterisk.service'])).stdout.trim() !== 'active');
    console.log(`the cut-off master stopped its telephony ${((Date.now() - cut) / 1000).toFixed(1)} s after the cut`);
    const master = JSON.parse(await readNodeFile('master', STATE)) as { state: string; reason: string };
    assert.equal(master.state, 'fenced', master.reason);
    // As on a loaded slave that logs in too slowly: the master's first asks
    // after its link returns get no answer over ssh, and the slave's SIP must
    // hold the master's telephony instead (a CI run saw both nodes answer
    // for 2 s when a silent ask released it).
    await execOk('slave', ['nft', `add table inet ${SSH_BLOCK}; add chain inet ${SSH_BLOCK} input { type filter hook input priority 0; }; `
      + `add rule inet ${SSH_BLOCK} input ip saddr ${findNode('master').address} tcp dport 22 drop`]);
  } finally {
    await revive('master');
  }
  // Back on the network: the master's guard holds its telephony; the slave fails back by itself after the stable period.
  const sampler = sampleSip();
  try {
    try {
      await waitFor("the master's guard holding its telephony on the slave's SIP", FAST_BOUND_MS, async () =>
        /did not tell its state .*; this master was fenced and the slave's SIP still answers/.test(await readNodeFile('master', STATE)));
    } finally {
      await execOk('slave', ['nft', 'delete', 'table', 'inet', SSH_BLOCK]);
    }
    await waitStandby(FAST_BOUND_MS);
  } finally {
    assertNeverBoth(await sampler.stop(), 'master link back');
  }
  assert.equal((await slaveState()).counters.failbacks > 0, true);
});

test('6. xivo-ha failover then xivo-ha failback: SIP answers on exactly one node at every moment checked', async () => {
  await waitStandby(120_000);
  const sampler = sampleSip();
  const started = Date.now();
  const failover = await xivoHa(['failover', '-i', inventory]);
  assert.equal(failover.code, 0, failover.stdout + failover.stderr);
  await waitFor('the slave answering', FAST_BOUND_MS, () => nodeAnswersSip('slave'));
  const switched = (Date.now() - started) / 1000;
  const state = await slaveState();
  assert.equal(state.state, 'active');
  assert.match(state.reason, /^manual failover by /);
  assert.ok(state.manual, 'the manual flag is set');
  assert.match(await readNodeFile('master', STATE), /"state": "held"/);
  await sleep(3_000);
  const failback = await xivoHa(['failback', '-i', inventory]);
  assert.equal(failback.code, 0, failback.stdout + failback.stderr);
  await waitStandby(FAST_BOUND_MS);
  const samples = await sampler.stop();
  assertNeverBoth(samples, 'manual switch');
  const gaps = samples.filter((s) => !s.master && !s.slave).length;
  console.log(`manual failover: slave answering ${switched.toFixed(1)} s after the command started; ${samples.length} samples, ${gaps} with no node answering (the stop→start gap), none with both`);
  assert.ok(samples.some((s) => s.slave && !s.master) && samples.some((s) => s.master && !s.slave));
});

test('7. a takeover is never blocked by an apply in progress: the slave takes over while an apply holds the run lock on it; in charge, a late "telephony held back" step keeps its telephony, and stopped behind its back it starts it again', async () => {
  await waitStandby(120_000, true);
  const playbook = join(dir, 'long-task.yml');
  writeFileSync(playbook, [
    '- name: a long task that holds the run lock on the slave',
    '  hosts: xivo_slave',
    '  tasks:',
    '    - name: sleep 30',
    '      command: sleep 30',
    '      changed_when: false',
    '',
  ].join('\n'));
  let applyDone = false;
  const apply = xivoHa(['apply', '-i', inventory, playbook]).finally(() => (applyDone = true));
  await waitFor('the apply holding the lock on the slave', 30_000, async () =>
    (await execOn('slave', ['pgrep', '-f', '^sleep 30$'])).code === 0);
  const cut = Date.now();
  await cutLink('master');
  try {
    await waitFor('the slave answering', FAST_BOUND_MS, () => nodeAnswersSip('slave'));
    console.log(`takeover during an apply: the slave answers SIP ${((Date.now() - cut) / 1000).toFixed(1)} s after the cut`);
    assert.equal(applyDone, false, 'the apply had already ended: the test proved nothing');
    assert.equal((await slaveState()).state, 'active');
    // An apply that gathered this slave as standby just before the takeover
    // runs its "telephony held back" step now: the node program decides
    // again under the HA lock and keeps the calls.
    const late = await execOk('slave', ['/usr/local/sbin/xivo-ha-standby-telephony', 'stop']);
    assert.match(late, /^kept: this slave is in charge \(monitor state active\)/);
    assert.equal(await nodeAnswersSip('slave'), true, 'the late hold-back step stopped the slave in charge');
    // An operator (or a crash systemd gave up on) stops it behind the monitor's back.
    await execOk('slave', ['systemctl', 'stop', 'asterisk.service']);
    const stopped = Date.now();
    assert.equal(await nodeAnswersSip('slave'), false, 'telephony still answers after the stop');
    await waitFor('the slave in charge answering SIP again', FAST_BOUND_MS, () => nodeAnswersSip('slave'));
    console.log(`telephony stopped on the slave in charge: answering again ${((Date.now() - stopped) / 1000).toFixed(1)} s later`);
    const state = await slaveState();
    assert.equal(state.state, 'active');
    assert.equal(state.counters.telephony_restarts, 1);
  } finally {
    await revive('master');
  }
  const applied = await apply;
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  await waitStandby(FAST_BOUND_MS);
});

test('2 and 5. the master\'s telephony crashes, link up: takeover; no failback before the stable period; voicemail and DND come back; the master never answers while the slave does', async () => {
  await waitStandby(180_000, true);
  const uuid = (await execOk('master', [...PSQL, 'SELECT uuid FROM userfeatures ORDER BY id LIMIT 1'])).trim();
  assert.ok(uuid, 'the lab database has a user');
  await execOk('master', [...PSQL, `UPDATE userfeatures SET enablednd = 0 WHERE uuid = '${uuid}'`]);
  await replicateNow();

  const sampler = sampleSip();
  const crashed = Date.now();
  // A crash (not a stop): systemd restarts it, and the guard holds it back.
  await execOk('master', ['systemctl', 'kill', '--signal=KILL', 'asterisk.service']);
  await waitFor('the slave answering', FAST_BOUND_MS, () => nodeAnswersSip('slave'));
  console.log(`takeover (fast profile, master's telephony crashed, link up): the slave answers SIP ${((Date.now() - crashed) / 1000).toFixed(1)} s after the crash`);

  const message = '/var/spool/asterisk/voicemail/default/1000/INBOX/msg0000.txt';
  await execOk('slave', ['sh', '-c', `mkdir -p "$(dirname "$1")" && printf 'callerid=lab\\n' > "$1"`, 'sh', message]);
  await execOk('slave', [...PSQL, `UPDATE userfeatures SET enablednd = 1 WHERE uuid = '${uuid}'`]);

  const cluster = JSON.parse(await readNodeFile('slave', '/etc/xivo-ha/cluster.json')) as { monitor: { stable_period: number } };
  const stablePeriodS = cluster.monitor.stable_period;
  const takenOver = await slaveState();
  const takeoverAt = Date.parse(takenOver.history.at(-1)!.at);
  await waitStandby(stablePeriodS * 1000 + FAST_BOUND_MS);
  const samples = await sampler.stop();
  const done = await slaveState();
  const failbackAt = Date.parse(done.history.find((h) => h.from === 'active' && h.to === 'failing-back' && Date.parse(h.at) >= takeoverAt)!.at);
  console.log(`failback ${((failbackAt - takeoverAt) / 1000).toFixed(0)} s after the takeover (stable period ${stablePeriodS} s)`);
  assert.ok(failbackAt - takeoverAt >= stablePeriodS * 1000, 'failed back before the stable period');
  assertNeverBoth(samples, 'crash and failback');
  const slaveAnswered = samples.filter((s) => s.slave);
  assert.ok(slaveAnswered.length > 0);
  assert.ok(slaveAnswered.every((s) => !s.master), 'the master ran telephony while the slave was active');

  const copied = await readNodeFile('master', message);
  const dnd = (await execOk('master', [...PSQL, `SELECT enablednd FROM userfeatures WHERE uuid = '${uuid}'`])).trim();
  const seen = `copy-back: ${JSON.stringify((done as unknown as { copyback?: unknown }).copyback)}; failed actions: ${JSON.stringify((done as unknown as { failed_actions?: unknown }).failed_actions)}`;
  assert.equal(copied, 'callerid=lab\n', `the voicemail message is not on the master; ${seen}`);
  assert.equal(dnd, '1', `the DND set on the slave is not on the master; ${seen}`);
});

// XiVO's own timing (a round of 3 probes 10 s apart every 60 s) takes minutes
// per run: measured on demand, for the README's figure, not in every CI run.
test('1 (default profile). master link cut: the slave answers SIP within the 5-minute promise (measured)', {
  skip: process.env['XIVO_HA_DEFAULT_PROFILE'] === '1' ? false : 'set XIVO_HA_DEFAULT_PROFILE=1 to run (several minutes)',
}, async () => {
  await waitStandby(120_000, true);
  const defaultInventory = (await writeInventory('xivo', { outDir: dir, profile: 'default' })).inventory;
  await applyTwice(defaultInventory);
  await waitStandby(120_000);
  const cut = Date.now();
  await cutLink('master');
  try {
    await waitFor('the slave answering', 300_000, () => nodeAnswersSip('slave'));
    console.log(`takeover (default profile, master link cut): the slave answers SIP ${((Date.now() - cut) / 1000).toFixed(1)} s after the cut`);
  } finally {
    await execOn('master', ['systemctl', 'stop', 'asterisk.service']);
    await revive('master');
  }
});
