// The lab's Debian 12 base image: built once by assets/build-base.sh, cached
// under /var/cache/xivo-ha-lab/base-KEY where KEY hashes the package list,
// the build script, every asset and the schema it loads. Built into a
// temporary directory and renamed into place, so an interrupted build never
// leaves a cache entry behind.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { UserError } from '../core/errors.js';
import { isAlive, removeNspawnCgroupLeftovers } from './cgroups.js';
import { runLocal, runLocalOk } from './exec.js';
import { ASSETS_DIR_IN_PACKAGE, SCHEMA_SQL_IN_PACKAGE, assetsDir, cacheDir, packageRoot, schemaSqlPath } from './paths.js';

/** What every node carries; nodes cannot install packages later (no route out). */
export const BASE_PACKAGES = [
  'systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'openssh-client', 'rsync', 'iputils-ping', 'iproute2',
  'procps', 'postgresql', 'postgresql-client', 'python3', 'nftables', 'iptables', 'coturn', 'sudo', 'less',
];

/** What the runner needs to build and run the lab. */
export const HOST_PACKAGES = ['debootstrap', 'systemd-container', 'iproute2', 'nftables', 'openssh-client'];

const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export async function ensureHostPackages(log: (line: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const p of HOST_PACKAGES) {
    const r = await runLocal(['dpkg-query', '-W', '-f=${Status}', p]);
    if (!r.stdout.includes('install ok installed')) missing.push(p);
  }
  if (missing.length === 0) return;
  log(`installing Debian packages on the runner: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runLocalOk(['apt-get', 'update', '-q'], { env });
  await runLocalOk(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing], { env });
}

/** The Debian mirror apt's own sources name (deb822 or one-line), security archives aside. */
export function findDebianMirror(): string {
  const files = ['/etc/apt/sources.list'];
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const f of readdirSync('/etc/apt/sources.list.d').sort()) files.push(join('/etc/apt/sources.list.d', f));
  }
  for (const f of files) {
    if (!existsSync(f)) continue;
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s+)?)(https?:\/\/\S+)/gm)) {
      const uri = m[1]!.replace(/\/$/, '');
      if (/\/debian$/.test(uri) && !uri.includes('security')) return uri;
    }
  }
  return DEFAULT_MIRROR;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

const PACKAGES_SCRIPT = 'build-packages.sh';

/** Stage 1 (Debian and its packages) changes only with the package list or its script. */
export function packagesKey(root = packageRoot): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(BASE_PACKAGES));
  h.update(readFileSync(join(root, ASSETS_DIR_IN_PACKAGE, PACKAGES_SCRIPT)));
  return h.digest('hex').slice(0, 16);
}

/**
 * Stage 2 changes with stage 1 and with anything else that ends up in the
 * image: the files' names relative to the package and their contents, so
 * every checkout of the same sources (a CI's fresh clone) shares the cache.
 */
export function baseKey(root = packageRoot): string {
  const h = createHash('sha256');
  h.update(packagesKey(root));
  for (const f of [...listFiles(join(root, ASSETS_DIR_IN_PACKAGE)), join(root, SCHEMA_SQL_IN_PACKAGE)]) {
    h.update(relative(root, f));
    h.update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

export function basePath(key = baseKey()): string {
  return join(cacheDir, `base-${key}`);
}

/**
 * Returns the cached base image, building what is missing: stage 1
 * (build-packages.sh, minutes, cached as packages-KEY) then stage 2
 * (build-base.sh: the lab's files and database, seconds, cached as base-KEY).
 */
export async function ensureBase(log: (line: string) => void): Promise<string> {
  const target = basePath();
  if (existsSync(target)) return target;
  await mkdir(cacheDir, { recursive: true });
  await removeStaleBuilds();
  const packages = join(cacheDir, `packages-${packagesKey()}`);
  if (!existsSync(packages)) {
    const mirror = findDebianMirror();
    log(`building the lab's Debian image (once; a few minutes) from ${mirror}`);
    await buildInto(packages, (tmp) => ['bash', join(assetsDir, PACKAGES_SCRIPT), tmp, mirror, ...BASE_PACKAGES], log);
  }
  log('adding the lab stand-ins and the asterisk database to the image');
  await buildInto(target, (tmp) => ['bash', join(assetsDir, 'build-base.sh'), tmp, packages, assetsDir, schemaSqlPath], log);
  return target;
}

/** Runs a build into a temporary directory and renames it to target only on success. */
async function buildInto(target: string, argv: (tmp: string) => string[], log: (line: string) => void): Promise<void> {
  const tmp = join(cacheDir, `building-${basename(target)}-${process.pid}`);
  const t0 = Date.now();
  try {
    await runLocalOk(argv(tmp), { inheritOutput: true }).finally(removeNspawnCgroupLeftovers);
    if (existsSync(target)) {
      // Another lab instance built the same key meanwhile: same inputs, same image.
      await rm(tmp, { recursive: true, force: true });
      log(`${target} was built meanwhile by another lab; using it`);
      return;
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new UserError(`building the lab image ${basename(target)} failed`, 'see the build output above; nothing was cached, `xivo-ha lab up` retries the build', {
      cause: err,
    });
  }
  log(`built ${target} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Half-built images of interrupted runs; a build still running (another lab instance) is left alone. */
async function removeStaleBuilds(): Promise<void> {
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith('building-')) continue;
    const builder = Number(/-(\d+)(?:\.tmpfs)?$/.exec(name)?.[1]);
    if (Number.isInteger(builder) && builder !== process.pid && isAlive(builder)) continue;
    const path = join(cacheDir, name);
    // A build killed before its EXIT trap ran leaves its tmpfs mounted.
    if (name.endsWith('.tmpfs')) await runLocal(['umount', '--lazy', path]);
    await rm(path, { recursive: true, force: true });
  }
}

/** Drops cached images of older keys; never one that a node of any lab instance still has mounted. */
export async function pruneOldBases(): Promise<void> {
  if (!existsSync(cacheDir)) return;
  const keep = [basename(basePath()), `packages-${packagesKey()}`];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  const inUse = (name: string) => [',', ' ', '\n'].some((end) => mounts.includes(`lowerdir=${join(cacheDir, name)}${end}`));
  for (const name of readdirSync(cacheDir)) {
    if ((name.startsWith('base-') || name.startsWith('packages-')) && !keep.includes(name) && !inUse(name)) {
      await rm(join(cacheDir, name), { recursive: true, force: true });
    }
  }
}
