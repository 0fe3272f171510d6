// The build's precompiled validators (src/build/precompile-schemas.ts) must
// behave exactly like the schemas compiled at run time: same verdicts, same
// ajv errors, hence the same located diagnostics. The unchanged loader tests
// are run once more through a freshly generated file to prove it.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { renderPrecompiledValidators, SCHEMA_FILES } from '../../../src/build/precompile-schemas.js';
import { AJV_OPTIONS } from '../../../src/load/schema.js';
import { schemaDefinitionKey, schemaObjectKey, type PrecompiledValidators } from '../../../src/load/validators/keys.js';
import { modules } from '../../../src/modules/index.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const schemaDir = join(repo, 'schemas') + '/';

// The generated code requires ajv's runtime helpers: give its directory a node_modules.
const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-validators-'));
after(() => rmSync(dir, { recursive: true, force: true }));
symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
const generated = join(dir, 'validators.generated.cjs');
writeFileSync(generated, renderPrecompiledValidators(schemaDir, modules.map((m) => m.argsSchema)));
const { validators } = createRequire(import.meta.url)(generated) as PrecompiledValidators;

function sameVerdicts(name: string, precompiled: ValidateFunction, runtime: ValidateFunction, values: unknown[]): void {
  for (const value of values) {
    const a = precompiled(value);
    const b = runtime(value);
    assert.equal(a, b, `${name}: verdict on ${JSON.stringify(value)}`);
    assert.deepEqual(precompiled.errors ?? null, runtime.errors ?? null, `${name}: errors on ${JSON.stringify(value)}`);
  }
}

const odd: unknown[] = [null, 3, 'text', [], {}, { unknown_key: 1 }, { x: { y: [1, 'a', null] } }];

test('precompiles every $defs entry of the shipped schemas and every module argsSchema', () => {
  for (const file of SCHEMA_FILES) {
    const text = readFileSync(schemaDir + file, 'utf8');
    for (const definition of Object.keys((JSON.parse(text) as { $defs: object }).$defs)) {
      assert.equal(typeof validators[schemaDefinitionKey(file, text, definition)], 'function', `${file}#/$defs/${definition}`);
    }
  }
  for (const m of modules) assert.equal(typeof validators[schemaObjectKey(m.argsSchema)], 'function', m.name);
});

test('reports the same errors as the run-time compiled module argument schemas', () => {
  const ajv = new Ajv2020(AJV_OPTIONS);
  for (const m of modules) {
    const precompiled = validators[schemaObjectKey(m.argsSchema)] as ValidateFunction;
    const samples = [...odd, { path: '/etc/x', state: 'bogus', mode: 420 }, { name: 7, src: '{{ x }}', enabled: 'yes' }, { path: '/a', line: 'x', regexp: '(' }];
    sameVerdicts(m.name, precompiled, ajv.compile(m.argsSchema), samples);
  }
});

test('reports the same errors as the run-time compiled inventory and playbook schemas', () => {
  const ajv = new Ajv2020(AJV_OPTIONS);
  for (const file of SCHEMA_FILES) {
    const text = readFileSync(schemaDir + file, 'utf8');
    const schema = JSON.parse(text) as { $id: string; $defs: object };
    ajv.addSchema(schema);
    for (const definition of Object.keys(schema.$defs)) {
      const runtime = ajv.getSchema(`${schema.$id}#/$defs/${definition}`)!;
      const precompiled = validators[schemaDefinitionKey(file, text, definition)] as ValidateFunction;
      const samples = [...odd, { cluster: 'Bad Name', deployment: 'nope', nodes: { '1x': {} } }, { hosts: 'all', tasks: [{ name: 1 }], become: 'maybe' }];
      sameVerdicts(`${file}#/$defs/${definition}`, precompiled, runtime, samples);
    }
  }
});

test('finds no precompiled validator for a schema that changed since the build', () => {
  assert.equal(validators[schemaObjectKey({ type: 'object', properties: { added: { type: 'string' } } })], undefined);
  const text = readFileSync(schemaDir + 'inventory.schema.json', 'utf8');
  assert.equal(validators[schemaDefinitionKey('inventory.schema.json', text + ' ', 'xivoInventory')], undefined);
});

// NODE_TEST_CONTEXT would make the child report to us instead of printing TAP.
const { NODE_TEST_CONTEXT: _, ...parentEnv } = process.env;
const childEnv = { ...parentEnv, XIVO_HA_VALIDATORS: generated };

test('uses the file named by XIVO_HA_VALIDATORS instead of compiling', () => {
  const probe = `
    const { schemaDefinition, compileSchema } = await import('./src/load/schema.ts');
    const { modules } = await import('./src/modules/index.ts');
    const fns = [schemaDefinition('inventory.schema.json', 'xivoInventory'), schemaDefinition('playbook.schema.json', 'play'), ...modules.map((m) => compileSchema(m.argsSchema))];
    process.stdout.write(String(fns.filter((f) => 'schemaEnv' in f).length));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: repo, env: childEnv, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, '0', 'some validators were compiled at run time (they carry ajv\'s schemaEnv)');
});

test('the loader tests pass unchanged through the precompiled validators', () => {
  const files = ['inventory', 'playbook', 'bad-input-corpus', 'shipped-playbooks'].map((f) => join(repo, 'test/unit/load', `${f}.test.ts`));
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], {
    cwd: repo,
    env: childEnv,
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(run.status, 0, `loader tests failed through the precompiled validators:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
  assert.match(run.stdout, /# fail 0/);
});
