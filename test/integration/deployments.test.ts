// Issue 7 acceptance 1-4 on the lab (all nodes, fast profile): the cc, cc +
// Edge and xds inventories provision and re-apply with 0 changes; a cut master
// link makes the slave's monitor restart xuc on the CC slave after the slave's
// telephony is up, register the Main's trunk with the MDS from the slave, and
// switch Edge to the slave; failback reverses it; coturn accepts credentials
// derived from the TURN secret; the secret is in no output, diff, JSON or log.
// The MDS asks the Main's REGISTER for digest credentials (the inventory
// secret mds_trunk_password), as an Asterisk MDS with an auth section does.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { cutLink, ensureLab, execOn, mdsRegistrations, nodeAddress, readNodeFile, resetNodes, revive, sipAnswers, writeInventory } from '../helpers/lab.js';
import { applyTwice, taskResults, xivoHa, type CliResult } from '../helpers/xivo-ha-cli.js';
import { waitFor } from '../helpers/wait.js';
import { registerSecret } from '../helpers/suite-record.js';

const NODES = ['master', 'slave', 'cc-master', 'cc-slave', 'mds1', 'edge'];
const STATE = '/var/lib/xivo-ha/monitor-state.json';
const BOUND_MS = 90_000;
const MASTER = nodeAddress('master');
const SLAVE = nodeAddress('slave');
const MDS_TRUNK_PASSWORD = `mds-${randomBytes(12).toString('hex')}`;
/** Where the lab's MDS registrar finds the credentials it asks for (docs/lab.md). */
const MDS_REGISTRAR_AUTH = '/etc/xivo-ha-lab/mds-auth.json';

let dir: string;
const inventories: Record<'cc' | 'cc-edge' | 'xds', string> = { cc: '', 'cc-edge': '', xds: '' };
/** Every CLI run of this file, for the secret scan. */
const outputs: Record<string, CliResult> = {};

interface ActionRecord { phase: string; argv: string[]; rc: number; at: string }
interface MonitorState { state: string; grace_until?: number | null; counters: { takeovers: number; failbacks: number }; last_actions: ActionRecord[]; failed_actions: ActionRecord[] }

async function slaveState(): Promise<MonitorState> {
  return JSON.parse(await readNodeFile('slave', STATE)) as MonitorState;
}

async function cli(label: string, args: string[]): Promise<CliResult> {
  const r = await xivoHa(args);
  outputs[label] = r;
  return r;
}

/** Apply, apply again (0 changes), plan --detailed-exitcode (0): each output kept for the secret scan. */
async function applyTwiceKept(name: keyof typeof inventories): Promise<void> {
  const inv = inventories[name];
  const valid = await cli(`validate ${name}`, ['validate', '-i', inv]);
  assert.equal(valid.code, 0, valid.stdout + valid.stderr);
  const first = await cli(`apply ${name}`, ['apply', '-i', inv, '--json']);
  assert.equal(first.code, 0, `${name}: first apply failed:\n${first.stderr}\n${first.stdout.slice(-3000)}`);
  const second = await cli(`re-apply ${name}`, ['apply', '-i', inv, '--json']);
  assert.equal(second.code, 0, `${name}: second apply failed:\n${second.stderr}`);
  const changed = taskResults(second.stdout).filter((r) => r.status === 'changed').map((r) => `${r.host}: ${r.task}`);
  assert.deepEqual(changed, [], `${name}: the second apply changed something`);
  const plan = await cli(`plan ${name}`, ['plan', '-i', inv, '-v', '--detailed-exitcode']);
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
}

/** Standby with the master answering SIP and past the failback grace: where each scenario starts. */
async function waitStandby(): Promise<void> {
  await waitFor('standby with the master answering', 180_000, async () => {
    const s = await slaveState().catch(() => undefined);
    if (typeof s?.grace_until === 'number' && s.grace_until * 1000 > Date.now()) return false;
    return s?.state === 'standby' && (await sipAnswers('mds1', 'master'));
  });
}

/** Cuts the master's link until the slave is active, then revives it and waits for the automatic failback. */
async function takeoverThenFailback(onActive: () => Promise<void>): Promise<MonitorState> {
  await waitStandby();
  const failbacks = (await slaveState()).counters.failbacks;
  await cutLink('master');
  try {
    await waitFor('the slave active with its after_takeover actions run', BOUND_MS, async () => {
      const s = await slaveState().catch(() => undefined);
      const expected = (await configuredActions())['after_takeover']!.length;
      return s?.state === 'active' && s.last_actions.filter((a) => a.phase === 'after_takeover').length >= expected;
    });
    await onActive();
  } finally {
    await revive('master');
  }
  return waitFor('the automatic failback with its after_failback actions run', 180_000, async () => {
    const s = await slaveState().catch(() => undefined);
    const expected = (await configuredActions())['after_failback']!.length;
    return s?.state === 'standby' && s.counters.failbacks > failbacks && s.last_actions.filter((a) => a.phase === 'after_failback').length >= expected ? s : undefined;
  });
}

/** The actions of each phase in the slave's cluster.json. */
async function configuredActions(): Promise<Record<string, unknown[]>> {
  return (JSON.parse(await readNodeFile('slave', '/etc/xivo-ha/cluster.json')) as { actions: Record<string, unknown[]> }).actions;
}

function envOf(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

async function edgeRelaunches(): Promise<number> {
  return (await readNodeFile('edge', '/var/log/xivo-ha-lab/edge-relaunch.log')).split('\n').filter(Boolean).length;
}

async function xucStarts(): Promise<string[]> {
  return (await readNodeFile('cc-slave', '/var/log/xivocc/xuc-starts.log')).split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
}

function turnSecret(): string {
  return readFileSync(join(dir, 'turn_secret'), 'utf8').trim();
}

before(async () => {
  await ensureLab(NODES);
  await resetNodes(...NODES);
  dir = mkdtempSync(join(tmpdir(), 'xivo-ha-deployments-'));
  inventories.cc = (await writeInventory('cc', { outDir: dir, profile: 'fast' })).inventory;
  inventories['cc-edge'] = (await writeInventory('cc', { outDir: dir, profile: 'fast', edge: true })).inventory;
  inventories.xds = (await writeInventory('xds', { outDir: dir, profile: 'fast' })).inventory;
  // The trunk's password: a secret of the xds inventory, and what mds1's registrar asks for.
  registerSecret(MDS_TRUNK_PASSWORD, 'MDS trunk password of the xds lab inventory');
  writeFileSync(join(dir, 'mds_trunk_password'), `${MDS_TRUNK_PASSWORD}\n`, { mode: 0o600 });
  const xds = parse(readFileSync(inventories.xds, 'utf8')) as Record<string, unknown>;
  xds['secrets'] = { ...(xds['secrets'] as object | undefined), mds_trunk_password: { file: './mds_trunk_password' } };
  writeFileSync(inventories.xds, stringify(xds));
  const auth = JSON.stringify({ username: 'main', password: MDS_TRUNK_PASSWORD });
  const wrote = await execOn('mds1', ['sh', '-c', 'umask 077 && mkdir -p "${1%/*}" && printf "%s" "$2" > "$1"', 'write', MDS_REGISTRAR_AUTH, auth]);
  assert.equal(wrote.code, 0, wrote.stderr);
});

after(async () => {
  await revive('master').catch(() => undefined);
  // Later files' MDS registrations are not challenged.
  await execOn('mds1', ['rm', '-f', MDS_REGISTRAR_AUTH]).catch(() => undefined);
  // No reset: the next file to use these nodes resets or checks them itself.
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('1. the cc, cc + Edge and xds inventories validate, apply, re-apply with 0 changes, and plan nothing', async () => {
  await applyTwiceKept('cc');
  await applyTwiceKept('cc-edge');
  await applyTwiceKept('xds');
  // The slave's monitor got the deployment's actions, in order (docs/deployments.md).
  const config = JSON.parse(await readNodeFile('slave', '/etc/xivo-ha/cluster.json')) as { actions: Record<string, string[][]> };
  const auth = ['--auth-file', '/etc/xivo-ha/mds-auth.json'];
  assert.deepEqual(config.actions['after_takeover'], [['/usr/local/sbin/xivo-ha-mds-register', '--contact', SLAVE, ...auth, nodeAddress('mds1')]]);
  assert.deepEqual(config.actions['after_failback'], [['/usr/local/sbin/xivo-ha-mds-register', '--contact', MASTER, ...auth, nodeAddress('mds1')]]);
  for (const node of ['master', 'slave']) {
    assert.equal((await execOn(node, ['stat', '-c', '%a %U', '/etc/xivo-ha/mds-auth.json'])).stdout.trim(), '600 root', node);
  }
});

test('2 (xds). master link cut: the MDS, which asks for credentials, sees the slave as the registered Main; failback gives it back to the master; the password is in no output or node log', async () => {
  const done = await takeoverThenFailback(async () => {
    const regs = await mdsRegistrations('mds1');
    assert.equal(regs.bindings['main']?.contact, `<sip:main@${SLAVE}:5060>`, JSON.stringify(regs.bindings));
    assert.equal(regs.bindings['main']?.source.split(':')[0], SLAVE);
    assert.equal(regs.bindings['main']?.authenticated, true, 'registered with the trunk credentials');
  });
  assert.deepEqual(done.failed_actions, []);
  const regs = await mdsRegistrations('mds1');
  assert.equal(regs.bindings['main']?.contact, `<sip:main@${MASTER}:5060>`, JSON.stringify(regs.bindings));
  assert.equal(regs.bindings['main']?.authenticated, true);
  for (const [label, r] of Object.entries(outputs)) {
    assert.ok(!r.stdout.includes(MDS_TRUNK_PASSWORD) && !r.stderr.includes(MDS_TRUNK_PASSWORD), `${label} shows the MDS trunk password`);
  }
  for (const node of ['master', 'slave']) {
    const grep = await execOn(node, ['sh', '-c', 'grep -rlF -- "$1" /var/log /var/lib/xivo-ha 2>/dev/null; true', 'scan', MDS_TRUNK_PASSWORD]);
    assert.equal(grep.stdout.trim(), '', `${node}: the MDS trunk password is in ${grep.stdout.trim()}`);
  }
});

test('2 and 3 (cc + Edge). master link cut: xuc restarts on the CC slave after the slave\'s telephony, Edge is switched to the slave and relaunched, coturn accepts the secret\'s credentials; failback reverses it all', async () => {
  const apply = await cli('apply cc-edge again', ['apply', '-i', inventories['cc-edge']]);
  assert.equal(apply.code, 0, apply.stdout + apply.stderr);
  const relaunchesBefore = await edgeRelaunches();
  const ccMasterRestarts = (await readNodeFile('cc-master', '/var/log/xivocc/xivocc-dcomp.log')).split('\n').filter(Boolean).length;
  const done = await takeoverThenFailback(async () => {
    const s = await slaveState();
    assert.deepEqual(s.failed_actions, [], JSON.stringify(s.failed_actions));
    // Order: telephony (takeover phase), then CC, then Edge.
    const phases = s.last_actions.map((a) => `${a.phase} ${a.argv.at(-1)}`);
    assert.deepEqual(phases.filter((p) => p.startsWith('after_takeover')), ['after_takeover restart-xuc', 'after_takeover switch slave']);
    const telephonyUp = Date.parse(s.last_actions.find((a) => a.phase === 'takeover' && a.argv.join(' ') === 'xivo-service start')!.at);
    const starts = await xucStarts();
    assert.ok(Date.parse(starts.at(-1)!) > telephonyUp, `xuc last started ${starts.at(-1)}, the slave's telephony at ${new Date(telephonyUp).toISOString()}`);
    const env = envOf(await readNodeFile('edge', '/etc/docker/edge/.env'));
    assert.deepEqual(env, { XIVO_HOST: SLAVE, XIVOCC_HOST: nodeAddress('cc-slave'), TURN_ALLOWED_PEERS: SLAVE, XIVO_MDS_HOST_DEFAULT: SLAVE });
    assert.ok((await edgeRelaunches()) > relaunchesBefore, 'Edge was not relaunched');
    const relaunched = JSON.parse((await readNodeFile('edge', '/var/log/xivo-ha-lab/edge-relaunch.log')).trim().split('\n').at(-1)!) as { env: Record<string, string> };
    assert.equal(relaunched.env['XIVO_HOST'], SLAVE);
    // 3. coturn's own client, with credentials derived from the shared secret (TURN REST API), from the slave.
    const turn = await execOn('slave', ['timeout', '20', 'turnutils_uclient', '-W', turnSecret(), '-u', 'probe', '-n', '1', '-m', '1', '-y', '-c', nodeAddress('edge')], { timeoutMs: 30_000 });
    assert.equal(turn.code, 0, turn.stdout.slice(-500) + turn.stderr.slice(-500));
    const wrong = await execOn('slave', ['timeout', '20', 'turnutils_uclient', '-W', 'not-the-turn-secret', '-u', 'probe', '-n', '1', '-m', '1', '-y', '-c', nodeAddress('edge')], { timeoutMs: 30_000 });
    assert.notEqual(wrong.code, 0, 'coturn accepted a wrong secret');
    // Every step is in xivo-ha status.
    const status = await cli('status active', ['status', '-i', inventories['cc-edge']]);
    assert.match(status.stdout, /after_takeover .*restart-xuc.*rc 0/);
    assert.match(status.stdout, /after_takeover .*switch slave.*rc 0/);
  });
  assert.deepEqual(done.failed_actions, [], JSON.stringify(done.failed_actions));
  assert.deepEqual(done.last_actions.filter((a) => a.phase === 'after_failback').map((a) => a.argv.at(-1)), ['switch master', 'restart-xuc']);
  const env = envOf(await readNodeFile('edge', '/etc/docker/edge/.env'));
  assert.deepEqual(env, { XIVO_HOST: MASTER, XIVOCC_HOST: nodeAddress('cc-master'), TURN_ALLOWED_PEERS: MASTER, XIVO_MDS_HOST_DEFAULT: MASTER });
  const relaunched = JSON.parse((await readNodeFile('edge', '/var/log/xivo-ha-lab/edge-relaunch.log')).trim().split('\n').at(-1)!) as { env: Record<string, string> };
  assert.equal(relaunched.env['XIVO_HOST'], MASTER);
  assert.ok((await readNodeFile('cc-master', '/var/log/xivocc/xivocc-dcomp.log')).split('\n').filter(Boolean).length > ccMasterRestarts, 'xuc was not restarted on the CC master');
  const status = await cli('status standby', ['status', '-i', inventories['cc-edge'], '--json']);
  assert.equal(status.code, 0, status.stderr);
});

test('4. the TURN secret is in no output, diff, JSON event or node log, and its files are root-only', async () => {
  const secret = turnSecret();
  assert.ok(Object.keys(outputs).length >= 10, `only ${Object.keys(outputs).length} runs recorded`);
  for (const [label, r] of Object.entries(outputs)) {
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${label} shows the TURN secret`);
  }
  // Logs and state on every node: the programs' logs, the lab's stand-ins, the journal, the monitor's state.
  for (const node of NODES) {
    const grep = await execOn(node, ['sh', '-c', 'journalctl --no-pager -q 2>/dev/null | grep -cF -- "$1"; grep -rlF -- "$1" /var/log /var/lib/xivo-ha /var/lib/xivo-ha-lab 2>/dev/null; true', 'scan', secret]);
    assert.equal(grep.stdout.trim(), '0', `${node}: the TURN secret is in ${grep.stdout.trim()}`);
  }
  for (const [node, path, mode] of [['edge', '/etc/turnserver.conf', '640 root turnserver'], ['edge', '/etc/xivo-ha/edge-switch.json', '600 root root'], ['slave', '/etc/xivo-ha/edge.json', '600 root root'], ['cc-slave', '/etc/xivo-ha/edge.json', '600 root root']] as const) {
    assert.equal((await execOn(node, ['stat', '-c', '%a %U %G', path])).stdout.trim(), mode, `${node}:${path}`);
  }
});

test('5. disabling HA on the cc + Edge inventory takes back the slave\'s CC and Edge actions: the slave\'s old keys are refused, programs and settings are gone; on the xds inventory each MDS knows the master alone as the Main', async () => {
  // The slave's action keys, kept aside to try them once HA is off.
  await execOn('slave', ['sh', '-c', 'cp /root/.ssh/xivo_ha_cc /root/old-cc-key && cp /root/.ssh/xivo_ha_edge /root/old-edge-key']);
  const useOldKey = (key: string, node: string, command: string) => execOn('slave', ['ssh', '-i', key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', `root@${nodeAddress(node)}`, command], { timeoutMs: 30_000 });
  // Before, the key works (else the test below proves nothing); the Edge is
  // on the master's side already, so this switch changes nothing.
  assert.equal((await useOldKey('/root/old-edge-key', 'edge', 'switch master')).code, 0);
  const off = join(dir, 'cc-edge-off.yml');
  const text = readFileSync(inventories['cc-edge'], 'utf8');
  assert.match(text, /enabled: true/);
  writeFileSync(off, text.replace('enabled: true', 'enabled: false'));
  await applyTwice(off);
  for (const [key, node, command] of [['/root/old-cc-key', 'cc-slave', 'restart-xuc'], ['/root/old-cc-key', 'cc-master', 'restart-xuc'], ['/root/old-edge-key', 'edge', 'switch master']] as const) {
    const r = await useOldKey(key, node, command);
    assert.notEqual(r.code, 0, `${node} still runs "${command}" for the former slave`);
    assert.match(r.stderr, /Permission denied/);
  }
  for (const node of ['cc-master', 'cc-slave', 'edge']) {
    assert.doesNotMatch(await readNodeFile(node, '/root/.ssh/authorized_keys'), /xivo-ha-(cc-action|edge-switch)/);
    for (const path of ['/etc/xivo-ha', '/usr/local/sbin/xivo-ha-cc-action', '/usr/local/sbin/xivo-ha-edge-switch']) {
      assert.equal((await execOn(node, ['test', '-e', path])).code, 1, `${node}:${path} is still there`);
    }
  }
  for (const node of ['master', 'slave']) {
    assert.doesNotMatch((await execOn(node, ['ls', '/root/.ssh'])).stdout, /xivo_ha_(cc|edge)/);
    assert.equal((await execOn(node, ['test', '-e', '/usr/local/sbin/xivo-ha-mds-register'])).code, 1);
  }
  await execOn('slave', ['rm', '-f', '/root/old-cc-key', '/root/old-edge-key']);

  const mainOf = async () => (JSON.parse(await readNodeFile('mds1', '/etc/xivo-ha/main.json')) as { addresses: string[] }).addresses;
  assert.deepEqual(await mainOf(), [nodeAddress('master'), nodeAddress('slave')], 'xds.yml gave the MDS both nodes');
  const xdsOff = join(dir, 'xds-off.yml');
  const xdsText = readFileSync(inventories.xds!, 'utf8');
  assert.match(xdsText, /enabled: true/);
  writeFileSync(xdsOff, xdsText.replace('enabled: true', 'enabled: false'));
  await applyTwice(xdsOff);
  assert.deepEqual(await mainOf(), [nodeAddress('master')], 'the former slave may still register as the Main');
});
