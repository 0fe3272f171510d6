// The module registry. A module is found by its short name (as written in
// playbooks) or any of its fully qualified aliases. Later issues register
// domain modules (postgresql_*, xivo_*) by adding them to `modules`.

import type { Module } from '../core/types.js';
import { haModules } from '../ha/modules/index.js';
import { assert } from './assert.js';
import { authorized_key } from './authorized_key.js';
import { blockinfile } from './blockinfile.js';
import { command } from './command.js';
import { copy } from './copy.js';
import { debug } from './debug.js';
import { file } from './file.js';
import { lineinfile } from './lineinfile.js';
import { service } from './service.js';
import { shell } from './shell.js';
import { slurp } from './slurp.js';
import { stat } from './stat.js';
import { systemd } from './systemd.js';
import { template } from './template.js';

export const modules: Module[] = [
  copy,
  template,
  file,
  lineinfile,
  blockinfile,
  command,
  shell,
  systemd,
  service,
  authorized_key,
  stat,
  assert,
  debug,
  slurp as unknown as Module,
  // The XiVO domain modules (src/ha/modules).
  ...(haModules as unknown as Module[]),
];

const byName = new Map<string, Module>();
for (const m of modules) {
  for (const name of [m.name, ...m.aliases]) {
    if (byName.has(name)) throw new Error(`module name ${name} is registered twice`);
    byName.set(name, m);
  }
}

export function findModule(name: string): Module | undefined {
  return byName.get(name);
}

/** Every name a playbook may use, short names first (for "did you mean" hints). */
export function moduleNames(): string[] {
  return [...modules.map((m) => m.name), ...modules.flatMap((m) => m.aliases)];
}
