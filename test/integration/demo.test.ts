// `npm run demo`, the README's first command, end to end: on its own lab
// instance (8), so it runs beside the tests of the default lab; it brings
// its lab up and takes it down itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtCli } from '../helpers/cli-path.js';
import { recordOutput } from '../helpers/suite-record.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const INSTANCE = '8';

function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli(), 'demo'], {
      cwd: root,
      env: { ...process.env, XIVO_HA_LAB_INSTANCE: INSTANCE, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), 8 * 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      recordOutput(['demo'], output, '');
      resolve({ code, output });
    });
  });
}

test('npm run demo provisions the pair, takes over when the master is cut, fences the cut-off master, fails back without both answering, and removes its lab', async () => {
  const { code, output } = await runDemo();
  assert.equal(code, 0, output);
  // The dry run, the apply, and the second plan in sync.
  assert.match(output, /pending=\d+/);
  assert.match(output, /the slave answers SIP [\d.]+ s after the cut/);
  assert.match(output, /the cut-off master stopped its own telephony/);
  assert.match(output, /the two nodes never answered at the same time/);
  assert.match(output, /telephony on: master/);
  assert.ok(!existsSync(`/var/lib/xivo-ha-lab${INSTANCE}/nodes`), 'the demo left its lab behind');
});
