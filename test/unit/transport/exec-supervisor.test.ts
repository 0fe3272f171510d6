// The exec supervisor (src/remote/exec-supervisor.py) run here, as a node
// runs it: a command never outlives its channel or its limit, its own exit
// status comes back unchanged. The SSH side is in
// test/integration/transport.test.ts.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { supervisedArgv } from '../../../src/transport/agent-source.js';
import { connectLocal } from '../../../src/transport/local.js';
import { processRunning as running } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait.js';

const work = mkdtempSync(join(tmpdir(), 'xivo-ha-supervisor-'));
after(() => rmSync(work, { recursive: true, force: true }));

function supervise(argv: string[], timeoutMs?: number) {
  const [cmd, ...args] = supervisedArgv(argv, timeoutMs, '/usr/bin/python3');
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, ended };
}

test('the supervised command gets stdin, and its output and exit status come back unchanged', async () => {
  const { child, ended } = supervise(['sh', '-c', 'read line; echo "got $line"; echo oops >&2; exit 7']);
  child.stdin.end('hello\n');
  assert.deepEqual(await ended, { code: 7, stdout: 'got hello\n', stderr: 'oops\n' });
});

test('a command ended by a signal reports 128 + the signal, as a shell does', async () => {
  const { ended } = supervise(['sh', '-c', 'kill -TERM $$']);
  assert.equal((await ended).code, 143);
});

test('a missing command exits 127 with "command not found"', async () => {
  const { ended } = supervise(['/nonexistent/xivo-ha-no-such-command']);
  const r = await ended;
  assert.equal(r.code, 127);
  assert.match(r.stderr, /command not found/);
});

test('when its channel closes, the command and every process of its group are killed', async () => {
  const marker = join(work, 'survived-close');
  const { child, ended } = supervise(['sh', '-c', `sleep 33.25 & sleep 33.5; touch ${marker}`]);
  await waitFor('the command started', 5000, async () => running('sleep 33.5'), 50);
  // What sshd does when the runner's channel closes: our end of its stdout goes away.
  child.stdout.destroy();
  child.stderr.destroy();
  await ended;
  await waitFor('the whole group killed', 5000, async () => !running('sleep 33.5') && !running('sleep 33.25'), 50);
  assert.equal(existsSync(marker), false);
});

for (const [i, signal] of (['SIGHUP', 'SIGINT', 'SIGTERM'] as const).entries()) {
  test(`on ${signal} the supervisor kills the command's whole group before it exits`, async () => {
    const sleeps = [`sleep 36.${i}5`, `sleep 36.${i}75`];
    const { child, ended } = supervise(['sh', '-c', `${sleeps[0]} & ${sleeps[1]}`]);
    // The sleep itself (the supervisor's own argv holds the same words).
    await waitFor('the command started', 5000, async () => running(`^${sleeps[1]!.replace('.', '\\.')}$`), 20);
    child.kill(signal);
    assert.equal((await ended).code, 137);
    await waitFor('the whole group killed', 5000, async () => !running(sleeps[0]!) && !running(sleeps[1]!), 50);
  });
}

test('a signal that comes while the command starts still kills the command once it exists', async () => {
  // The race made deterministic: Popen returns the started command, then the
  // supervisor gets SIGTERM before the code after Popen has run. Its default
  // action would end the supervisor and leave the command running.
  // The code the transport sends (supervisedArgv: comment lines stripped), run with a wrapped Popen.
  const [, , code, ...supervisorArgs] = supervisedArgv(['sleep', '37.25'], undefined, '/usr/bin/python3');
  const harness = [
    'import os, signal, subprocess, sys',
    'real = subprocess.Popen',
    'def started_then_signalled(*args, **kwargs):',
    '    child = real(*args, **kwargs)',
    '    os.kill(os.getpid(), signal.SIGTERM)',
    '    return child',
    'subprocess.Popen = started_then_signalled',
    'code = sys.argv.pop(1)',
    'exec(compile(code, "exec-supervisor", "exec"), {"__name__": "__main__"})',
  ].join('\n');
  try {
    const r = spawnSync('/usr/bin/python3', ['-B', '-c', harness, code!, ...supervisorArgs], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 137, `supervisor ended with ${r.status ?? r.signal}: ${r.stderr}`);
    await waitFor('the command killed', 5000, async () => !running('^sleep 37\\.25$'), 50);
  } finally {
    // Failing, it leaves the orphan this test started (a sleep no one else runs).
    spawnSync('pkill', ['-f', '^sleep 37\\.25$']);
  }
});

test('past its limit (timeout + margin) the command is killed by the node itself, even with its channel open', async () => {
  const { ended } = supervise(['sh', '-c', 'sleep 34.5 & sleep 34.75'], 1);
  const t0 = Date.now();
  const r = await ended;
  // The limit is ceil(1 ms) + 10 s margin = 11 s: the runner's own timer always fires first.
  assert.ok(Date.now() - t0 >= 10_000, `ended after ${Date.now() - t0} ms, before the margin`);
  assert.equal(r.code, 137);
  assert.match(r.stderr, /timed out after 11 s; the command and its process group were killed/);
  assert.equal(running('sleep 34.5'), false);
});

test('a local exec that times out is reported as a timeout and leaves no process behind', async () => {
  const conn = await connectLocal({ python: '/usr/bin/python3' });
  try {
    await assert.rejects(conn.exec(['sh', '-c', 'sleep 35.5 & sleep 35.75'], { timeoutMs: 300 }), /timed out after 0.3 s/);
    await waitFor('the whole group killed', 5000, async () => !running('sleep 35.5') && !running('sleep 35.75'), 50);
    assert.equal((await conn.exec(['sh', '-c', 'exit 3'])).rc, 3);
  } finally {
    await conn.close();
  }
});
