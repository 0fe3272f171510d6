// Acceptance of the lab (issue 3). Runs against the shared lab (all six
// nodes); every test undoes what it changed on the nodes. The last test
// brings up other node sets, takes the lab down, checks nothing is left, and
// brings all six nodes up again for the files that run after this one.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  cutLink, ensureLab, resetNodes, execOk, execOn, findLabLeftovers, labDown, labUp, mdsRegistrations, powerOff, readNodeFile, revive, sipAnswers, sshOn,
  addressPattern, knownHostsFile, nodeAddress, runnerKey, writeInventory,
} from '../helpers/lab.js';
import { labStatus, setLinkLoss } from '../../src/lab/lab.js';
import { runLocal } from '../../src/lab/exec.js';
import { readFileSync, rmSync } from 'node:fs';
import { stateFile } from '../../src/lab/paths.js';
import { builtCli } from '../helpers/cli-path.js';

const NODES = ['master', 'slave', 'cc-master', 'cc-slave', 'mds1', 'edge'];

before(async () => {
  await ensureLab();
});

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what}: not true after ${timeoutMs / 1000} s`);
}

/** TCP connect from a node, with a timeout: true when the port accepts. */
async function tcpOpen(from: string, address: string, port: number): Promise<boolean> {
  const script = 'import socket,sys\ns=socket.socket();s.settimeout(2)\ntry:\n s.connect((sys.argv[1],int(sys.argv[2])))\nexcept OSError:\n sys.exit(1)';
  return (await execOn(from, ['python3', '-c', script, address, String(port)])).code === 0;
}

test('`lab build` with the base image cached builds nothing and prints the image the running nodes are made of', async () => {
  // Not xivoHa(): its --no-color belongs to the run commands, and lab build takes no option.
  const r = await runLocal([process.execPath, builtCli(), 'lab', 'build']);
  assert.equal(r.code, 0, r.stderr);
  const path = r.stdout.trim();
  assert.match(path, /^\/var\/cache\/xivo-ha-lab\/base-[0-9a-f]+$/);
  assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).base, path);
  assert.doesNotMatch(r.stderr, /building/);
});

test('reaches every node over SSH from the runner, each with its own hostname and machine-id', async () => {
  const ids = new Set<string>();
  for (const node of NODES) {
    const r = await sshOn(node, ['sh', '-c', 'hostname; cat /etc/machine-id']);
    assert.equal(r.code, 0, `${node}: ${r.stderr}`);
    const [hostname, machineId] = r.stdout.trim().split('\n');
    assert.equal(hostname, node);
    ids.add(machineId ?? '');
  }
  assert.equal(ids.size, NODES.length);
});

test('lets the master ssh to the slave with a key installed for the test', async () => {
  const key = '/root/.ssh/lab_test_key';
  try {
    await execOk('master', ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const pub = await readNodeFile('master', `${key}.pub`);
    await execOk('slave', ['sh', '-c', 'cat >> /root/.ssh/authorized_keys'], { stdin: pub });
    await execOk('master', ['sh', '-c', 'cat > /root/.ssh/known_hosts'], { stdin: readFileSync(knownHostsFile, 'utf8') });
    const r = await execOn('master', ['ssh', '-i', key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', 'root@slave', 'hostname']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'slave');
  } finally {
    await execOn('master', ['rm', '-f', key, `${key}.pub`, '/root/.ssh/known_hosts']);
    await execOn('slave', ['sed', '-i', '/root@master/d', '/root/.ssh/authorized_keys']);
  }
});

test('pings the master from the slave', async () => {
  await execOk('slave', ['ping', '-c', '1', '-W', '2', 'master']);
});

test('keeps a file written on one node off every other node', async () => {
  const path = `/root/lab-probe-${randomBytes(4).toString('hex')}`;
  try {
    assert.equal((await sshOn('master', ['touch', path])).code, 0);
    assert.equal((await execOn('master', ['test', '-e', path])).code, 0);
    for (const node of NODES.filter((n) => n !== 'master')) {
      assert.equal((await execOn(node, ['test', '-e', path])).code, 1, `${path} visible on ${node}`);
    }
  } finally {
    await execOn('master', ['rm', '-f', path]);
  }
});

test('fires a transient systemd timer on a node', async () => {
  const flag = `/root/timer-fired-${randomBytes(4).toString('hex')}`;
  try {
    await execOk('slave', ['systemd-run', '--quiet', '--on-active=1', '--', '/usr/bin/touch', flag]);
    await eventually('the timer touched its file', async () => (await execOn('slave', ['test', '-e', flag])).code === 0, 15_000);
  } finally {
    await execOn('slave', ['rm', '-f', flag]);
  }
});

test('makes a killed master unreachable from the slave (ICMP and TCP) while exec still enters it, and revive restores it', async () => {
  try {
    await cutLink('master');
    assert.notEqual((await execOn('slave', ['ping', '-c', '1', '-W', '1', 'master'])).code, 0, 'master still answers ping');
    assert.equal(await tcpOpen('slave', nodeAddress('master'), 22), false, 'master still accepts TCP 22');
    assert.equal((await execOk('master', ['hostname'])).trim(), 'master');
  } finally {
    await revive('master');
  }
  await execOk('slave', ['ping', '-c', '1', '-W', '2', 'master']);
  assert.equal(await tcpOpen('slave', nodeAddress('master'), 22), true);
});

test('powers the master off with kill --hard and boots it with its disk kept on revive', async () => {
  const path = '/root/kept-across-power-off';
  await execOk('master', ['sh', '-c', `echo kept > ${path}`]);
  try {
    await powerOff('master');
    const status = await labStatus();
    assert.equal(status?.find((n) => n.name === 'master')?.running, false);
    await assert.rejects(execOn('master', ['true']), /not running/);
    await revive('master');
    assert.equal((await readNodeFile('master', path)).trim(), 'kept');
    assert.equal((await sshOn('master', ['systemctl', 'is-active', 'postgresql@15-main'])).stdout.trim(), 'active');
  } finally {
    await execOn('master', ['rm', '-f', path]);
  }
});

test('answers SIP OPTIONS only while telephony runs, and xivo-service disable keeps it down', async () => {
  assert.equal(await sipAnswers('slave', 'master'), true);
  try {
    await execOk('master', ['xivo-service', 'stop']);
    assert.equal(await sipAnswers('slave', 'master'), false);
    await execOk('master', ['xivo-service', 'disable']);
    await execOk('master', ['xivo-service', 'start']);
    assert.equal(await sipAnswers('slave', 'master'), false);
    await execOk('master', ['xivo-service', 'enable']);
    await execOk('master', ['xivo-service', 'start']);
    assert.equal(await sipAnswers('slave', 'master'), true);
  } finally {
    await execOn('master', ['xivo-service', 'enable']);
    await execOn('master', ['xivo-service', 'start']);
  }
});

test('serves the asterisk database from PostgreSQL on localhost only, on XiVO nodes only', async () => {
  const version = await execOk('master', ['su', 'postgres', '-c', 'psql -tA -d asterisk -c "SELECT version_num FROM alembic_version"']);
  assert.equal(version.trim(), 'a1b2c3d4e5f6');
  const owner = await execOk('slave', ['su', 'postgres', '-c', "psql -tA -c \"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'asterisk'\""]);
  assert.equal(owner.trim(), 'asterisk');
  assert.equal(await tcpOpen('slave', nodeAddress('master'), 5432), false, 'PostgreSQL listens beyond localhost');
  assert.notEqual((await execOn('cc-master', ['systemctl', 'is-active', 'postgresql@15-main'])).stdout.trim(), 'active');
});

test('records on the MDS the trunk registrations a XiVO node sends while its telephony runs', async () => {
  const conf = '/etc/asterisk/lab-registrations.conf';
  const original = await readNodeFile('slave', conf);
  try {
    await execOk('slave', ['sh', '-c', `echo 'register => main@mds1' >> ${conf}`]);
    await execOk('slave', ['xivo-service', 'restart']);
    await eventually('mds1 holds a binding for main from the slave', async () => (await mdsRegistrations()).bindings['main']?.source.startsWith(`${nodeAddress('slave')}:`) === true);
    await execOk('slave', ['xivo-service', 'stop']);
    await eventually('the binding is gone after the slave unregistered', async () => (await mdsRegistrations()).bindings['main'] === undefined);
  } finally {
    await execOk('slave', ['sh', '-c', `cat > ${conf}`], { stdin: original });
    await execOn('slave', ['xivo-service', 'start']);
  }
});

test('logs xuc restarts on CC nodes and what Edge read on relaunch', async () => {
  const before = (await readNodeFile('cc-slave', '/var/log/xivocc/xuc-starts.log')).split('\n').filter(Boolean).length;
  await execOk('cc-slave', ['xivocc-dcomp', 'restart', 'xuc']);
  await eventually('a new xuc start is logged', async () => (await readNodeFile('cc-slave', '/var/log/xivocc/xuc-starts.log')).split('\n').filter(Boolean).length === before + 1);
  assert.match(await readNodeFile('cc-slave', '/var/log/xivocc/xuc-starts.log'), new RegExp(`start xivo_host=${addressPattern(nodeAddress('slave'))}\\n$`));
  await execOk('edge', ['edge-relaunch']);
  const last = JSON.parse((await readNodeFile('edge', '/var/log/xivo-ha-lab/edge-relaunch.log')).trim().split('\n').pop() ?? '{}') as { env?: Record<string, string> };
  assert.equal(last.env?.['XIVO_HOST'], nodeAddress('master'));
  assert.equal((await execOn('edge', ['systemctl', 'is-active', 'coturn'])).stdout.trim(), 'inactive');
});

test('writes an inventory whose known_hosts lets ssh verify every node', async () => {
  const files = await writeInventory('cc', { edge: true });
  const text = readFileSync(files.inventory, 'utf8');
  assert.match(text, /deployment: cc/);
  assert.match(text, new RegExp(`cc-slave:\\n\\s+role: cc\\n\\s+pairs_with: slave\\n\\s+address: ${addressPattern(nodeAddress('cc-slave'))}`));
  for (const n of files.nodes) {
    const ssh = await runLocal(['ssh', '-i', runnerKey, '-o', `UserKnownHostsFile=${files.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${n.address}`, 'true']);
    assert.equal(ssh.code, 0, `${n.name}: ${ssh.stderr}`);
  }
});

test('drops a share of a lossy link\'s packets, and none once the loss is removed', async () => {
  const received = async (): Promise<number> => {
    const r = await execOn('slave', ['ping', '-q', '-c', '40', '-i', '0.02', '-W', '1', 'master']);
    return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? -1);
  };
  try {
    await setLinkLoss('master', 50);
    const lossy = await received();
    assert.ok(lossy > 0 && lossy < 38, `${lossy} of 40 pings came back through a 50 % lossy link`);
  } finally {
    await setLinkLoss('master', 0);
  }
  assert.equal(await received(), 40);
});

test('gives a reset node a fresh disk with the same SSH host keys', async () => {
  const path = '/root/gone-after-reset';
  await execOk('slave', ['touch', path]);
  await resetNodes('slave');
  assert.equal((await execOn('slave', ['test', '-e', path])).code, 1);
  const r = await sshOn('slave', ['hostname']);
  assert.equal(r.code, 0, `the slave's host key changed: ${r.stderr}`);
  assert.equal(await sipAnswers('master', 'slave'), true);
});

const NOTHING_LEFT = { netns: [], links: [], mounts: [], cgroups: [], processes: [], nspawn: [], lossTables: [] };

test('brings up the cc + edge and the xds node sets, and leaves nothing behind after down, even when its state file was lost', async () => {
  try {
    const cc = await labUp({ deployment: 'cc', edge: true });
    assert.deepEqual(cc.nodes.map((n) => n.name), ['master', 'slave', 'cc-master', 'cc-slave', 'edge']);
    assert.equal((await sshOn('edge', ['hostname'])).stdout.trim(), 'edge');
    // up cleans the lab it finds first: here the cc one.
    const xds = await labUp({ deployment: 'xds' });
    assert.deepEqual(xds.nodes.map((n) => n.name), ['master', 'slave', 'mds1']);
    assert.equal((await sshOn('mds1', ['hostname'])).stdout.trim(), 'mds1');
    assert.equal(await tcpOpen('master', nodeAddress('cc-master'), 22), false, 'a cc node survived the new up');
    // As after a crash: down must find everything by name.
    await setLinkLoss('mds1', 10);
    rmSync(stateFile);
    await labDown();
    assert.deepEqual(await findLabLeftovers(), NOTHING_LEFT);
  } finally {
    await labUp({ allNodes: true });
  }
});
