// Start-up must not pay for what the command does not use: the command
// implementations (loader, runner, SSH, PostgreSQL) are imported in their
// actions, while `--help` still lists every command with its options.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

// A resolve hook that prints every module the process loads.
const hooks = `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`;
const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hooks))});`;

function loadedBy(args: string[], expectedStatus = 0): { stdout: string; loaded: string[] } {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', 'data:text/javascript,' + encodeURIComponent(register), 'src/cli/bin.ts', ...args], { cwd: repo, env, encoding: 'utf8' });
  assert.equal(run.status, expectedStatus, run.stderr);
  const loaded = run.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length).replace('file://' + repo, ''));
  return { stdout: run.stdout, loaded };
}

const heavy = [/node_modules\/(ssh2|pg|ajv)\//, /^src\/core\/runner\.ts/, /^src\/transport\/ssh\.ts/, /^src\/load\/index\.ts/, /^src\/ha\/cluster-connections\.ts/, /^src\/modules\/index\.ts/];

test('--version loads no loader, runner, SSH, PostgreSQL or Ajv code', () => {
  const { stdout, loaded } = loadedBy(['--version']);
  assert.match(stdout, /^\d+\.\d+\.\d+/);
  assert.ok(loaded.length > 0, 'the resolve hook saw nothing');
  for (const pattern of heavy) assert.deepEqual(loaded.filter((u) => pattern.test(u)), [], `loaded at start-up: ${pattern}`);
});

test('a plan whose output is not a terminal never loads the live view and its terminal library', () => {
  // A host on a closed loopback port: the plan builds its output, fails to connect at once (exit 3), touches nothing.
  const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-lazy-'));
  try {
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    h1:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n');
    writeFileSync(join(dir, 'play.yml'), '- hosts: all\n  tasks:\n    - name: a directory\n      file: { path: /tmp/xivo-ha-lazy-never, state: directory }\n');
    const { loaded } = loadedBy(['plan', '-i', join(dir, 'inventory.yml'), join(dir, 'play.yml')], 3);
    assert.ok(loaded.some((u) => u.startsWith('src/cli/output.ts')), 'the plan built its output');
    assert.deepEqual(loaded.filter((u) => /node_modules\/log-update\/|src\/cli\/views\/live\.ts/.test(u)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help of a lazily loaded command still lists its options', () => {
  const { stdout } = loadedBy(['apply', '--help']);
  for (const option of ['--inventory', '--limit', '--tags', '--extra-vars', '--skip-check', '--json']) assert.ok(stdout.includes(option), option);
});
