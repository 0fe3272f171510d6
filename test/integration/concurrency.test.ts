// Concurrency (issue 9): the run lock is on the nodes (an flock the agent
// holds), so two workstations cannot apply to the same hosts at once, and a
// dead run leaves nothing to clean up (docs/guarantees.md says why).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { RUNNER_ADDRESS, addressPattern, ensureLab, execOn } from '../helpers/lab.js';
import { applyGeneration, cleanNodes, createWorkspace, describeRun, runCli, summaries, type CliRun, type Workspace } from '../fixtures/faults/workspace.js';

const NODES = ['cc-master', 'mds1'];
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
    await cleanNodes(NODES);
  } finally {
    ws?.remove();
  }
});

async function assertConverges(): Promise<void> {
  const converge = await applyGeneration(ws, generation);
  assert.equal(converge.code, 0, `the next apply did not converge: ${describeRun(converge)}`);
  const again = await applyGeneration(ws, generation);
  assert.equal(again.code, 0, describeRun(again));
  for (const [host, s] of summaries(again)) assert.equal(s.changed, 0, `${host} changed again: ${describeRun(again)}`);
}

/** Agents still alive on a node (their command line carries the name they compile under). */
async function agentsOn(node: string): Promise<string[]> {
  const r = await execOn(node, ['pgrep', '-f', 'xivo-ha-agent']);
  return r.stdout.split('\n').filter(Boolean);
}

async function waitNoAgents(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = (await Promise.all(NODES.map(agentsOn))).flat();
    if (left.length === 0) return;
    if (Date.now() > deadline) assert.fail(`agents of the killed run still alive after ${timeoutMs / 1000} s: pids ${left.join(' ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts an apply that holds the lock for holdSeconds at its end; resolves once every host has it (play started). */
function startHoldingApply(holdSeconds: number, onLocked: (pid: number) => void): Promise<CliRun> {
  let started = false;
  return applyGeneration(ws, generation, {
    extra: ['-e', `hold_seconds=${holdSeconds}`],
    onEvent: (e, child) => {
      if (!started && e.type === 'play_start') {
        started = true;
        onLocked(child.pid!);
      }
    },
  });
}

test('a second apply on the same hosts refuses while the first runs, naming the holder; the first one finishes', async () => {
  generation++;
  let second: Promise<CliRun> | undefined;
  let firstPid = 0;
  const first = await startHoldingApply(15, (pid) => {
    firstPid = pid;
    second = applyGeneration(ws, generation);
  });
  assert.ok(second, 'the first apply never started its play');
  const refused = await second;
  assert.equal(first.code, 0, describeRun(first));
  assert.equal(refused.code, 3, describeRun(refused));
  for (const node of NODES) {
    const failure = refused.events.find((e) => e.type === 'host_failed' && e.host === node);
    assert.ok(failure, `${node} should refuse: ${describeRun(refused)}`);
    const message = String(failure.message);
    assert.match(message, new RegExp(`${node}: locked by xivo-ha apply by root@${hostname()} pid ${firstPid} since \\d{4}-`));
    assert.match(message, new RegExp(`agent pid \\d+ on \\S+ holds /var/lib/xivo-ha/lock since \\S+ \\(connected from ${addressPattern(RUNNER_ADDRESS)}\\)`));
  }
  for (const [host, s] of summaries(refused)) assert.equal(s.changed, 0, `${host}: a refused run changes nothing`);
  await assertConverges();
});

test('a runner killed with SIGKILL leaves no lock: its agents exit by themselves and the next apply succeeds with no manual step', async () => {
  generation++;
  let killed = false;
  const run = await applyGeneration(ws, generation, {
    onEvent: (e, child) => {
      if (!killed && e.type === 'task_result' && e.task === 'small files') {
        killed = true;
        child.kill('SIGKILL');
      }
    },
  });
  assert.equal(run.signal, 'SIGKILL', describeRun(run));
  // The kernel closes the dead runner's TCP connections; sshd closes the agents' stdin; they exit; flock goes with them.
  await waitNoAgents(20_000);
  await assertConverges();
});

// An agent notices its runner hang up even while it runs a command (it watches its stdin): the command is
// ended and the lock freed without anyone's help. (A cut link hides the hang-up until sshd's keepalive gives
// up; for that case `xivo-ha unlock --force` ends the agent: unit/cli/unlock.test.ts.)
test('a runner killed during a long command: its agents end the command and free the lock by themselves; unlock finds nothing to break', async () => {
  generation++;
  let killed = false;
  const run = await applyGeneration(ws, generation, {
    extra: ['-e', 'hold_seconds=600'],
    onEvent: (e, child) => {
      if (!killed && e.type === 'task_result' && e.task === 'service enabled and running') {
        killed = true;
        // Give the agents time to start the 600 s command, then kill the runner.
        setTimeout(() => child.kill('SIGKILL'), 1500);
      }
    },
  });
  assert.equal(run.signal, 'SIGKILL', describeRun(run));
  await waitNoAgents(10_000);
  for (const node of NODES) assert.equal((await execOn(node, ['pgrep', '-f', 'sleep 600'])).stdout.trim(), '', `${node}: the dead run's command still runs`);
  const unlock = await runCli(['unlock', '-i', ws.inventory, '--json']);
  assert.equal(unlock.code, 0, describeRun(unlock));
  for (const node of NODES) assert.match(unlock.stdout, new RegExp(`${node}: not locked`));
  await assertConverges();
});
