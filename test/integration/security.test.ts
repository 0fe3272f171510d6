// Security (issue 9): a secret canary never leaks (output streams, JSON
// events, diffs, errors, files the tool writes); host keys are pinned; secret
// files land root-only; no private key reaches the workstation. A login user
// other than root works through `sudo -n`, and only with sudo rights.
//
// Uses cc-master and cc-slave (a XiVO cc inventory whose plays target `cc`).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, execOn, findNode, knownHostsFile, runnerKey, runnerPublicKey } from '../helpers/lab.js';
import { connectSsh } from '../../src/transport/ssh.js';
import { loadInventory } from '../../src/load/inventory.js';
import { describeFindings, makeCanary, PRIVATE_KEY_MARKER, scanFiles, scanTexts } from '../helpers/canary.js';
import { createWorkspace, describeRun, runCli, summaries, writeClusterInventory, type CliRun, type Workspace } from '../fixtures/faults/workspace.js';

const NODES = ['cc-master', 'cc-slave'];
const SECRET_ENV = 'XIVO_HA_FAULTS_CANARY';
const SECRET_DIR = '/etc/xivo-ha-faults';
const packageRoot = join(import.meta.dirname, '..', '..');
const canary = makeCanary('the security suite\'s inventory secret');
const env = { [SECRET_ENV]: canary };
let ws: Workspace;
let inventory: string;
const started = Date.now();

before(async () => {
  await ensureLab(['cc-master', 'cc-slave', 'edge']);
  ws = createWorkspace(NODES.map((name) => ({ name })));
  inventory = writeClusterInventory(ws, SECRET_ENV);
});

/** Login users of the sudo test on cc-master: `ops` may sudo anything without a password, `nosudo` may not sudo. */
const SUDO_USERS = ['ops', 'nosudo'];
const SUDO_FILE = '/root/xivo-ha-sudo-test';

after(async () => {
  try {
    await Promise.allSettled(NODES.map((n) => execOn(n, ['rm', '-rf', SECRET_DIR])));
    await execOn('cc-master', ['sh', '-c', `for u in ${SUDO_USERS.join(' ')}; do userdel -r "$u" 2>/dev/null; done; rm -f /etc/sudoers.d/xivo-ha-test-ops ${SUDO_FILE}; true`]);
  } finally {
    ws?.remove();
  }
});

const secretRun = (command: 'plan' | 'apply', generation: number, extra: string[] = []) =>
  runCli([command, '-i', inventory, join(ws.dir, 'secret.yml'), '-e', `generation=${generation}`, ...extra], { env });

function streams(runs: Record<string, CliRun>): Record<string, string> {
  return Object.fromEntries(Object.entries(runs).flatMap(([label, r]) => [[`${label} stdout`, r.stdout], [`${label} stderr`, r.stderr]]));
}

test('never shows the secret canary in any output, JSON event, diff, error or file the tool writes; the next apply converges', async () => {
  const runs: Record<string, CliRun> = {};
  runs['apply json'] = await secretRun('apply', 1, ['--json']);
  assert.equal(runs['apply json'].code, 0, describeRun(runs['apply json']));
  // A new generation changes the secret file: the diffs of plan (human and JSON) and apply must hide it.
  runs['plan human'] = await secretRun('plan', 2, ['-v']);
  runs['plan json'] = await secretRun('plan', 2, ['--json']);
  assert.match(runs['plan json'].stdout, /sensitive content hidden/, 'the secret file\'s diff is hidden');
  runs['apply human'] = await secretRun('apply', 2, ['-v']);
  assert.equal(runs['apply human'].code, 0, describeRun(runs['apply human']));
  // A failure whose command line and stderr carry the value.
  runs['leak json'] = await runCli(['apply', '-i', inventory, join(ws.dir, 'leak.yml'), '--json'], { env });
  runs['leak human'] = await runCli(['apply', '-i', inventory, join(ws.dir, 'leak.yml'), '-v'], { env });
  for (const label of ['leak json', 'leak human']) {
    assert.equal(runs[label]!.code, 3, describeRun(runs[label]!));
    assert.match(runs[label]!.stdout + runs[label]!.stderr, /cannot log in with \*{8}/, 'the error is shown, masked');
  }

  const inStreams = scanTexts(streams(runs), canary);
  assert.deepEqual(inStreams, [], `the canary leaked:\n${describeFindings(inStreams)}`);
  const inFiles = scanFiles([ws.dir, tmpdir(), join(packageRoot, '.lab')], canary, started);
  assert.deepEqual(inFiles, [], `the canary is in files on the workstation:\n${describeFindings(inFiles)}`);
  const keys = [...scanTexts(streams(runs), PRIVATE_KEY_MARKER), ...scanFiles([ws.dir], PRIVATE_KEY_MARKER, started)];
  assert.deepEqual(keys, [], `a private key reached the workstation:\n${describeFindings(keys)}`);

  const converge = await secretRun('apply', 2, ['--json']);
  assert.equal(converge.code, 0, describeRun(converge));
  for (const [host, s] of summaries(converge)) assert.equal(s.changed, 0, `${host} changed again`);
});

test('places the secret file 0600 root:root in a 0700 directory, and no other file on the node holds the secret', async () => {
  const run = await secretRun('apply', 3, ['--json']);
  assert.equal(run.code, 0, describeRun(run));
  for (const node of NODES) {
    const st = await execOn(node, ['stat', '-c', '%a %U %G %n', SECRET_DIR, `${SECRET_DIR}/secret.conf`]);
    assert.equal(st.stdout, `700 root root ${SECRET_DIR}\n600 root root ${SECRET_DIR}/secret.conf\n`);
    const holders = await execOn(node, ['grep', '-rlsF', '--exclude-dir=proc', '--exclude-dir=sys', canary, '/etc', '/srv', '/var', '/tmp', '/root', '/run']);
    assert.deepEqual(holders.stdout.split('\n').filter(Boolean), [`${SECRET_DIR}/secret.conf`], `${node}: files holding the secret`);
  }
  const again = await secretRun('apply', 3, ['--json']);
  assert.equal(again.code, 0, describeRun(again));
  for (const [host, s] of summaries(again)) assert.equal(s.changed, 0, `${host} changed again`);
});

/** known_hosts lines of a node, with its keys swapped for another node's keys of the same types. */
function forgedKnownHosts(victim: string, impostor: string): string {
  const lines = readFileSync(knownHostsFile, 'utf8').split('\n').filter(Boolean);
  const keyOf = new Map(lines.filter((l) => l.startsWith(`${impostor},`)).map((l) => [l.split(' ')[1]!, l.split(' ')[2]!]));
  return lines.map((l) => (l.startsWith(`${victim},`) ? `${l.split(' ')[0]} ${l.split(' ')[1]} ${keyOf.get(l.split(' ')[1]!)}` : l)).join('\n') + '\n';
}

function unreachable(run: CliRun, host: string): { reason: string; message: string } {
  const e = run.events.find((x) => x.type === 'host_unreachable' && x.host === host);
  assert.ok(e, `${host} should be refused: ${describeRun(run)}`);
  return { reason: String(e.reason), message: String(e.message) };
}

test('refuses a host whose key changed, by default and with --accept-new, and leaves known_hosts as it was', async () => {
  const forged = forgedKnownHosts('cc-master', 'edge');
  writeFileSync(ws.knownHosts, forged);
  try {
    for (const extra of [[], ['--accept-new']]) {
      const run = await secretRun('plan', 3, ['--json', ...extra]);
      assert.equal(run.code, 3, describeRun(run));
      const refused = unreachable(run, 'cc-master');
      assert.equal(refused.reason, 'host-key-mismatch');
      assert.match(refused.message, /host key CHANGED/);
      assert.equal(summaries(run).get('cc-slave')?.unreachable, false, 'the other host is not affected');
      assert.equal(readFileSync(ws.knownHosts, 'utf8'), forged, 'known_hosts untouched');
    }
  } finally {
    writeFileSync(ws.knownHosts, readFileSync(knownHostsFile, 'utf8'));
  }
});

test('refuses an unknown host without --accept-new, and with it records the key and connects', async () => {
  const { address } = findNode('cc-master');
  const without = readFileSync(knownHostsFile, 'utf8').split('\n').filter((l) => l && !l.startsWith('cc-master,')).join('\n') + '\n';
  writeFileSync(ws.knownHosts, without);
  try {
    const refused = await secretRun('plan', 3, ['--json']);
    assert.equal(refused.code, 3, describeRun(refused));
    assert.equal(unreachable(refused, 'cc-master').reason, 'host-key-unknown');
    assert.equal(readFileSync(ws.knownHosts, 'utf8'), without, 'nothing recorded without --accept-new');

    const accepted = await secretRun('plan', 3, ['--json', '--accept-new']);
    assert.equal(accepted.code, 0, describeRun(accepted));
    const recorded = readFileSync(ws.knownHosts, 'utf8').split('\n').filter((l) => l.split(' ')[0]?.split(',').includes(address));
    assert.equal(recorded.length, 1, 'one key recorded for the address');
    const labKeys = readFileSync(knownHostsFile, 'utf8').split('\n').filter((l) => l.startsWith('cc-master,')).map((l) => l.split(' ').slice(1).join(' '));
    assert.ok(labKeys.includes(recorded[0]!.split(' ').slice(1).join(' ')), 'the recorded key is the node\'s real key');
    const again = await secretRun('plan', 3, ['--json']);
    assert.equal(again.code, 0, `the recorded key is trusted next time: ${describeRun(again)}`);
  } finally {
    writeFileSync(ws.knownHosts, readFileSync(knownHostsFile, 'utf8'));
  }
});

test('a login user other than root works through sudo -n: the agent and exec commands run as root; without sudo rights the error says what is missing', async () => {
  const key = runnerPublicKey();
  const setup = await execOn('cc-master', ['sh', '-c', [
    'set -e',
    `for u in ${SUDO_USERS.join(' ')}; do id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"`,
    '  install -d -m 700 -o "$u" -g "$u" "/home/$u/.ssh"',
    '  printf "%s\\n" "$1" > "/home/$u/.ssh/authorized_keys"; chown "$u:$u" "/home/$u/.ssh/authorized_keys"; chmod 600 "/home/$u/.ssh/authorized_keys"; done',
    'printf "ops ALL=(ALL) NOPASSWD: ALL\\n" > /etc/sudoers.d/xivo-ha-test-ops; chmod 440 /etc/sudoers.d/xivo-ha-test-ops',
    `rm -f ${SUDO_FILE}`,
  ].join('\n'), 'setup', key]);
  assert.equal(setup.code, 0, setup.stderr);
  const address = findNode('cc-master').address;
  const inventoryFor = (user: string): string => {
    const path = join(ws.dir, `sudo-${user}.yml`);
    writeFileSync(path, ['all:', '  vars:', `    ansible_user: ${user}`, `    ansible_ssh_private_key_file: ${runnerKey}`, `    xivo_ha_known_hosts: ${ws.knownHosts}`,
      '  hosts:', `    cc-master: {ansible_host: ${address}}`, ''].join('\n'));
    return path;
  };
  const playbook = join(ws.dir, 'sudo.yml');
  writeFileSync(playbook, `- hosts: all\n  tasks:\n    - name: a file only root may write\n      copy: {dest: ${SUDO_FILE}, content: "written through sudo\\n", mode: "0600"}\n`);

  const apply = await runCli(['apply', '-i', inventoryFor('ops'), playbook, '--json']);
  assert.equal(apply.code, 0, describeRun(apply));
  assert.equal((await execOn('cc-master', ['stat', '-c', '%U %a', SUDO_FILE])).stdout.trim(), 'root 600');
  const again = await runCli(['plan', '-i', inventoryFor('ops'), playbook, '--detailed-exitcode']);
  assert.equal(again.code, 0, describeRun(again));

  // HostConnection.exec (the maintenance commands' path): through sudo, under the exec supervisor.
  const host = loadInventory(inventoryFor('ops')).hosts.get('cc-master')!;
  const conn = await connectSsh(host, { acceptNew: false });
  try {
    const id = await conn.exec(['id', '-u']);
    assert.deepEqual([id.rc, id.stdout.trim()], [0, '0']);
  } finally {
    await conn.close();
  }

  const refused = await runCli(['plan', '-i', inventoryFor('nosudo'), playbook, '--json']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stdout + refused.stderr, /passwordless sudo for nosudo/);
});
