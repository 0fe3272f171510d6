// The node agent (src/remote/agent.py), driven through the local connection
// in a temp dir: every step kind, every probe kind, the lock, and how it
// treats malformed or truncated input.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { stepsAsUser } from '../../../src/core/become.js';
import { LockError } from '../../../src/core/errors.js';
import type { FileFact, Step } from '../../../src/core/types.js';
import { agentArgv, agentPreamble } from '../../../src/transport/agent-source.js';
import { encodeFrame, FrameDecoder } from '../../../src/transport/framing.js';
import { connectLocal, type LocalConnection, type LocalOptions } from '../../../src/transport/local.js';

const root = process.getuid?.() === 0;
const nobody = { owner: 'nobody', group: 'nogroup' };

let dir: string;
const connections: LocalConnection[] = [];

async function agent(options: LocalOptions = {}): Promise<LocalConnection> {
  const c = await connectLocal({ lockPath: join(dir, 'state', 'lock'), ...options });
  connections.push(c);
  return c;
}

async function applyOk(c: LocalConnection, steps: Step[]): Promise<void> {
  const results = await c.apply(steps);
  assert.deepEqual(results.map((r) => r.error ?? 'ok'), steps.map(() => 'ok'));
}

function fileFact(facts: Map<string, unknown>, path: string): FileFact & { exists: true } {
  const f = facts.get(`file:${path}`) as FileFact;
  assert.ok(f.exists, `${path} should exist`);
  return f;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'xivo-ha-agent-'));
});
afterEach(async () => {
  await Promise.allSettled(connections.splice(0).map((c) => c.close()));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('put', () => {
  test('writes content with the mode, owner and group asked for', { skip: !root && 'needs root for chown' }, async () => {
    const c = await agent();
    const path = join(dir, 'put-new.conf');
    await applyOk(c, [{ kind: 'put', path, content: Buffer.from('a=1\n'), mode: 0o640, ...nobody }]);
    const st = statSync(path);
    assert.equal(readFileSync(path, 'utf8'), 'a=1\n');
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(st.uid, 65534);
    assert.equal(st.gid, 65534);
  });

  test('keeps the mode and owner of an existing file when the step does not set them', { skip: !root && 'needs root for chown' }, async () => {
    const c = await agent();
    const path = join(dir, 'put-keep.conf');
    await applyOk(c, [{ kind: 'put', path, content: Buffer.from('old'), mode: 0o604, ...nobody }]);
    await applyOk(c, [{ kind: 'put', path, content: Buffer.from('new') }]);
    const st = statSync(path);
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.equal(st.mode & 0o7777, 0o604);
    assert.equal(st.uid, 65534);
  });

  test('replaces a symbolic link by a file instead of writing through it', async () => {
    const c = await agent();
    const real = join(dir, 'put-real');
    const link = join(dir, 'put-link');
    writeFileSync(real, 'untouched');
    symlinkSync(real, link);
    await applyOk(c, [{ kind: 'put', path: link, content: Buffer.from('file now'), mode: 0o644 }]);
    assert.equal(lstatSync(link).isFile(), true);
    assert.equal(readFileSync(real, 'utf8'), 'untouched');
  });

  test('a reader sees the old or the new content, never a mix, while the file is replaced', async () => {
    const c = await agent();
    const path = join(dir, 'put-atomic');
    // Half a MiB takes several writes, so a reader racing a non-atomic put would catch it mixed.
    const a = Buffer.alloc(1 << 19, 'a');
    const b = Buffer.alloc(1 << 19, 'b');
    writeFileSync(path, a);
    const steps: Step[] = Array.from({ length: 16 }, (_, i) => ({ kind: 'put', path, content: i % 2 ? a : b, mode: 0o644 }));
    let done = false;
    let reads = 0;
    const applying = c.apply(steps).finally(() => (done = true));
    while (!done) {
      const seen = readFileSync(path);
      assert.ok(seen.equals(a) || seen.equals(b), `read ${seen.length} bytes of mixed content`);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    assert.equal((await applying).every((r) => r.ok), true);
    assert.ok(reads > 1);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.xivo-ha-tmp-')), []);
  });

  test("removes temps left by a dead agent in the target's directory, not those of a live one", async () => {
    const c = await agent();
    const sub = join(dir, 'put-stale');
    mkdirSync(sub);
    const dead = await deadPid();
    writeFileSync(join(sub, `.xivo-ha-tmp-${dead}-abc`), 'half');
    writeFileSync(join(sub, `.xivo-ha-tmp-${process.pid}-def`), 'in progress');
    await applyOk(c, [{ kind: 'put', path: join(sub, 'f'), content: Buffer.from('x') }]);
    assert.deepEqual(readdirSync(sub).sort(), [`.xivo-ha-tmp-${process.pid}-def`, 'f']);
  });

  test('fails with the missing directory named and runs no later step', async () => {
    const c = await agent();
    const marker = join(dir, 'put-never');
    const results = await c.apply([
      { kind: 'put', path: join(dir, 'no', 'such', 'file'), content: Buffer.from('x') },
      { kind: 'touch', path: marker },
    ]);
    assert.equal(results.length, 1);
    assert.equal(results[0]?.ok, false);
    assert.match(results[0]?.error ?? '', /directory .*no\/such does not exist/);
    assert.equal(existsSync(marker), false);
  });

  test('refuses an unknown owner before writing anything', async () => {
    const c = await agent();
    const path = join(dir, 'put-bad-owner');
    const [r] = await c.apply([{ kind: 'put', path, content: Buffer.from('x'), owner: 'no-such-user-xyz' }]);
    assert.match(r?.error ?? '', /unknown user 'no-such-user-xyz'/);
    assert.equal(existsSync(path), false);
  });
});

describe('mkdir, remove, symlink, attrs, touch', () => {
  test('mkdir creates every missing directory with the mode and owner asked for', { skip: !root && 'needs root for chown' }, async () => {
    const c = await agent();
    const leaf = join(dir, 'mk', 'a', 'b');
    await applyOk(c, [{ kind: 'mkdir', path: leaf, mode: 0o750, ...nobody }]);
    for (const d of [join(dir, 'mk'), join(dir, 'mk', 'a'), leaf]) {
      assert.equal(statSync(d).mode & 0o7777, 0o750, d);
      assert.equal(statSync(d).uid, 65534, d);
    }
    assert.equal(statSync(dir).uid, process.getuid?.(), 'an existing parent is left alone');
  });

  test('mkdir sets the attributes of an existing directory and refuses a file in the way', async () => {
    const c = await agent();
    const d = join(dir, 'mk-existing');
    mkdirSync(d, { mode: 0o700 });
    await applyOk(c, [{ kind: 'mkdir', path: d, mode: 0o755 }]);
    assert.equal(statSync(d).mode & 0o7777, 0o755);
    writeFileSync(join(dir, 'mk-file'), '');
    const [r] = await c.apply([{ kind: 'mkdir', path: join(dir, 'mk-file') }]);
    assert.match(r?.error ?? '', /exists and is not a directory/);
  });

  test('remove deletes files, empty directories, trees only when recursive, and accepts a missing path', async () => {
    const c = await agent();
    const tree = join(dir, 'rm-tree');
    mkdirSync(join(tree, 'x'), { recursive: true });
    writeFileSync(join(tree, 'x', 'f'), '');
    const [refused] = await c.apply([{ kind: 'remove', path: tree }]);
    assert.equal(refused?.ok, false);
    assert.equal(existsSync(tree), true);
    await applyOk(c, [
      { kind: 'remove', path: tree, recursive: true },
      { kind: 'remove', path: join(dir, 'rm-never-was') },
    ]);
    assert.equal(existsSync(tree), false);
  });

  test('symlink creates a link and replaces an existing one in place', async () => {
    const c = await agent();
    const link = join(dir, 'ln');
    await applyOk(c, [{ kind: 'symlink', path: link, target: 'first' }]);
    assert.equal(readlinkSync(link), 'first');
    await applyOk(c, [{ kind: 'symlink', path: link, target: '/etc/second' }]);
    assert.equal(readlinkSync(link), '/etc/second');
    mkdirSync(join(dir, 'ln-dir'));
    const [r] = await c.apply([{ kind: 'symlink', path: join(dir, 'ln-dir'), target: 'x' }]);
    assert.match(r?.error ?? '', /is a directory/);
  });

  test('attrs changes mode and owner, and with follow=false the link itself', { skip: !root && 'needs root for chown' }, async () => {
    const c = await agent();
    const f = join(dir, 'attrs-f');
    const l = join(dir, 'attrs-l');
    writeFileSync(f, '');
    symlinkSync(f, l);
    await applyOk(c, [
      { kind: 'attrs', path: f, mode: 0o600 },
      { kind: 'attrs', path: l, owner: 'nobody', follow: false },
    ]);
    assert.equal(statSync(f).mode & 0o7777, 0o600);
    assert.equal(lstatSync(l).uid, 65534);
    assert.equal(statSync(f).uid, 0, 'the target keeps its owner');
    const [r] = await c.apply([{ kind: 'attrs', path: join(dir, 'attrs-missing'), mode: 0o600 }]);
    assert.match(r?.error ?? '', /attrs .*attrs-missing: No such file/);
  });

  test('touch creates a file with the mode asked for and updates the time of an existing one', async () => {
    const c = await agent();
    const f = join(dir, 'touched');
    await applyOk(c, [{ kind: 'touch', path: f, mode: 0o600 }]);
    assert.equal(statSync(f).mode & 0o7777, 0o600);
    utimesSync(f, 1000, 1000);
    await applyOk(c, [{ kind: 'touch', path: f }]);
    assert.ok(statSync(f).mtimeMs > 1_000_000);
  });
});

describe('exec steps', () => {
  test('passes stdin, env and cwd, and returns rc, stdout and stderr', async () => {
    const c = await agent();
    const [r] = await c.apply([
      { kind: 'exec', argv: ['sh', '-c', 'cat; echo " $GREETING $(pwd)"; echo oops >&2'], stdin: Buffer.from('in'), env: { GREETING: 'hi' }, cwd: dir },
    ]);
    assert.deepEqual(r, { ok: true, rc: 0, stdout: `in hi ${dir}\n`, stderr: 'oops\n' });
  });

  test('counts okCodes as success and stops the batch at the first failing command', async () => {
    const c = await agent();
    const results = await c.apply([
      { kind: 'exec', argv: ['sh', '-c', 'exit 2'], okCodes: [0, 2] },
      { kind: 'exec', argv: ['false'] },
      { kind: 'exec', argv: ['true'] },
    ]);
    assert.deepEqual(results.map((r) => [r.ok, r.rc]), [[true, 2], [false, 1]]);
    assert.match(results[1]?.error ?? '', /exit 1: false/);
  });

  test('answers a missing program with rc 127 like a shell', async () => {
    const c = await agent();
    const [r] = await c.apply([{ kind: 'exec', argv: ['/no/such/program'] }]);
    assert.equal(r?.rc, 127);
    assert.equal(r?.ok, false);
  });

  test('kills a command that outlives its timeout, with its children', async () => {
    const c = await agent();
    const t0 = Date.now();
    const [r] = await c.apply([{ kind: 'exec', argv: ['sh', '-c', 'sleep 30 & sleep 30'], timeoutMs: 200 }]);
    assert.equal(r?.ok, false);
    assert.match(r?.error ?? '', /timed out after 0.2 s/);
    assert.ok(Date.now() - t0 < 10_000);
  });
});

describe('become_user: steps done as another user', { skip: !root && 'needs root to act as another user' }, () => {
  /** A directory nobody may write into, reachable by nobody (the test's temp dir is root's 0700). */
  function nobodysDir(name: string): string {
    chmodSync(dir, 0o755);
    const d = join(dir, name);
    mkdirSync(d);
    chownSync(d, 65534, 65534);
    return d;
  }

  test("a file written as the user is the user's, with the user's primary group", async () => {
    const c = await agent();
    const path = join(nobodysDir('as-user-put'), 'motd');
    await applyOk(c, [{ kind: 'put', path, content: Buffer.from('hi\n'), mode: 0o644, asUser: 'nobody' }]);
    const st = statSync(path);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [65534, 65534, 0o644]);
  });

  test('directories made as the user are the user\'s, parents included', async () => {
    const c = await agent();
    const path = join(nobodysDir('as-user-mkdir'), 'a', 'b');
    await applyOk(c, [{ kind: 'mkdir', path, asUser: 'nobody' }]);
    assert.deepEqual([statSync(path).uid, statSync(join(path, '..')).uid], [65534, 65534]);
  });

  test('fails where the user may not write, writes nothing, and the agent is root again afterwards', async () => {
    const c = await agent();
    const path = join(dir, 'as-user-denied.conf');
    const [denied] = await c.apply([{ kind: 'put', path, content: Buffer.from('x'), asUser: 'nobody' }]);
    assert.equal(denied?.ok, false);
    assert.match(denied?.error ?? '', /Permission denied/);
    assert.equal(existsSync(path), false);
    await applyOk(c, [{ kind: 'put', path, content: Buffer.from('x'), ...nobody }]);
    assert.equal(statSync(path).uid, 65534);
  });

  test('refuses an unknown user', async () => {
    const c = await agent();
    const [r] = await c.apply([{ kind: 'touch', path: join(dir, 'as-ghost'), asUser: 'no-such-user-xivo' }]);
    assert.match(r?.error ?? '', /unknown user 'no-such-user-xivo'/);
  });

  test('a command built for the user runs as the user, with its HOME', async () => {
    const c = await agent();
    const [r] = await c.apply(stepsAsUser([{ kind: 'exec', argv: ['sh', '-c', 'id -un; echo $HOME'] }], 'nobody'));
    assert.equal(r?.stdout, 'nobody\n/nonexistent\n');
  });
});

describe('probes', () => {
  test('answers a file above contentMax with sha256 and size only, and a smaller one with its content', async () => {
    const c = await agent();
    const big = join(dir, 'probe-big');
    const small = join(dir, 'probe-small');
    writeFileSync(big, 'x'.repeat(2000));
    writeFileSync(small, 'y'.repeat(1000));
    const facts = await c.probe([
      { kind: 'file', path: big, content: true, contentMax: 1000 },
      { kind: 'file', path: small, content: true, contentMax: 1000 },
    ]);
    const b = fileFact(facts, big);
    assert.equal(b.content, undefined);
    assert.equal(b.size, 2000);
    assert.equal(b.sha256, createHash('sha256').update('x'.repeat(2000)).digest('hex'));
    assert.equal(fileFact(facts, small).content?.toString(), 'y'.repeat(1000));
  });

  test('describes files, directories, links and missing paths, with sha256 and content on request', async () => {
    const c = await agent();
    const f = join(dir, 'probe-f');
    writeFileSync(f, 'content\n');
    chmodSync(f, 0o640);
    symlinkSync('probe-f', join(dir, 'probe-l'));
    const facts = await c.probe([
      { kind: 'file', path: f, content: true },
      { kind: 'file', path: dir },
      { kind: 'file', path: join(dir, 'probe-l') },
      { kind: 'file', path: join(dir, 'probe-missing') },
    ]);
    const file = fileFact(facts, f);
    assert.equal(file.type, 'file');
    assert.equal(file.mode, 0o640);
    assert.equal(file.size, 8);
    assert.equal(file.owner, 'root');
    assert.equal(file.sha256, createHash('sha256').update('content\n').digest('hex'));
    assert.equal(file.content?.toString(), 'content\n');
    assert.equal(fileFact(facts, dir).type, 'directory');
    assert.equal(fileFact(facts, join(dir, 'probe-l')).target, 'probe-f');
    assert.deepEqual(facts.get(`file:${join(dir, 'probe-missing')}`), { exists: false });
    assert.equal(fileFact(await c.probe([{ kind: 'file', path: f }]), f).content, undefined, 'content only when asked');
  });

  test('answers users, groups and read-only commands', async () => {
    const c = await agent();
    const facts = await c.probe([
      { kind: 'user', name: 'root' },
      { kind: 'user', name: 'no-such-user-xyz' },
      { kind: 'group', name: 'root' },
      { kind: 'group', name: 'no-such-group-xyz' },
      { kind: 'command', argv: ['sh', '-c', 'cat; exit 3'], stdin: 'q' },
    ]);
    assert.deepEqual({ ...(facts.get('user:root') as object), shell: undefined }, { exists: true, uid: 0, gid: 0, home: '/root', shell: undefined });
    assert.deepEqual(facts.get('user:no-such-user-xyz'), { exists: false });
    assert.deepEqual(facts.get('group:root'), { exists: true, gid: 0 });
    assert.deepEqual(facts.get('group:no-such-group-xyz'), { exists: false });
    assert.deepEqual(facts.get('command:["sh","-c","cat; exit 3"]<q'), { rc: 3, stdout: 'q', stderr: '' });
  });

  test('asks systemd about every unit in one systemctl call', async () => {
    const bin = join(dir, 'fake-bin');
    mkdirSync(bin);
    const calls = join(dir, 'systemctl-calls');
    writeFileSync(
      join(bin, 'systemctl'),
      `#!/bin/sh\necho "$*" >> ${calls}\n` +
        `printf 'LoadState=loaded\\nActiveState=active\\nUnitFileState=enabled\\n\\n'\n` +
        `printf 'LoadState=not-found\\nActiveState=inactive\\nUnitFileState=\\n'\n`,
      { mode: 0o755 },
    );
    const c = await agent({ env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    const facts = await c.probe([
      { kind: 'unit', unit: 'postgresql.service' },
      { kind: 'unit', unit: 'nope.service' },
    ]);
    assert.deepEqual(facts.get('unit:postgresql.service'), { exists: true, active: 'active', enabled: 'enabled' });
    assert.deepEqual(facts.get('unit:nope.service'), { exists: false, active: 'inactive', enabled: '' });
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [
      'show --no-pager -p LoadState,ActiveState,UnitFileState -- postgresql.service nope.service',
    ]);
  });

  test('fails a probe command that hangs with a clear timeout', async () => {
    const c = await agent({ commandTimeoutMs: 200 });
    await assert.rejects(c.probe([{ kind: 'command', argv: ['sleep', '30'] }]), /cannot read the output of sleep 30: timed out after 0.2 s/);
  });
});

describe('the run lock', () => {
  test('refuses a second agent, naming the holder, until the first one dies', async () => {
    const first = await agent();
    await first.lock('xivo-ha apply by alice@laptop pid 42');
    assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'state', 'lock')).mode & 0o777, 0o600);
    const second = await agent();
    await assert.rejects(second.lock('bob'), (e: unknown) => {
      assert.ok(e instanceof LockError);
      assert.match(e.message, /locked by xivo-ha apply by alice@laptop pid 42/);
      assert.match(e.detail ?? '', new RegExp(`agent pid ${first.pid}`));
      return true;
    });
    process.kill(first.pid!, 'SIGKILL');
    await first.exited;
    await second.lock('bob');
  });

  test('records when it was taken, in UTC to the second', async () => {
    const c = await agent();
    await c.lock('xivo-ha apply by alice@laptop pid 42');
    const held = JSON.parse(readFileSync(join(dir, 'state', 'lock'), 'utf8')) as { since: string };
    assert.match(held.since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    assert.ok(Math.abs(Date.parse(held.since) - Date.now()) < 60_000, `${held.since} is not now`);
  });

  test('is released when the agent ends normally', async () => {
    const first = await agent();
    await first.lock('one');
    await first.close();
    await (await agent()).lock('two');
  });
});

describe('protocol', () => {
  test("runs isolated: the node's PYTHONPATH cannot replace a standard module", async () => {
    const shadow = join(dir, 'shadow');
    mkdirSync(shadow, { recursive: true });
    writeFileSync(join(shadow, 'json.py'), `open(${JSON.stringify(join(dir, 'shadowed'))}, 'w').close()\nraise SystemExit('shadow json loaded')\n`);
    await agent({ env: { ...process.env, PYTHONPATH: shadow } });
    assert.equal(existsSync(join(dir, 'shadowed')), false);
  });

  test('exits cleanly on stdin EOF', async () => {
    const c = await agent();
    await c.close();
    assert.equal(await c.exited, 0);
  });

  test('answers a malformed request as an error and keeps serving', async () => {
    const answers = await rawSession([Buffer.from('9\n{not json'), encodeFrame({ op: 'nope' }), encodeFrame({ op: 'ping', id: 7 })]);
    assert.equal(answers.length, 3);
    assert.match(String(answers[0]?.error), /malformed request/);
    assert.match(String(answers[1]?.error), /malformed request: KeyError/);
    assert.equal(answers[2]?.ok, true);
    assert.equal(answers[2]?.id, 7);
  });

  test('acts on nothing from a request cut short by EOF', async () => {
    const target = join(dir, 'never-written');
    const frame = encodeFrame({ op: 'apply', steps: [{ kind: 'touch', path: target }] });
    const answers = await rawSession([frame.subarray(0, frame.length - 3)]);
    assert.deepEqual(answers, []);
    assert.equal(existsSync(target), false);
  });

  test('answers a bad frame header with an error and exits', async () => {
    const answers = await rawSession([Buffer.from('hello\n')], 2);
    assert.match(String(answers[0]?.error), /bad frame header/);
  });
});

/** Runs the agent by hand, writes raw bytes, closes stdin; returns the answers (and checks the exit code). */
async function rawSession(writes: Buffer[], expectedCode = 0): Promise<Record<string, unknown>[]> {
  const [cmd, ...args] = agentArgv();
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const decoder = new FrameDecoder();
  const answers: Record<string, unknown>[] = [];
  child.stdout.on('data', (d: Buffer) => answers.push(...decoder.push(d).map((b) => JSON.parse(b.toString()) as Record<string, unknown>)));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  child.stdin.write(agentPreamble());
  for (const w of writes) child.stdin.write(w);
  child.stdin.end();
  try {
    assert.equal(await exited, expectedCode);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  return answers;
}

/** A pid that belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((r) => child.on('close', r));
  return child.pid!;
}
