// A plain Ansible YAML inventory (`all:` with hosts, children, vars), merged
// as Ansible merges it: parent group vars, then child group vars (deeper
// groups win, same depth by name), then host vars.
// Not supported: host ranges (`web[01:09]`), ansible_group_priority,
// ansible_ssh_common_args / ansible_ssh_extra_args and host key checking
// settings (host keys are always checked: see xivo_ha_known_hosts).

import { dirname } from 'node:path';
import type { Inventory, InventoryHost, Vars } from '../core/model.js';
import type { Diagnostics, PathSegment } from './diagnostics.js';
import { positionOf, type YamlSource } from './yaml-source.js';
import { resolveLocalPath } from './local-path.js';
import { SSH_DEFAULTS } from './xivo-inventory.js';

type RawGroup = { hosts?: Record<string, Vars | null> | null; children?: Record<string, RawGroup | null> | null; vars?: Vars | null } | null;

interface GroupDef {
  vars: Vars;
  hosts: string[];
  children: string[];
  path: PathSegment[];
}

interface HostDef {
  vars: Vars;
  /** Every place the host is listed; the first one locates its diagnostics. */
  paths: PathSegment[][];
}

export function buildAnsibleInventory(src: YamlSource, raw: Record<string, RawGroup>, extraVars: Vars, d: Diagnostics): Inventory {
  const groups = new Map<string, GroupDef>();
  const hosts = new Map<string, HostDef>();

  const walk = (name: string, group: RawGroup, path: PathSegment[]): void => {
    let def = groups.get(name);
    if (!def) {
      def = { vars: {}, hosts: [], children: [], path };
      groups.set(name, def);
    }
    Object.assign(def.vars, group?.vars ?? {});
    for (const [host, vars] of Object.entries(group?.hosts ?? {})) {
      const at = [...path, 'hosts', host];
      const h = hosts.get(host);
      if (h) {
        Object.assign(h.vars, vars ?? {});
        h.paths.push(at);
      } else hosts.set(host, { vars: { ...vars }, paths: [at] });
      if (!def.hosts.includes(host)) def.hosts.push(host);
    }
    for (const [child, childGroup] of Object.entries(group?.children ?? {})) {
      if (!def.children.includes(child)) def.children.push(child);
      walk(child, childGroup, [...path, 'children', child]);
    }
  };
  for (const [name, group] of Object.entries(raw)) {
    walk(name, group, [name]);
    // Top-level groups other than `all` are its children, as in Ansible.
    if (name !== 'all') groups.get('all')!.children.push(name);
  }
  const depth = groupDepths(groups, src, d);

  const parents = new Map<string, string[]>();
  for (const [name, def] of groups) for (const c of def.children) parents.set(c, [...(parents.get(c) ?? []), name]);
  const ancestorsOf = (group: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(group)) return seen;
    seen.add(group);
    for (const p of parents.get(group) ?? []) ancestorsOf(p, seen);
    return seen;
  };

  const memberships = new Map<string, Set<string>>();
  for (const [name, def] of groups) {
    for (const h of def.hosts) {
      const set = memberships.get(h) ?? new Set<string>(['all']);
      for (const g of ancestorsOf(name)) set.add(g);
      memberships.set(h, set);
    }
  }
  const hostOrder = [...hosts.keys()];
  const ungrouped = hostOrder.filter((h) => [...memberships.get(h)!].every((g) => g === 'all'));
  if (!groups.has('ungrouped')) groups.set('ungrouped', { vars: {}, hosts: [], children: [], path: ['all'] });
  for (const h of ungrouped) {
    memberships.get(h)!.add('ungrouped');
    groups.get('ungrouped')!.hosts.push(h);
  }

  const baseDir = dirname(src.file);
  const inventoryHosts = new Map<string, InventoryHost>();
  for (const name of hostOrder) {
    const def = hosts.get(name)!;
    // Ansible's order: depth, then the name as Python compares str ('B' <
    // 'a'), never the locale's. JavaScript's < compares UTF-16 units: the
    // same order for every group name Ansible accepts (letters, digits, _).
    const memberOf = [...memberships.get(name)!].sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || compareNames(a, b));
    const vars: Vars = {};
    for (const g of memberOf) Object.assign(vars, groups.get(g)?.vars);
    Object.assign(vars, def.vars, extraVars);
    const host = connectionOf(name, vars, def.paths[0]!, baseDir, src, d);
    host.groups = ['all', ...memberOf.filter((g) => g !== 'all')];
    inventoryHosts.set(name, host);
  }

  const groupMap = new Map<string, string[]>([['all', hostOrder]]);
  for (const name of groups.keys()) {
    if (name === 'all') continue;
    groupMap.set(name, hostOrder.filter((h) => memberships.get(h)!.has(name)));
  }
  return { path: src.file, kind: 'ansible', hosts: inventoryHosts, groups: groupMap, secrets: new Map() };
}

/** Depth from `all` (0); a cycle in children is an error. */
function groupDepths(groups: Map<string, GroupDef>, src: YamlSource, d: Diagnostics): Map<string, number> {
  const depth = new Map<string, number>();
  const visit = (name: string, level: number, stack: string[]): void => {
    if (stack.includes(name)) {
      const path = groups.get(name)!.path;
      d.error('inventory.rule', `group "${name}" is its own descendant (${[...stack.slice(stack.indexOf(name)), name].join(' -> ')})`, positionOf(src, path, 'key'), path);
      return;
    }
    if ((depth.get(name) ?? -1) >= level) return;
    depth.set(name, level);
    for (const c of groups.get(name)?.children ?? []) visit(c, level + 1, [...stack, name]);
  };
  visit('all', 0, []);
  return depth;
}

function connectionOf(name: string, vars: Vars, path: PathSegment[], baseDir: string, src: YamlSource, d: Diagnostics): InventoryHost {
  const at = (key: string) => [...path, key];
  const text = (keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = vars[k];
      if (v === undefined || v === null) continue;
      if (typeof v === 'string' || typeof v === 'number') return String(v);
      d.error('inventory.schema', `${k} must be a string, got ${Array.isArray(v) ? 'a list' : typeof v}`, positionOf(src, at(k)), at(k));
      return undefined;
    }
    return undefined;
  };
  const number = (keys: string[], fallback: number, min: number, max: number): number => {
    const t = text(keys);
    if (t === undefined) return fallback;
    const n = Number(t);
    if (!Number.isInteger(n) || n < min || n > max) {
      const key = keys.find((k) => vars[k] !== undefined)!;
      d.error('inventory.schema', `${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(vars[key])}`, positionOf(src, at(key)), at(key));
      return fallback;
    }
    return n;
  };
  const host: InventoryHost = {
    name,
    address: text(['ansible_host', 'ansible_ssh_host']) ?? name,
    port: number(['ansible_port', 'ansible_ssh_port'], SSH_DEFAULTS.port, 1, 65535),
    user: text(['ansible_user', 'ansible_ssh_user']) ?? SSH_DEFAULTS.user,
    connectTimeoutS: number(['ansible_ssh_timeout', 'ansible_timeout'], SSH_DEFAULTS.connect_timeout, 1, 3600),
    vars,
    groups: [],
    position: positionOf(src, path, 'key'),
  };
  const key = text(['ansible_ssh_private_key_file', 'ansible_private_key_file']);
  if (key !== undefined) host.identityFile = resolveLocalPath(key, baseDir);
  const knownHosts = text(['xivo_ha_known_hosts']);
  if (knownHosts !== undefined) host.knownHosts = resolveLocalPath(knownHosts, baseDir);
  // Playbooks read these as Ansible sets them: the effective connection values.
  vars['ansible_host'] = host.address;
  vars['ansible_port'] = host.port;
  vars['ansible_user'] = host.user;
  return host;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
