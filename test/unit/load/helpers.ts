// Writes inventories and playbooks into a temporary directory and returns
// the diagnostics a load produced, with the directory stripped for readable asserts.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../../src/core/errors.js';
import type { Inventory, Playbook } from '../../../src/core/model.js';
import { loadInventory } from '../../../src/load/inventory.js';
import { loadPlaybookWith } from '../../../src/load/playbook.js';
import * as templates from '../../../src/template/index.js';
import { findFakeModule } from './fake-modules.js';

export class Workdir {
  readonly dir = mkdtempSync(join(tmpdir(), 'xivo-ha-load-'));
  write(name: string, text: string): string {
    const path = join(this.dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The ConfigError's lines with the temporary directory removed: "inv.yml:3:5 error: …". */
export function problems(fn: () => unknown, dir: string): string[] {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const d of err.diagnostics) if (!d.position) throw new Error(`diagnostic without position: ${d.message}`);
    return err.message
      .split('\n')
      .filter((l) => !/^\d+ problems:$/.test(l))
      .map((l) => l.split(dir + '/').join(''));
  }
  throw new Error('expected a ConfigError, the input loaded');
}

export function inventoryProblems(w: Workdir, yaml: string): string[] {
  const path = w.write('inv.yml', yaml);
  return problems(() => loadInventory(path), w.dir);
}

export function loadTestPlaybook(w: Workdir, yaml: string, inventory: Inventory): Playbook {
  const path = w.write('site.yml', yaml);
  return loadPlaybookWith(path, inventory, { findModule: findFakeModule, templates });
}

export function playbookProblems(w: Workdir, yaml: string, inventory: Inventory): string[] {
  return problems(() => loadTestPlaybook(w, yaml, inventory), w.dir);
}

export const MINIMAL_INVENTORY = `cluster: t
deployment: xivo
nodes:
  master: {role: master, address: 198.18.0.11}
  slave: {role: slave, address: 198.18.0.12}
vars:
  base: /srv
`;
