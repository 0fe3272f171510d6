// The `xivo-ha` entry runs the bundle through V8's code cache
// (src/cli/compile-cache.ts): the second run of a command uses the code the
// first one compiled, the output is the same either way, and code is only
// ever taken from a directory and file that nobody but the user can write.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compileCacheDir, compileCacheName, distrust, writeCache } from '../../../src/cli/compile-cache.js';
import { withTempDir } from '../../helpers/temp-dir.js';
import { builtCli } from '../../helpers/cli-path.js';
import { BUNDLE_FILE } from '../../../src/build/bundle-files.js';

const { NODE_TEST_CONTEXT: _, ...parentEnv } = process.env;

const withDir = (fn: (dir: string) => void): void => withTempDir('xivo-ha-compile-cache-', fn);

/** Runs the CLI with its cache in cacheDir; returns its output and what the cache trace said. */
function runCli(args: string[], cacheDir: string, nodeArgs: string[] = []): { status: number | null; stdout: string; trace: string[] } {
  const run = spawnSync(process.execPath, [...nodeArgs, builtCli(), ...args], {
    timeout: 60_000,
    env: { ...parentEnv, XIVO_HA_COMPILE_CACHE: cacheDir, XIVO_HA_COMPILE_CACHE_TRACE: '1', NO_COLOR: '1' },
    encoding: 'utf8',
  });
  const trace = run.stderr.split('\n').filter((l) => l.startsWith('xivo-ha: compile cache ')).map((l) => l.slice('xivo-ha: compile cache '.length));
  return { status: run.status, stdout: run.stdout, trace };
}

/** The cache file a command's run uses, named as the entry names it. */
function cacheFileFor(cacheDir: string, command: string): string {
  return join(cacheDir, compileCacheName(statSync(join(dirname(builtCli()), BUNDLE_FILE)), ['node', 'xivo-ha', command]).name);
}

test("a command's second run uses the code its first run compiled, with the same output", () => {
  withDir((dir) => {
    const cache = join(dir, 'cache');
    const first = runCli(['--help'], cache);
    const second = runCli(['--help'], cache);
    assert.equal(first.status, 0);
    assert.equal(second.status, 0);
    assert.deepEqual(first.trace, [`absent ${cacheFileFor(cache, 'other')}`, `written ${cacheFileFor(cache, 'other')}`]);
    assert.deepEqual(second.trace, [`used ${cacheFileFor(cache, 'other')}`]);
    assert.equal(second.stdout, first.stdout);
    assert.match(first.stdout, /Usage: xivo-ha/);
    assert.equal(statSync(cache).mode & 0o777, 0o700);
    assert.equal(statSync(cacheFileFor(cache, 'other')).mode & 0o777, 0o600);
  });
});

test('code V8 refuses (corrupt, or from another V8) is not run: the command works and the cache is made again', () => {
  withDir((dir) => {
    const cache = join(dir, 'cache');
    mkdirSync(cache, { mode: 0o700 });
    const file = cacheFileFor(cache, 'validate');
    writeFileSync(file, Buffer.alloc(4096, 0x5a), { mode: 0o600 });
    const run = runCli(['validate', '--help'], cache);
    assert.equal(run.status, 0);
    assert.deepEqual(run.trace, [`rejected ${file}`, `written ${file}`]);
    assert.notDeepEqual(readFileSync(file), Buffer.alloc(4096, 0x5a));
    assert.deepEqual(runCli(['validate', '--help'], cache).trace, [`used ${file}`]);
  });
});

test('a cache directory others can write is neither read nor written', () => {
  withDir((dir) => {
    const cache = join(dir, 'cache');
    mkdirSync(cache);
    chmodSync(cache, 0o777);
    const file = cacheFileFor(cache, 'other');
    writeFileSync(file, 'planted', { mode: 0o600 });
    const run = runCli(['--help'], cache);
    assert.equal(run.status, 0);
    assert.deepEqual(run.trace, [`untrusted ${file}: ${cache}: writable by group or others (mode 777)`]);
    assert.equal(readFileSync(file, 'utf8'), 'planted');
  });
});

test('a cache file others can write is not read', () => {
  withDir((dir) => {
    const cache = join(dir, 'cache');
    mkdirSync(cache, { mode: 0o700 });
    const file = cacheFileFor(cache, 'other');
    writeFileSync(file, 'planted');
    chmodSync(file, 0o666);
    assert.deepEqual(runCli(['--help'], cache).trace, [`untrusted ${file}: ${file}: writable by group or others (mode 666)`]);
  });
});

test('a FIFO where the cache should be is not read, and the command does not wait on it', () => {
  withDir((dir) => {
    const cache = join(dir, 'cache');
    mkdirSync(cache, { mode: 0o700 });
    const file = cacheFileFor(cache, 'other');
    assert.equal(spawnSync('mkfifo', ['-m', '600', file]).status, 0);
    const run = runCli(['--help'], cache);
    assert.equal(run.status, 0);
    assert.deepEqual(run.trace, [`untrusted ${file}: ${file}: not a file`]);
  });
});

test("trusts only what the user owns and nobody else can write", () => {
  const stats = (uid: number, mode: number, dir = false) => ({ uid, mode, isDirectory: () => dir, isFile: () => !dir });
  assert.equal(distrust(stats(1000, 0o100600), 1000, 'file'), undefined);
  assert.equal(distrust(stats(1000, 0o40700, true), 1000, 'directory'), undefined);
  assert.equal(distrust(stats(0, 0o100600), 1000, 'file'), 'owned by uid 0, not 1000');
  assert.equal(distrust(stats(1000, 0o100620), 1000, 'file'), 'writable by group or others (mode 620)');
  assert.equal(distrust(stats(1000, 0o40700, true), 1000, 'file'), 'not a file');
});

test('an unwritable cache directory costs the cache only', () => {
  const run = runCli(['--help'], '/proc/xivo-ha-compile-cache');
  assert.equal(run.status, 0);
  assert.match(run.stdout, /Usage: xivo-ha/);
  assert.equal(run.trace[0], `absent ${cacheFileFor('/proc/xivo-ha-compile-cache', 'other')}`);
  assert.match(run.trace[1] ?? '', /^not written: /);
});

test('XIVO_HA_COMPILE_CACHE=off, or source maps asked for, runs without the cache and writes nothing', () => {
  withDir((dir) => {
    assert.deepEqual(runCli(['--help'], 'off').trace, ['off']);
    const cache = join(dir, 'cache');
    const mapped = runCli(['--help'], cache, ['--enable-source-maps']);
    assert.equal(mapped.status, 0);
    assert.match(mapped.stdout, /Usage: xivo-ha/);
    assert.deepEqual(readdirSync(dir), []);
  });
});

test("caches in $XDG_CACHE_HOME/xivo-ha, else ~/.cache/xivo-ha; XIVO_HA_COMPILE_CACHE overrides", () => {
  assert.equal(compileCacheDir({}, '/home/ops'), '/home/ops/.cache/xivo-ha');
  assert.equal(compileCacheDir({ XDG_CACHE_HOME: '/var/cache/ops' }, '/home/ops'), '/var/cache/ops/xivo-ha');
  // The XDG specification: a relative path is invalid and ignored.
  assert.equal(compileCacheDir({ XDG_CACHE_HOME: 'cache' }, '/home/ops'), '/home/ops/.cache/xivo-ha');
  assert.equal(compileCacheDir({ XIVO_HA_COMPILE_CACHE: '/srv/cc' }, '/home/ops'), '/srv/cc');
  assert.equal(compileCacheDir({ XIVO_HA_COMPILE_CACHE: 'off' }, '/home/ops'), undefined);
});

test("one cache per build (the bundle's mtime and size) and command; other builds' caches go once unused for a day", () => {
  withDir((dir) => {
    const buildA = { mtimeMs: 1764374400123.456, size: 996577 };
    const a = compileCacheName(buildA, ['node', 'xivo-ha', 'apply']);
    const b = compileCacheName({ ...buildA, mtimeMs: buildA.mtimeMs + 0.001 }, ['node', 'xivo-ha', 'apply']);
    assert.notEqual(a.name, b.name);
    assert.notEqual(a.name, compileCacheName({ ...buildA, size: buildA.size + 1 }, ['node', 'xivo-ha', 'apply']).name);
    assert.notEqual(a.name, compileCacheName(buildA, ['node', 'xivo-ha', 'plan']).name);
    assert.match(compileCacheName(buildA, ['node', 'xivo-ha', '../../etc']).name, /-other\.v8cache$/);
    const cache = join(dir, 'cache');
    mkdirSync(cache, { mode: 0o700 });
    const old = compileCacheName({ mtimeMs: 1, size: 1 }, ['node', 'xivo-ha', 'apply']).name;
    writeFileSync(join(cache, old), 'old');
    writeFileSync(join(cache, b.name), 'recent');
    writeFileSync(join(cache, 'notes.txt'), 'not ours');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(join(cache, old), twoDaysAgo, twoDaysAgo);
    utimesSync(join(cache, 'notes.txt'), twoDaysAgo, twoDaysAgo);
    writeCache(cache, a.name, a.build, Buffer.from('new'));
    assert.deepEqual(readdirSync(cache).sort(), [a.name, b.name, 'notes.txt'].sort());
    assert.equal(readFileSync(join(cache, a.name), 'utf8'), 'new');
  });
});
