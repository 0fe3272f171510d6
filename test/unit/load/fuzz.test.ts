// Property: whatever text is given as an inventory or a playbook, the loader
// either loads it or throws a ConfigError whose every diagnostic is located —
// never another exception, never a stack trace for the operator.
// Seeded and bounded; XIVO_HA_FUZZ_RUNS=N runs more cases.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError } from '../../../src/core/errors.js';
import { loadInventory, parseInventory } from '../../../src/load/inventory.js';
import { parsePlaybookWith } from '../../../src/load/playbook.js';
import * as templates from '../../../src/template/index.js';
import { findFakeModule } from './fake-modules.js';
import { Workdir, MINIMAL_INVENTORY } from './helpers.js';

const runs = Number(process.env['XIVO_HA_FUZZ_RUNS'] ?? 200);
const seed = Number(process.env['XIVO_HA_FUZZ_SEED'] ?? 20240601);
const root = join(import.meta.dirname, '..', '..', '..');
const w = new Workdir();
after(() => w.remove());
const inventory = loadInventory(w.write('inv.yml', MINIMAL_INVENTORY));

const validInventory = readFileSync(join(root, 'inventories', 'cc-edge.yml'), 'utf8');
const validPlaybook = `- name: p
  hosts: xivo
  vars: {port: 80}
  tasks:
    - command: echo {{ base }} creates=/x
      register: out
      when: out is not defined
    - copy: {dest: "{{ base }}/a", content: "{{ port }}", mode: 0644}
      notify: h
  handlers:
    - name: h
      systemd: {name: a, state: restarted}
`;

/** Random text, random YAML-shaped values, and small edits of valid files. */
function inputs(valid: string): fc.Arbitrary<string> {
  const edit = fc
    .tuple(fc.nat(valid.length), fc.nat(8), fc.string({ maxLength: 6 }))
    .map(([at, drop, insert]) => valid.slice(0, at) + insert + valid.slice(at + drop));
  const keys = fc.constantFrom('hosts', 'tasks', 'nodes', 'role', 'all', 'children', 'vars', 'cluster', 'deployment', 'notify', 'copy', 'when', 'secrets', 'env', 'ha', 'loop');
  const yamlish = fc.dictionary(keys, fc.anything({ maxDepth: 3 })).map((v) => stringify(v));
  const listish = fc.array(fc.dictionary(keys, fc.anything({ maxDepth: 2 })), { maxLength: 3 }).map((v) => stringify(v));
  return fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }), yamlish, listish, edit);
}

function loadsOrLocatedConfigError(load: () => unknown): boolean {
  try {
    load();
    return true;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    assert.ok(err.diagnostics.length > 0);
    for (const d of err.diagnostics) {
      assert.ok(d.position, `unlocated: ${d.message}`);
      assert.ok(d.position.line >= 1 && d.position.column >= 1);
    }
    return true;
  }
}

test('any text as an inventory loads or gives located diagnostics', () => {
  process.env['XIVO_HA_TURN_SECRET'] = 'fuzz-turn-secret';
  fc.assert(
    fc.property(inputs(validInventory), (text) => loadsOrLocatedConfigError(() => parseInventory(join(w.dir, 'fuzz.yml'), text))),
    { numRuns: runs, seed },
  );
});

test('any text as a playbook loads or gives located diagnostics', () => {
  fc.assert(
    fc.property(inputs(validPlaybook), (text) =>
      loadsOrLocatedConfigError(() => parsePlaybookWith(join(w.dir, 'fuzz-site.yml'), text, inventory, { findModule: findFakeModule, templates })),
    ),
    { numRuns: runs, seed },
  );
});
