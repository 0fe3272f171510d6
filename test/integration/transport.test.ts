// The SSH transport against a real OpenSSH sshd on loopback: host keys,
// error reasons, timeouts, the agent's round trips, the lock, and what a
// runner killed mid-apply leaves behind.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConnectError } from '../../src/core/errors.js';
import { connectSsh } from '../../src/transport/ssh.js';
import type { ConnectOptions, HostConnection } from '../../src/transport/types.js';
import { makeKey, startSshd, type Sshd } from '../helpers/sshd.js';
import { processRunning as running } from '../helpers/processes.js';

const strict: ConnectOptions = { acceptNew: false };
const repo = join(fileURLToPath(import.meta.url), '..', '..', '..');

async function connectError(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ConnectError, `expected a ConnectError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the connection to fail');
}

describe('ssh transport on a real sshd', () => {
  let sshd: Sshd;
  let work: string;
  const open: HostConnection[] = [];

  async function connect(options: ConnectOptions = strict, knownHosts?: string): Promise<HostConnection> {
    const conn = await connectSsh(sshd.host(knownHosts ? { knownHosts } : {}), options);
    open.push(conn);
    return conn;
  }

  before(async () => {
    sshd = await startSshd();
    work = mkdtempSync(join(tmpdir(), 'xivo-ha-transport-'));
    writeFileSync(join(sshd.dir, 'known_hosts'), `${sshd.knownHostsLine()}\n`);
  });

  after(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('probes, applies and runs commands through one connection', async () => {
    const conn = await connect();
    const path = join(work, 'hello.conf');
    const results = await conn.apply([
      { kind: 'put', path, content: Buffer.from('hello\n'), mode: 0o640, owner: 'root', group: 'root' },
      { kind: 'exec', argv: ['cat', path] },
    ]);
    assert.deepEqual(results.map((r) => r.ok), [true, true]);
    assert.equal(results[1]?.stdout, 'hello\n');
    const facts = await conn.probe([{ kind: 'file', path, content: true }, { kind: 'user', name: 'root' }]);
    const file = facts.get(`file:${path}`);
    assert.ok(file && 'type' in file && file.exists);
    assert.equal(file.mode, 0o640);
    assert.equal(file.content?.toString(), 'hello\n');
    const echo = await conn.exec(['printf', '%s', "it's a $HOME `x`"]);
    assert.deepEqual(echo, { rc: 0, stdout: "it's a $HOME `x`", stderr: '' });
    assert.equal((await conn.exec(['sh', '-c', 'exit 7'])).rc, 7);
    assert.equal((await conn.exec(['cat'], { stdin: 'in' })).stdout, 'in');
    assert.equal((await conn.exec(['sh', '-c', 'echo $GREETING'], { env: { GREETING: 'hi there' } })).stdout, 'hi there\n');
  });

  test('refuses an unknown host key by default and records nothing', async () => {
    const knownHosts = join(work, 'empty_known_hosts');
    const e = await connectError(connect(strict, knownHosts));
    assert.equal(e.reason, 'host-key-unknown');
    assert.match(e.detail ?? '', /--accept-new/);
    assert.equal(existsSync(knownHosts), false);
  });

  test('records an unknown host key with --accept-new, then trusts it strictly', async () => {
    const knownHosts = join(work, 'accept', 'known_hosts');
    await connect({ ...strict, acceptNew: true }, knownHosts);
    assert.equal(readFileSync(knownHosts, 'utf8'), `${sshd.knownHostsLine()}\n`);
    assert.equal(statSync(knownHosts).mode & 0o777, 0o600);
    await connect(strict, knownHosts);
  });

  test('accepts a hashed known_hosts entry', async () => {
    const knownHosts = join(work, 'hashed_known_hosts');
    writeFileSync(knownHosts, `${sshd.knownHostsLine()}\n`);
    assert.equal(spawnSync('ssh-keygen', ['-H', '-f', knownHosts]).status, 0);
    assert.match(readFileSync(knownHosts, 'utf8'), /^\|1\|/);
    await connect(strict, knownHosts);
  });

  test('refuses a changed host key even with --accept-new', async () => {
    const other = makeKey(work, 'impostor');
    const knownHosts = join(work, 'changed_known_hosts');
    const line = `[${sshd.address}]:${sshd.port} ${readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`;
    writeFileSync(knownHosts, line);
    const e = await connectError(connect({ ...strict, acceptNew: true }, knownHosts));
    assert.equal(e.reason, 'host-key-mismatch');
    assert.match(e.message, /CHANGED/);
    assert.equal(readFileSync(knownHosts, 'utf8'), line);
  });

  test('reports a key the server does not accept as an auth failure', async () => {
    const stranger = makeKey(work, 'stranger');
    const e = await connectError(connectSsh(sshd.host({ identityFile: stranger }), strict));
    assert.equal(e.reason, 'auth');
  });

  test('reports a closed port as refused', async () => {
    const e = await connectError(connectSsh(sshd.host({ port: 1 }), strict));
    assert.equal(e.reason, 'refused');
  });

  test('times out within connect_timeout on a port that accepts TCP but never speaks SSH', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.3', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const t0 = Date.now();
      const e = await connectError(connectSsh(sshd.host({ address: '127.0.0.3', port, connectTimeoutS: 1 }), strict));
      assert.equal(e.reason, 'timeout');
      assert.match(e.message, /did not complete an SSH handshake within 1 s/);
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    } finally {
      silent.close();
    }
  });

  test('fails a hanging command with a clear timeout, and the connection stays usable', async () => {
    const conn = await connectSsh(sshd.host(), { ...strict, commandTimeoutMs: 500 });
    open.push(conn);
    const [step] = await conn.apply([{ kind: 'exec', argv: ['sleep', '30'], timeoutMs: 300 }]);
    assert.equal(step?.ok, false);
    assert.match(step?.error ?? '', /timed out after 0.3 s: sleep 30/);
    await assert.rejects(conn.probe([{ kind: 'command', argv: ['sleep', '30'] }]), /timed out after 0.5 s/);
    await assert.rejects(conn.exec(['sleep', '30'], { timeoutMs: 300 }), /timed out after 0.3 s/);
    assert.equal((await conn.exec(['true'])).rc, 0);
  });

  test('an exec that times out is killed on the node with its whole process group', async () => {
    const conn = await connect();
    // sshd ignores the SSH "signal" request and leaves a command running when
    // its channel closes: without the supervisor both sleeps would live on.
    await assert.rejects(conn.exec(['sh', '-c', 'sleep 36.25 & sleep 36.5'], { timeoutMs: 300 }), /timed out after 0.3 s/);
    await waitFor(async () => !running('sleep 36.25') && !running('sleep 36.5'), 5000);
  });

  test('closing the connection ends an exec still running on the node', async () => {
    const conn = await connect();
    const marker = join(work, 'exec-survived-close');
    const pending = conn.exec(['sh', '-c', `sleep 37.5; touch ${marker}`]);
    pending.catch(() => undefined);
    await waitFor(async () => running('sleep 37.5'), 5000);
    await conn.close();
    await waitFor(async () => !running('sleep 37.5'), 5000);
    assert.equal(existsSync(marker), false);
  });

  test('an exec keeps its stdin, output, exit status and environment through the supervisor', async () => {
    const conn = await connect();
    const r = await conn.exec(['sh', '-c', 'read line; echo "$line $GREETING"; echo oops >&2; exit 5'], { stdin: 'hello\n', env: { GREETING: 'world' } });
    assert.deepEqual(r, { rc: 5, stdout: 'hello world\n', stderr: 'oops\n' });
    assert.equal((await conn.exec(['xivo-ha-no-such-command'])).rc, 127);
  });

  test('fails pending requests with a closed error when the connection dies', async () => {
    const conn = await connect();
    // Kill the sshd session process that runs the agent (the agent's parent).
    const pending = conn.apply([{ kind: 'exec', argv: ['sh', '-c', 'kill -9 $(cut -d" " -f4 /proc/$PPID/stat); sleep 10'] }]);
    const e = await connectError(pending);
    assert.equal(e.reason, 'closed');
    await assert.rejects(conn.probe([{ kind: 'user', name: 'root' }]), ConnectError);
  });

  test('a runner killed mid-apply leaves the target old or new, never partial', async () => {
    const target = join(work, 'big.bin');
    const old = Buffer.alloc(8 << 20, 'o');
    writeFileSync(target, old);
    const script = join(work, 'runner.mts');
    writeFileSync(script, `
      import { connectSsh } from ${JSON.stringify(join(repo, 'src/transport/ssh.ts'))};
      const host = JSON.parse(process.argv[2]);
      const conn = await connectSsh(host, { acceptNew: false });
      process.stdout.write('connected\\n');
      await conn.apply([{ kind: 'put', path: ${JSON.stringify(target)}, content: Buffer.alloc(48 << 20, 'n'), mode: 0o600 }]);
      process.stdout.write('applied\\n');
      await conn.close();
    `);
    const othersAgents = new Set(sshd.agentPids());
    for (const delayMs of [0, 300, 1000, 2000]) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(sshd.host())], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (d: Buffer) => d.toString().includes('connected') && resolve());
          child.on('exit', (code) => reject(new Error(`runner exited (${code}) before connecting`)));
        });
        await new Promise((r) => setTimeout(r, delayMs));
      } finally {
        child.kill('SIGKILL');
      }
      // The agent finishes (or abandons) the request on its own; wait until it is gone.
      await waitFor(async () => sshd.agentPids().every((p) => othersAgents.has(p)), 60_000);
      const content = readFileSync(target);
      assert.ok(content.equals(old) || content.equals(Buffer.alloc(48 << 20, 'n')), `partial content after a kill at ${delayMs} ms (${content.length} bytes)`);
      // The agent outlives its runner long enough to finish the rename: no temp is left either.
      assert.deepEqual(readdirSync(work).filter((n) => n.startsWith('.xivo-ha-tmp-')), []);
    }
  });

  test('a runner that disconnects during a long command frees the lock within seconds, the command killed', async () => {
    const lockPath = join(work, 'hangup', 'lock');
    const marker = join(work, 'hangup-survived');
    const script = join(work, 'hangup-runner.mts');
    writeFileSync(script, `
      import { connectSsh } from ${JSON.stringify(join(repo, 'src/transport/ssh.ts'))};
      const conn = await connectSsh(JSON.parse(process.argv[2]), { acceptNew: false });
      await conn.lock('hangup test', ${JSON.stringify(lockPath)});
      process.stdout.write('locked\\n');
      await conn.apply([{ kind: 'exec', argv: ['sh', '-c', 'sleep 30; touch ${marker}'] }]);
    `);
    const othersAgents = new Set(sshd.agentPids());
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(sshd.host())], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        child.on('exit', (code) => reject(new Error(`runner exited (${code}) before taking the lock`)));
      });
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      // The TCP connection closes with the process: sshd hangs up the agent's stdin.
      child.kill('SIGKILL');
    }
    // The bound tells "the agent saw the hang-up" from "the 30-s command ran
    // to its end", not a speed: 5 s was once exceeded (5.2 s) on a loaded CI machine.
    const t0 = Date.now();
    await waitFor(async () => sshd.agentPids().every((p) => othersAgents.has(p)), 20_000);
    const conn = await connect();
    await conn.lock('second run', lockPath);
    assert.ok(Date.now() - t0 < 20_000, `the lock was free only after ${Date.now() - t0} ms: the agent waited for its command instead of ending it`);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(running(`touch ${marker}`), false, 'the long command was killed with its process group');
    assert.equal(existsSync(marker), false);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
