// The variables a task sees, layered as Ansible layers them (lowest first):
// inventory host vars, play vars, registered results, task vars, loop item,
// extra vars on top of everything.

import type { Inventory, InventoryHost, PlaySpec, Vars } from './model.js';

export interface VarLayers {
  inventory: Inventory;
  host: InventoryHost;
  play: PlaySpec;
  playHosts: string[];
  extraVars: Vars;
  dryRun: boolean;
  /** Values registered so far on every host, visible through hostvars. */
  registered: Map<string, Vars>;
}

export function magicVars(layers: VarLayers): Vars {
  const { inventory, host, play } = layers;
  const groups: Record<string, string[]> = {};
  for (const [name, members] of inventory.groups) groups[name] = [...members];
  const hostvars: Record<string, Vars> = {};
  for (const [name, h] of inventory.hosts) hostvars[name] = { inventory_hostname: name, ...h.vars, ...(layers.registered.get(name) ?? {}) };
  return {
    inventory_hostname: host.name,
    inventory_hostname_short: host.name.split('.')[0],
    group_names: host.groups.filter((g) => g !== 'all'),
    groups,
    hostvars,
    playbook_dir: play.baseDir,
    ansible_check_mode: layers.dryRun,
    ansible_play_hosts: layers.playHosts,
    omit: OMIT,
  };
}

/** Ansible's `omit` placeholder: an argument whose value is this string is dropped. */
export const OMIT = '__omit_place_holder__xivo_ha__';

export function playVars(layers: VarLayers): Vars {
  return { ...layers.host.vars, ...magicVars(layers), ...layers.play.vars };
}

export function taskVars(base: Vars, registered: Vars, taskOwn: Vars, extraVars: Vars, loop?: { name: string; item: unknown }): Vars {
  const vars: Vars = { ...base, ...registered, ...taskOwn };
  if (loop) vars[loop.name] = loop.item;
  return { ...vars, ...extraVars };
}

export function dropOmitted(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (v !== OMIT) out[k] = v;
  return out;
}
