// Ctrl-C in the middle of the bench: the clusters it started are stopped by
// PID and their directories removed, as is its work directory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../setup.js';

function benchDirs(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('xivo-ha-pg-bench-') || n.startsWith('xivo-ha-bench-repl-')).map((n) => join(tmpdir(), n)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('Ctrl-C during the bench stops every cluster it started by PID and removes their directories', async () => {
  const before = benchDirs();
  const child = spawn(process.execPath, [join(ROOT, 'bench/replication/run.mjs'), '--users', '50', '--cel', '80', '--runs', '50', '--runs-2016', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bench never reached case 1: ${stderr}`)), 120_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/case 1, run 1\//.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const ours = [...benchDirs()].filter((d) => !before.has(d));
    const postmasters = ours.filter((d) => d.includes('xivo-ha-pg-bench-')).map((d) => Number(readFileSync(join(d, 'data/postmaster.pid'), 'utf8').split('\n')[0]));
    assert.equal(postmasters.length, 3, `expected three clusters among ${ours.join(', ')}`);
    child.kill('SIGINT');
    assert.equal(await exit, 130);
    for (const pid of postmasters) assert.equal(alive(pid), false, `postmaster ${pid} still running`);
    for (const d of ours) assert.equal(existsSync(d), false, `${d} left behind`);
  } finally {
    // Even when an assertion failed: the bench's own handler is what stops its clusters.
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await exit;
    }
  }
});
