// The bundled CLI (dist/bundle/xivo-ha.cjs, package.json's bin, running dist/bundle/main.cjs) must behave as
// the files it was built from: it finds the schemas, the precompiled
// validators and the agent from its own place, and keeps the commands' lazy
// imports lazy (src/build/bundle.ts). The integration tests run the same
// bundle over SSH (test/helpers/cli-path.ts): that is where it sends the agent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '../../helpers/temp-dir.js';
import { builtCli, packageRoot } from '../../helpers/cli-path.js';
import { BUNDLE_FILE, ENTRY_FILE } from '../../../src/build/bundle-files.js';

// Every ES module resolved and every CommonJS module loaded, printed on stderr.
const esmHooks = `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`;
const registerEsm = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(esmHooks))});`;
const cjsHook = `const M = require('node:module'); const load = M._load; M._load = function (request, ...rest) { process.stderr.write('LOADED ' + request + '\\n'); return load.call(this, request, ...rest); };`;

function runBundle(args: string[], dir: string): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const hookFile = join(dir, 'cjs-hook.cjs');
  writeFileSync(hookFile, cjsHook);
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--require', hookFile, '--import', 'data:text/javascript,' + encodeURIComponent(registerEsm), builtCli(), ...args], {
    cwd: dir, env: { ...env, NO_COLOR: '1' }, encoding: 'utf8',
  });
  const loaded = run.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
  const stderr = run.stderr.split('\n').filter((l) => !l.startsWith('LOADED ')).join('\n');
  return { status: run.status, stdout: run.stdout, stderr, loaded };
}

const withDir = (fn: (dir: string) => void): void => withTempDir('xivo-ha-bundle-', fn);

test('package.json runs the bundle', () => {
  const { bin } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(join(packageRoot, bin['xivo-ha']!), builtCli());
});

test('--version of the bundle loads no SSH, PostgreSQL, Ajv or loader code', () => {
  withDir((dir) => {
    const run = runBundle(['--version'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^\d+\.\d+\.\d+/);
    assert.ok(run.loaded.length > 0, 'the hooks saw nothing');
    assert.deepEqual(run.loaded.filter((u) => /(^|\/)(ssh2|pg|ajv|yaml)(\/|$)/.test(u)), []);
  });
});

test("the bundle validates with the precompiled validators, never Ajv's compiler, and locates a bad field", () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    h1:\n      ansible_host: 198.18.0.9\n      ansible_port: not-a-port\n');
    writeFileSync(join(dir, 'play.yml'), '- hosts: all\n  tasks:\n    - name: a directory\n      file: { path: /tmp/x, state: directory, mode: "0755" }\n');
    const bad = runBundle(['validate', '-i', 'inventory.yml', 'play.yml'], dir);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /inventory\.yml:5:\d+/);
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    h1:\n      ansible_host: 198.18.0.9\n');
    const good = runBundle(['validate', '-i', 'inventory.yml', 'play.yml'], dir);
    assert.equal(good.status, 0, good.stderr);
    // The generated functions use Ajv's small runtime helpers; its compiler never loads.
    for (const run of [bad, good]) assert.deepEqual(run.loaded.filter((u) => /(^|\/)ajv(\/|$)/.test(u) && !u.startsWith('ajv/dist/runtime/')), []);
  });
});

test('ssh2 is left to node_modules, where its native crypto binding is found', () => {
  const dir = join(packageRoot, 'dist', 'bundle');
  const bundled = readdirSync(dir).filter((f) => f.endsWith('.cjs')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  assert.doesNotMatch(bundled, /^\/\/ node_modules\/ssh2\//m, 'ssh2 was bundled');
  assert.match(bundled, /"ssh2\/lib\/client\.js"/);
});

test('the bundle and its entry are strict mode code, as the ES modules they are built from', () => {
  for (const file of [BUNDLE_FILE, ENTRY_FILE]) {
    const text = readFileSync(join(packageRoot, 'dist', 'bundle', file), 'utf8');
    // The directive must be the first statement; a hashbang and comments may come before it.
    const first = text.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#!') && !line.startsWith('//'));
    assert.equal(first, '"use strict";', file);
  }
});
