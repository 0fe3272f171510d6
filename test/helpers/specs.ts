// Builders for inventories and plays in runner tests, without YAML.

import type { HandlerSpec, Inventory, InventoryHost, PlaySpec, Playbook, TaskSpec, Vars } from '../../src/core/model.js';

const pos = { file: 'test.yml', line: 1, column: 1 };

export function inventory(hosts: Record<string, Vars>, groups: Record<string, string[]> = {}): Inventory {
  const map = new Map<string, InventoryHost>();
  for (const [name, vars] of Object.entries(hosts)) {
    const memberOf = ['all', ...Object.entries(groups).filter(([, m]) => m.includes(name)).map(([g]) => g)];
    map.set(name, { name, address: '127.0.0.1', port: 22, user: 'root', connectTimeoutS: 5, vars, groups: memberOf });
  }
  const groupMap = new Map<string, string[]>([['all', Object.keys(hosts)], ...Object.entries(groups)]);
  return { path: 'inventory.yml', kind: 'ansible', hosts: map, groups: groupMap, secrets: new Map() };
}

export function task(name: string, module: string, args: Record<string, unknown>, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { name, module, args, when: [], loopVar: 'item', tags: [], notify: [], ignoreErrors: false, vars: {}, position: pos, ...extra };
}

export function handler(name: string, module: string, args: Record<string, unknown>, extra: Partial<HandlerSpec> = {}): HandlerSpec {
  return { ...task(name, module, args), listen: [], ...extra };
}

export function play(tasks: TaskSpec[], extra: Partial<PlaySpec> = {}): PlaySpec {
  return { name: 'test play', hosts: 'all', vars: {}, tasks, handlers: [], baseDir: '/nonexistent', position: pos, ...extra };
}

export function playbook(...plays: PlaySpec[]): Playbook {
  return { path: 'site.yml', plays };
}
