// Runs the bundled CLI through V8's code cache.
//
// Why: Node compiles xivo-ha's JavaScript (about 1 MB, bundled) at every start,
// and compiling is about a tenth of a no-op apply on two hosts (0.05 s of CPU
// out of 0.6 s; docs/performance.md). V8 can hand back the code it compiled
// and take it again in a later process. Node 22 does that for every module
// (module.enableCompileCache); Node 20, which Debian 12 machines run, exposes
// it only through vm.Script, so the `xivo-ha` entry compiles the bundle with
// vm.Script and keeps the code V8 compiled, after the run, in the user's cache
// directory (one file per build, Node version and command).
//
// Code in that file runs as the user, so it is used only from a directory and
// file the user owns that nobody else can write; anything else is ignored (and
// never written to). V8 itself rejects data made by another V8, other flags
// or another source length; the file name holds the bundle's modification
// time and size (compileCacheName), so a rebuilt bundle never meets old code.

import { closeSync, constants as fsConstants, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';

/** What became of the cache in this run. */
export type CacheStatus = 'used' | 'rejected' | 'absent' | 'untrusted' | 'off';

/** Caches of other builds are removed once unused for this long. */
const STALE_AFTER_MS = 24 * 3600 * 1000;
const SUFFIX = '.v8cache';

/**
 * XIVO_HA_COMPILE_CACHE names the directory, or turns the cache off ("off");
 * else $XDG_CACHE_HOME/xivo-ha, else ~/.cache/xivo-ha.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv, home: string = homedir()): string | undefined {
  const configured = env['XIVO_HA_COMPILE_CACHE'];
  if (configured === 'off') return undefined;
  if (configured) return configured;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.cache'), 'xivo-ha');
}

/**
 * One cache per build of the bundle, Node version, architecture and command:
 * V8 keeps what the run compiled, so the cache a `plan` leaves holds what a
 * `plan` needs. A build is known by the bundle's modification time and size,
 * as Python knows a module's source for its .pyc: hashing the 1 MB bundle
 * would cost more at each start than anything else here.
 */
export function compileCacheName(bundle: Pick<Stats, 'mtimeMs' | 'size'>, argv: readonly string[]): { name: string; build: string } {
  const build = `${Math.trunc(bundle.mtimeMs * 1000).toString(36)}-${bundle.size.toString(36)}`;
  const word = argv[2] ?? '';
  const command = /^[a-z][a-z-]{0,30}$/.test(word) ? word : 'other';
  return { build, name: `${build}-node${process.version}-${process.arch}-${command}${SUFFIX}` };
}

/** Why code from this directory or file must not run as user uid, or undefined. */
export function distrust(stats: Pick<Stats, 'uid' | 'mode'> & { isDirectory(): boolean; isFile(): boolean }, uid: number, kind: 'directory' | 'file'): string | undefined {
  if (kind === 'directory' ? !stats.isDirectory() : !stats.isFile()) return `not a ${kind}`;
  if (stats.uid !== uid) return `owned by uid ${stats.uid}, not ${uid}`;
  if ((stats.mode & 0o022) !== 0) return `writable by group or others (mode ${(stats.mode & 0o777).toString(8)})`;
  return undefined;
}

const uid = (): number => process.geteuid?.() ?? 0;

interface CacheRead {
  status: CacheStatus;
  data?: Buffer;
  why?: string;
}

export function readCache(dir: string, name: string): CacheRead {
  let dirStats: Stats;
  try {
    dirStats = statSync(dir);
  } catch {
    return { status: 'absent' };
  }
  const dirWhy = distrust(dirStats, uid(), 'directory');
  if (dirWhy) return { status: 'untrusted', why: `${dir}: ${dirWhy}` };
  let fd: number;
  try {
    // Non-blocking: a FIFO put there would otherwise hang every start.
    fd = openSync(join(dir, name), fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch {
    return { status: 'absent' };
  }
  try {
    // The open file itself, not its name again: nothing can swap it in between.
    const fileWhy = distrust(fstatSync(fd), uid(), 'file');
    if (fileWhy) return { status: 'untrusted', why: `${join(dir, name)}: ${fileWhy}` };
    // 'used' unless V8 rejects it.
    return { status: 'used', data: readFileSync(fd) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the cache whole or not at all (a temporary file renamed over it:
 * concurrent runs each leave a complete file), and removes other builds'
 * caches unused for a day.
 */
export function writeCache(dir: string, name: string, build: string, data: Buffer): void {
  makeDirectory(dir);
  if (distrust(statSync(dir), uid(), 'directory')) return;
  const temporary = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, join(dir, name));
  } finally {
    rmSync(temporary, { force: true });
  }
  const now = Date.now();
  for (const other of readdirSync(dir)) {
    if (!other.endsWith(SUFFIX) || other.startsWith(`${build}-`)) continue;
    try {
      if (now - statSync(join(dir, other)).mtimeMs > STALE_AFTER_MS) rmSync(join(dir, other), { force: true });
    } catch {
      // Another run removed it first.
    }
  }
}

/**
 * The cache directory, and its parent when missing (~/.cache on a new
 * account). Not mkdirSync's `recursive`: Node 20's loops for ever where mkdir
 * answers ENOENT under an existing directory, as in /proc.
 */
function makeDirectory(dir: string): void {
  const make = (path: string) => {
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  };
  try {
    make(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    make(dirname(dir));
    make(dir);
  }
}

/** The bundle's text, and the file's status read from the same open file. */
function readBundle(file: string): { source: string; stats: Stats } {
  const fd = openSync(file, 'r');
  try {
    // A hashbang line is not JavaScript once wrapped; a comment keeps the line numbers.
    return { stats: fstatSync(fd), source: readFileSync(fd, 'utf8').replace(/^#!/, '//') };
  } finally {
    closeSync(fd);
  }
}

/** Compiles and runs a CommonJS file as Node's require would, with V8's code cache; returns what became of the cache. */
export function runWithCompileCache(file: string, env: NodeJS.ProcessEnv = process.env): CacheStatus {
  // Node maps stack traces (--enable-source-maps) only in files it loads itself.
  if (process.sourceMapsEnabled) {
    createRequire(file)(file);
    return 'off';
  }
  const trace = env['XIVO_HA_COMPILE_CACHE_TRACE'] === '1' ? (line: string) => process.stderr.write(`xivo-ha: compile cache ${line}\n`) : undefined;
  const { source, stats } = readBundle(file);
  const dir = compileCacheDir(env);
  const { name, build } = compileCacheName(stats, process.argv);
  const read: CacheRead = dir ? readCache(dir, name) : { status: 'off' };
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData: read.data,
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const status: CacheStatus = read.data ? (script.cachedDataRejected ? 'rejected' : 'used') : read.status;
  trace?.(`${status}${dir ? ` ${join(dir, name)}` : ''}${read.why ? `: ${read.why}` : ''}`);
  if (dir && (status === 'absent' || status === 'rejected')) {
    // After the run: V8 then also holds the functions the run compiled lazily.
    process.once('exit', () => {
      try {
        writeCache(dir, name, build, script.createCachedData());
        trace?.(`written ${join(dir, name)}`);
      } catch (err) {
        // A read-only or full home costs the next run its compile time, nothing more.
        trace?.(`not written: ${(err as Error).message}`);
      }
    });
  }
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return status;
}
