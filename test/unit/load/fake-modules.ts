// A small module registry for loader tests: the real one (src/modules) is
// exercised by its own tests; here only names, aliases and argument schemas matter.

import type { Module } from '../../../src/core/types.js';

function fake(name: string, argsSchema: Record<string, unknown>, extra: Partial<Module> = {}): Module {
  const prefix = name === 'authorized_key' ? 'ansible.posix' : 'ansible.builtin';
  return { name, aliases: [`${prefix}.${name}`], argsSchema, probes: () => [], plan: () => ({ changes: [] }), ...extra };
}

const path = { type: 'string', minLength: 1 };
const mode = { type: ['string', 'integer'] };

export const fakeModules: Module[] = [
  fake('copy', { type: 'object', additionalProperties: false, required: ['dest'], properties: { src: path, content: { type: 'string' }, dest: path, mode, owner: { type: 'string' }, group: { type: 'string' }, force: { type: 'boolean' }, remote_src: { type: 'boolean' } } }),
  fake('template', { type: 'object', additionalProperties: false, required: ['src', 'dest'], properties: { src: path, dest: path, mode, owner: { type: 'string' }, group: { type: 'string' } } }),
  fake('file', { type: 'object', additionalProperties: false, required: ['path'], properties: { path, state: { enum: ['file', 'directory', 'absent', 'link', 'touch'] }, mode, owner: { type: 'string' }, group: { type: 'string' }, src: path } }),
  fake('command', { type: 'object', additionalProperties: false, properties: { cmd: { type: 'string' }, argv: { type: 'array' }, creates: path, removes: path, chdir: path } }, { freeForm: 'cmd' }),
  fake('shell', { type: 'object', additionalProperties: false, properties: { cmd: { type: 'string' }, creates: path, removes: path, chdir: path } }, { freeForm: 'cmd' }),
  fake('systemd', { type: 'object', additionalProperties: false, properties: { name: { type: 'string' }, state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] }, enabled: { type: 'boolean' }, daemon_reload: { type: 'boolean' } } }, { aliases: ['ansible.builtin.systemd', 'ansible.builtin.systemd_service', 'systemd_service'] }),
  fake('debug', { type: 'object', additionalProperties: false, properties: { msg: {}, var: { type: 'string' } } }),
  fake('assert', { type: 'object', additionalProperties: false, required: ['that'], properties: { that: { type: ['string', 'array'] }, fail_msg: { type: 'string' } } }),
  fake('authorized_key', { type: 'object', additionalProperties: false, required: ['user', 'key'], properties: { user: { type: 'string' }, key: { type: 'string' }, state: { enum: ['present', 'absent'] } } }),
  fake('stat', { type: 'object', additionalProperties: false, required: ['path'], properties: { path } }),
];

export function findFakeModule(name: string): Module | undefined {
  return fakeModules.find((m) => m.name === name || m.aliases.includes(name));
}
