// removeNspawnCgroupLeftovers (src/lab/cgroups.ts): systemd-nspawn --keep-unit
// leaves empty `payload` and `supervisor` cgroups under its caller's cgroup;
// `lab build` removes them after each image command. Run in a cgroup of the
// test's own, as a `lab build` in a CI step would be.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/lab/paths.js';

const UNIFIED = '/sys/fs/cgroup/unified';
const usable = process.getuid?.() === 0 && existsSync(join(UNIFIED, 'cgroup.procs'));
const MODULE = join(packageRoot, 'src', 'lab', 'cgroups.ts');

test('removes the empty payload and supervisor cgroups nspawn left under the caller\'s cgroup, and nothing else', {
  skip: !usable && 'needs root and the cgroup v2 hierarchy at /sys/fs/cgroup/unified',
}, async () => {
  const own = join(UNIFIED, `xivo-ha-test-nspawn-leftovers-${process.pid}`);
  const children = ['payload', 'supervisor', 'other'].map((name) => join(own, name));
  mkdirSync(own);
  for (const dir of children) mkdirSync(dir);
  // A cgroup that still holds a process is never removed: a busy payload stays until it is empty.
  const payload = children[0]!;
  const sleeper = spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec sleep 60', payload], { stdio: 'ignore' });
  const exited = new Promise((resolve) => sleeper.once('exit', resolve));
  const removeLeftovers = () => {
    const script = `import { removeNspawnCgroupLeftovers } from ${JSON.stringify(MODULE)}; await removeNspawnCgroupLeftovers();`;
    const run = spawnSync('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', own, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: packageRoot });
    assert.equal(run.status, 0, run.stderr);
  };
  try {
    for (let tries = 0; tries < 50 && !/\d/.test(readFileSync(join(payload, 'cgroup.procs'), 'utf8')); tries++) await new Promise((resolve) => setTimeout(resolve, 20));
    removeLeftovers();
    assert.deepEqual(children.map((dir) => existsSync(dir)), [true, false, true], 'payload (busy), supervisor, other');
    sleeper.kill('SIGKILL');
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 100)); // the killed process leaves its cgroup a moment after its exit
    removeLeftovers();
    assert.deepEqual(children.map((dir) => existsSync(dir)), [false, false, true], 'payload (empty now), supervisor, other');
  } finally {
    sleeper.kill('SIGKILL');
    await exited;
    for (const dir of [...children, own]) {
      for (let tries = 0; tries < 50 && existsSync(dir); tries++) {
        try {
          rmdirSync(dir);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20)); // the killed process leaves the cgroup a moment later
        }
      }
    }
  }
  assert.equal(existsSync(own), false, `${own} could not be removed`);
});
