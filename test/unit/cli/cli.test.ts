import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtCli } from '../../helpers/cli-path.js';

// The built CLI, as an operator runs it: through tsx each call cost about half
// a CPU-second of transpiling, and under the full suite's load some calls
// passed this file's 60-s bound.
function xivoHa(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [builtCli(), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withFiles(files: Record<string, string>, fn: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-cli-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// An address nothing answers on: if the CLI tried to connect, it would report it unreachable.
const hosts = `all:\n  hosts:\n    h1: {ansible_host: 198.18.250.250, ansible_port: 22}\n`;

test('refuses an invalid inventory with a located message and exit 1, contacting no host', () => {
  withFiles({ 'inv.yml': `cluster: lab\ndeployment: xivo\nnodes:\n  a: {role: master, address: 198.18.250.250}\n  b: {role: slaev, address: 198.18.250.251}\n`, 'site.yml': '- hosts: all\n  tasks: []\n' }, (dir) => {
    const r = xivoHa(['apply', '-i', 'inv.yml', 'site.yml'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /inv\.yml:5:\d+/);
    assert.match(r.stderr, /slaev/);
    assert.doesNotMatch(r.stdout + r.stderr, /unreachable|UNREACHABLE/);
  });
});

test('reports an unknown module as a JSON diagnostic with its position, and nothing else on stdout', () => {
  withFiles({ 'inv.yml': hosts, 'site.yml': '- hosts: all\n  tasks:\n    - name: typo\n      coppy: {dest: /tmp/x, content: x}\n' }, (dir) => {
    const r = xivoHa(['plan', '-i', 'inv.yml', 'site.yml', '--json'], dir);
    assert.equal(r.code, 1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; diagnostic?: { position?: { line: number } ; message: string } });
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => e.type === 'diagnostic'), 'only diagnostics: no host was contacted');
    assert.equal(events[0]!.diagnostic!.position!.line, 4);
    assert.match(events[0]!.diagnostic!.message, /copy/);
  });
});

test('validate loads and checks without contacting any host', () => {
  withFiles({ 'inv.yml': hosts, 'site.yml': '- hosts: all\n  tasks:\n    - copy: {dest: /tmp/x, content: x}\n' }, (dir) => {
    const r = xivoHa(['validate', '-i', 'inv.yml', 'site.yml'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid: 1 host/);
  });
});

test('documents the exit codes in --help', () => {
  const r = xivoHa(['--help'], tmpdir());
  assert.equal(r.code, 0);
  for (const code of ['0', '1', '2', '3']) assert.match(r.stdout, new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
});
