import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { findModule, moduleNames, modules } from '../../../src/modules/index.js';

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false });

test('finds every supported module by short and fully qualified name', () => {
  for (const name of ['copy', 'template', 'file', 'lineinfile', 'blockinfile', 'command', 'shell', 'systemd', 'service', 'authorized_key', 'stat', 'assert', 'debug']) {
    assert.equal(findModule(name)?.name, name);
  }
  assert.equal(findModule('ansible.builtin.copy')?.name, 'copy');
  assert.equal(findModule('ansible.posix.authorized_key')?.name, 'authorized_key');
  assert.equal(findModule('ansible.builtin.systemd_service')?.name, 'systemd');
  assert.equal(findModule('ansible.legacy.shell')?.name, 'shell');
  assert.equal(findModule('ansible.builtin.nope'), undefined);
  assert.ok(moduleNames().includes('ansible.builtin.lineinfile'));
});

test('every module has an argument schema that compiles and refuses unknown arguments', () => {
  for (const m of modules) {
    const validate = ajv.compile(m.argsSchema);
    assert.equal(validate({ definitely_not_an_argument: 1 }), false, `${m.name} accepts an unknown argument`);
  }
});

test('argument schemas refuse what Ansible refuses or we do not support', () => {
  const check = (name: string, args: Record<string, unknown>) => ajv.compile(findModule(name)!.argsSchema)(args);
  assert.equal(check('copy', { dest: '/x', content: 'y', backup: true }), false, 'backup is not supported');
  assert.equal(check('copy', { content: 'y' }), false, 'dest is required');
  assert.equal(check('file', { path: '/x', state: 'hard' }), false, 'hard links are not supported');
  assert.equal(check('file', { path: '/x', recurse: true }), false, 'recurse is not supported');
  assert.equal(check('file', { state: 'directory' }), false, 'a path is required');
  assert.equal(check('file', { dest: '/x', state: 'directory', mode: '0755' }), true);
  assert.equal(check('file', { path: '/x', state: '{{ wanted_state }}' }), true, 'a templated enum is checked after templating');
  assert.equal(check('systemd', { name: 'x', state: 'running' }), false);
  assert.equal(check('lineinfile', { path: '/x', line: 'a', create: 'maybe' }), false);
  assert.equal(check('lineinfile', { path: '/x', line: 'a', create: 'yes' }), true);
  assert.equal(check('command', { cmd: 'ls', chdir: '/tmp', creates: '/x' }), true);
});
