// Walks test/fixtures/bad-input: every broken file must fail with a
// ConfigError whose message contains the lines of its .expected.txt, each
// diagnostic located — never load, never crash with another exception.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/errors.js';
import { loadInventory } from '../../../src/load/inventory.js';
import { loadPlaybookWith } from '../../../src/load/playbook.js';
import * as templates from '../../../src/template/index.js';
import { findFakeModule } from './fake-modules.js';

const root = join(import.meta.dirname, '..', '..', 'fixtures', 'bad-input');
delete process.env['XIVO_HA_CORPUS_UNSET'];
const inventory = loadInventory(join(root, 'playbook-inventory.yml'));

const loaders: Record<string, (path: string) => unknown> = {
  inventory: (path) => loadInventory(path),
  playbook: (path) => loadPlaybookWith(path, inventory, { findModule: findFakeModule, templates }),
};

for (const [kind, load] of Object.entries(loaders)) {
  const dir = join(root, kind);
  const cases = readdirSync(dir).filter((f) => f.endsWith('.yml'));
  test(`the ${kind} corpus is not empty`, () => assert.ok(cases.length >= 10));
  for (const file of cases) {
    test(`${kind}/${file} fails with its expected located message`, () => {
      const expectedFile = join(dir, file.replace(/\.yml$/, '.expected.txt'));
      assert.ok(existsSync(expectedFile), `${expectedFile} is missing`);
      const expected = readFileSync(expectedFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
      let error: unknown;
      try {
        load(join(dir, file));
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error === undefined ? 'a successful load' : String(error)}`);
      for (const d of error.diagnostics) assert.ok(d.position, `diagnostic without position: ${d.message}`);
      const message = error.message.split(dir + '/').join('');
      for (const line of expected) assert.ok(message.includes(line), `missing:\n  ${line}\nin:\n  ${message}`);
    });
  }
}
