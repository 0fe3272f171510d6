// Faults during apply (issue 9): a cut link, a killed runner, a node powered
// off, a full disk. Each fault strikes while the faults playbook writes a new
// generation of its files; afterwards every managed file must hold its old or
// its new content (never a mix), the other hosts must have finished, and the
// next apply must converge with a second one changing nothing.
//
// Uses cc-master, cc-slave and edge only: master and slave belong to other
// suites running on the shared lab.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cutLink, ensureLab, execOk, execOn, findNode, powerOff, revive, waitTcp } from '../helpers/lab.js';
import {
  applyGeneration, cleanNodes, createWorkspace, describeRun, halfWritten, MANAGED_DIR, runCli, snapshot, summaries,
  type CliEvent, type CliRun, type NodeSnapshot, type Workspace,
} from '../fixtures/faults/workspace.js';

const NODES = ['cc-master', 'cc-slave', 'edge'];
let ws: Workspace;
let generation = 1;

before(async () => {
  await ensureLab(NODES);
  ws = createWorkspace(NODES.map((name) => ({ name })));
  const first = await applyGeneration(ws, generation);
  assert.equal(first.code, 0, describeRun(first));
});

after(async () => {
  try {
    await Promise.allSettled(NODES.map((n) => revive(n)));
    await cleanNodes(NODES);
  } finally {
    ws?.remove();
  }
});

/** The next apply converges (exit 0) and the one after changes nothing on any host. */
async function assertConverges(): Promise<void> {
  const converge = await applyGeneration(ws, generation);
  assert.equal(converge.code, 0, `the apply after the fault did not converge: ${describeRun(converge)}`);
  const again = await applyGeneration(ws, generation);
  assert.equal(again.code, 0, describeRun(again));
  for (const [host, s] of summaries(again)) assert.equal(s.changed, 0, `${host} changed again: ${describeRun(again)}`);
}

async function snapshots(nodes: string[]): Promise<Map<string, NodeSnapshot>> {
  return new Map(await Promise.all(nodes.map(async (n) => [n, await snapshot(n)] as const)));
}

function assertNoHalfWrittenFile(node: string, old: NodeSnapshot, mid: NodeSnapshot, next: NodeSnapshot): void {
  assert.deepEqual(halfWritten(old, mid, next), [], `${node}: managed files with neither the old nor the new content`);
  assert.deepEqual(next.temps, [], `${node}: temporary files left after convergence`);
}

/** Strikes once, when `host` reports the task just before the first large file. */
function beforeLargeFile(host: string | undefined, strike: (child: import('node:child_process').ChildProcess) => void) {
  let struck = false;
  return (e: CliEvent, child: import('node:child_process').ChildProcess) => {
    if (struck || e.type !== 'task_result' || e.task !== 'small files' || (host !== undefined && e.host !== host)) return;
    struck = true;
    strike(child);
  };
}

function hostFailure(run: CliRun, host: string): string {
  const failed = run.events.filter((e) => (e.type === 'host_failed' || e.type === 'host_unreachable') && e.host === host);
  assert.ok(failed.length > 0, `${host} should have failed: ${describeRun(run)}`);
  return failed.map((e) => String(e.message)).join('\n');
}

function assertOthersFinished(run: CliRun, faulty: string): void {
  for (const [host, s] of summaries(run)) {
    if (host === faulty) continue;
    assert.equal(s.failed, 0, `${host} failed: ${describeRun(run)}`);
    assert.ok(Number(s.changed) > 0, `${host} should have applied the new generation`);
  }
}

test('a link cut mid-apply fails only that host, half-writes no file, and the next apply converges after revive', async () => {
  const node = 'cc-master';
  const old = await snapshot(node);
  generation++;
  let cut: Promise<void> | undefined;
  try {
    const run = await applyGeneration(ws, generation, { onEvent: beforeLargeFile(node, () => (cut = cutLink(node))) });
    assert.ok(cut, 'the link was never cut');
    await cut;
    assert.equal(run.code, 3, describeRun(run));
    assert.match(hostFailure(run, node), /connection lost|closed|unreachable|timed out/i);
    assertOthersFinished(run, node);
    const mid = await snapshot(node);
    await revive(node);
    await assertConverges();
    assertNoHalfWrittenFile(node, old, mid, await snapshot(node));
  } finally {
    await revive(node);
  }
});

test('a runner killed with SIGKILL mid-apply leaves no half-written file on any host, and the next apply converges', async () => {
  const old = await snapshots(NODES);
  generation++;
  const run = await applyGeneration(ws, generation, { onEvent: beforeLargeFile(undefined, (child) => child.kill('SIGKILL')) });
  assert.equal(run.signal, 'SIGKILL', `the runner was not killed mid-apply: ${describeRun(run)}`);
  const mid = await snapshots(NODES);
  await assertConverges();
  const next = await snapshots(NODES);
  for (const n of NODES) assertNoHalfWrittenFile(n, old.get(n)!, mid.get(n)!, next.get(n)!);
});

test('a node powered off mid-apply fails only that host, half-writes no file, and the next apply converges after it boots', async () => {
  const node = 'cc-slave';
  const old = await snapshot(node);
  generation++;
  let off: Promise<void> | undefined;
  try {
    const run = await applyGeneration(ws, generation, { onEvent: beforeLargeFile(node, () => (off = powerOff(node))) });
    assert.ok(off, 'the node was never powered off');
    await off;
    assert.equal(run.code, 3, describeRun(run));
    assert.match(hostFailure(run, node), /connection lost|closed|agent stopped|unreachable|timed out/i);
    assertOthersFinished(run, node);
    await revive(node);
    const mid = await snapshot(node);
    await assertConverges();
    assertNoHalfWrittenFile(node, old, mid, await snapshot(node));
  } finally {
    await revive(node);
  }
});

test('a full disk fails that host with the path and "No space left", keeps the old file, and the next apply converges', async () => {
  const node = 'edge';
  const dataDir = `${MANAGED_DIR}/data`;
  const old = await snapshot(node);
  // A 1 MiB filesystem over the data directory, holding the current file: the new one cannot fit beside it.
  await execOk(node, ['sh', '-c', 'cp -a "$1/." /run/xivo-ha-faults-data && mount -t tmpfs -o size=1m xivo-ha-faults "$1" && cp -a /run/xivo-ha-faults-data/. "$1/"', 'sh', dataDir]);
  let mounted = true;
  try {
    generation++;
    const run = await applyGeneration(ws, generation);
    assert.equal(run.code, 3, describeRun(run));
    const message = hostFailure(run, node);
    assert.match(message, /\/srv\/xivo-ha-faults\/data\/data\.bin/);
    assert.match(message, /No space left/);
    assertOthersFinished(run, node);
    const mid = await snapshot(node);
    assert.equal(mid.files.get(`${dataDir}/data.bin`), old.files.get(`${dataDir}/data.bin`), 'the old file must be intact');
    assert.deepEqual(mid.temps, [], 'a failed write leaves no temporary file');
    await execOk(node, ['umount', dataDir]);
    mounted = false;
    await assertConverges();
    assertNoHalfWrittenFile(node, old, mid, await snapshot(node));
  } finally {
    if (mounted) await execOn(node, ['umount', dataDir]);
    await execOn(node, ['rm', '-rf', '/run/xivo-ha-faults-data']);
  }
});

// ------------------------------------------------------------ timeouts

/** Accepts TCP and never says a word; ends itself after 120 s should the test die before killing it. */
const SILENT_LISTENER = `
import os, signal, socket, time
signal.alarm(120)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 2222)); s.listen(16)
open('/run/xivo-ha-faults-listener.pid', 'w').write(str(os.getpid()))
held = []
while True:
    held.append(s.accept()[0])
`;

test('a host that accepts TCP but never speaks SSH is reported as a timeout within its connect timeout', async () => {
  const node = 'edge';
  const listener = execOn(node, ['python3', '-c', SILENT_LISTENER], { timeoutMs: 150_000 });
  try {
    await waitTcp(findNode(node).address, 2222, 20_000);
    ws.writeHosts([{ name: 'silent', address: findNode(node).address, port: 2222, timeoutS: 3 }, { name: 'cc-slave' }]);
    const run = await runCli(['plan', '-i', ws.inventory, ws.playbook, '--json', '-e', `generation=${generation}`]);
    assert.equal(run.code, 3, describeRun(run));
    const refused = run.events.find((e) => e.type === 'host_unreachable' && e.host === 'silent');
    assert.ok(refused, describeRun(run));
    assert.equal(refused.reason, 'timeout');
    assert.match(String(refused.message), /accepted the connection but did not complete an SSH handshake within 3 s/);
    const connected = run.events.find((e) => e.type === 'host_connected' && e.host === 'cc-slave');
    assert.ok(connected, 'the other host is not held up');
    const start = Date.parse(String(run.events.find((e) => e.type === 'run_start')!.time));
    const at = Date.parse(String(refused.time));
    assert.ok(at - start < 3000 + 5000, `reported ${(at - start) / 1000} s after the start: the connect timeout is 3 s`);
  } finally {
    ws.writeHosts(NODES.map((name) => ({ name })));
    const pid = (await execOn(node, ['cat', '/run/xivo-ha-faults-listener.pid'])).stdout.trim();
    if (pid) await execOn(node, ['kill', pid]);
    await execOn(node, ['rm', '-f', '/run/xivo-ha-faults-listener.pid']);
    await listener;
  }
});

test('a command that hangs fails its task with a clear timeout (task keyword timeout) and is killed on the node', async () => {
  const node = 'cc-slave';
  ws.writeHosts([{ name: node }]);
  try {
    const run = await runCli(['apply', '-i', ws.inventory, `${ws.dir}/hang.yml`, '--json'], { timeoutMs: 90_000 });
    assert.equal(run.code, 3, describeRun(run));
    const result = run.events.find((e) => e.type === 'task_result' && e.task === 'wait forever');
    assert.ok(result, describeRun(run));
    assert.equal(result.status, 'failed');
    assert.match(String(result.error), /timed out after 3 s: sleep 600/);
    assert.ok(Number(result.duration_ms) < 30_000, `the task took ${result.duration_ms} ms`);
    assert.equal((await execOn(node, ['pgrep', '-f', 'sleep 600'])).stdout.trim(), '', 'the command was killed');
  } finally {
    ws.writeHosts(NODES.map((name) => ({ name })));
  }
  await assertConverges();
});
