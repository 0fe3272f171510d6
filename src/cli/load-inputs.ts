// Loads the inventory and playbooks named on the command line. Every problem
// is reported, located, before any host is contacted.

import { resolve } from 'node:path';
import type { Inventory, Playbook, Vars } from '../core/model.js';
import { ConfigError, type Diagnostic } from '../core/errors.js';
import { loadInventory, loadPlaybook } from '../load/index.js';
import { defaultPlaybooks } from './paths.js';

export interface Inputs {
  inventory: Inventory;
  playbooks: Playbook[];
}

export function parseExtraVars(pairs: string[]): Vars {
  const vars: Vars = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError([{ severity: 'error', code: 'cli.extra-vars', message: `-e expects key=value, got "${pair}"` }]);
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}

export function loadInputs(inventoryPath: string, playbookPaths: string[], extraVars: Vars): Inputs {
  const inventory = loadInventory(resolve(inventoryPath), { extraVars });
  let paths = playbookPaths;
  if (paths.length === 0) {
    if (!inventory.cluster) {
      throw new ConfigError([{ severity: 'error', code: 'cli.playbook-required', message: 'a plain Ansible inventory needs a playbook argument' }]);
    }
    const edge = inventory.cluster.nodes.some((n) => n.role === 'edge');
    paths = defaultPlaybooks(inventory.cluster.deployment, inventory.cluster.ha['enabled'] !== false, edge);
  }
  const diagnostics: Diagnostic[] = [];
  const playbooks: Playbook[] = [];
  for (const p of paths) {
    try {
      playbooks.push(loadPlaybook(resolve(p), inventory));
    } catch (err) {
      if (err instanceof ConfigError) diagnostics.push(...err.diagnostics);
      else throw err;
    }
  }
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);
  return { inventory, playbooks };
}
