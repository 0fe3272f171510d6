// The committed JSON schemas are what editors validate against: they must
// still compile strictly, and the shipped examples must pass them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..', '..');
const schema = (name: string) => JSON.parse(readFileSync(join(root, 'schemas', name), 'utf8')) as Record<string, unknown>;
const yaml = (path: string) => parse(readFileSync(path, 'utf8'), { version: '1.1' }) as unknown;

for (const name of ['inventory.schema.json', 'playbook.schema.json']) {
  test(`${name} compiles in ajv's strict mode`, () => {
    // Union types and `required` inside `if` are deliberate JSON Schema; everything else strict.
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, strictRequired: false, allErrors: true });
    assert.doesNotThrow(() => ajv.compile(schema(name)));
  });
}

test('every example inventory validates against the committed schema', () => {
  const validate = new Ajv2020({ allErrors: true }).compile(schema('inventory.schema.json'));
  const files = readdirSync(join(root, 'inventories')).filter((f) => f.endsWith('.yml'));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const text = readFileSync(join(root, 'inventories', f), 'utf8');
    assert.ok(text.startsWith('# yaml-language-server: $schema=../schemas/inventory.schema.json'), `${f} lacks the $schema line`);
    assert.ok(validate(yaml(join(root, 'inventories', f))), `${f}: ${JSON.stringify(validate.errors)}`);
  }
});

test('the bench playbook validates against the committed playbook schema', () => {
  const validate = new Ajv2020({ allErrors: true }).compile(schema('playbook.schema.json'));
  const pb = yaml(join(root, 'bench', 'workload', 'playbook.yml'));
  assert.ok(validate(pb), JSON.stringify(validate.errors));
});
