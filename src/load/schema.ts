// JSON Schema validation with ONE shared Ajv instance (compiling is the
// expensive part, so validators are cached per schema object), and the
// translation of ajv's errors into located, readable diagnostics.
//
// Compiling costs about a third of a second per start, so the build
// precompiles every schema we ship (src/build/precompile-schemas.ts) into
// validators.generated.cjs beside this file. Those are used when present and
// built from the very same schema text; anything else (running from the
// sources under tsx, a schema edited since the build, a test's fake module)
// is compiled here, lazily, with the same options.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostics, PathSegment } from './diagnostics.js';
import { positionOf, type YamlSource } from './yaml-source.js';
import { didYouMean } from './suggest.js';
import { GENERATED_VALIDATORS_FILE, schemaDefinitionKey, schemaObjectKey, type PrecompiledValidators } from './validators/keys.js';

// strict: false because module argument schemas come from other files and
// may carry annotations ajv does not know; our own schemas are checked by the
// drift test. The build uses these same options.
export const AJV_OPTIONS = { allErrors: true, strict: false, verbose: true } as const;

const require = createRequire(import.meta.url);
let runtimeAjv: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

function ajv(): Ajv2020 {
  if (!runtimeAjv) {
    const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    runtimeAjv = new AjvClass(AJV_OPTIONS);
  }
  return runtimeAjv;
}

let precompiled: Record<string, ValidateFunction> | null | undefined;

/**
 * The build's validators, or null when there are none. XIVO_HA_VALIDATORS
 * names another generated file (the tests run the loader through one).
 */
function precompiledValidators(): Record<string, ValidateFunction> | null {
  if (precompiled === undefined) {
    const path = process.env['XIVO_HA_VALIDATORS'] || fileURLToPath(new URL(`./${GENERATED_VALIDATORS_FILE}`, import.meta.url));
    try {
      precompiled = (require(path) as PrecompiledValidators).validators as Record<string, ValidateFunction>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      precompiled = null;
    }
  }
  return precompiled;
}

export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = precompiledValidators()?.[schemaObjectKey(schema)] ?? ajv().compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

const schemaDir = fileURLToPath(new URL('../../schemas/', import.meta.url));
const schemaTexts = new Map<string, string>();
const schemaIds = new Map<string, string>();

/** The validator of a `$defs` entry of a committed schema, e.g. ('inventory.schema.json', 'xivoInventory'). */
export function schemaDefinition(file: string, definition: string): ValidateFunction {
  let text = schemaTexts.get(file);
  if (text === undefined) {
    text = readFileSync(schemaDir + file, 'utf8');
    schemaTexts.set(file, text);
  }
  const built = precompiledValidators()?.[schemaDefinitionKey(file, text, definition)];
  if (built) return built;
  let id = schemaIds.get(file);
  if (id === undefined) {
    const schema = JSON.parse(text) as Record<string, unknown>;
    id = schema['$id'] as string;
    ajv().addSchema(schema);
    schemaIds.set(file, id);
  }
  const v = ajv().getSchema(`${id}#/$defs/${definition}`);
  if (!v) throw new Error(`schema ${file} has no $defs/${definition}`);
  return v;
}

/** A committed schema under schemas/, parsed. */
export function loadSchemaFile(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(schemaDir + file, 'utf8')) as Record<string, unknown>;
}

export interface ValidateOptions {
  /** Prefix of diagnostic codes: "inventory" gives inventory.schema, inventory.unknown-key. */
  codePrefix: string;
  /** Where the validated value sits in the YAML document. */
  basePath?: PathSegment[];
  /** Keys that are known but deliberately unsupported: reported as such instead of "unknown key". */
  unsupportedKeys?: ReadonlySet<string>;
  /** Skip type/enum/pattern errors on strings that are Jinja templates: their value is only known when rendered. */
  allowTemplates?: boolean;
}

/** Returns true when the value is valid. */
export function validateAgainst(
  schema: Record<string, unknown> | ValidateFunction,
  value: unknown,
  src: YamlSource,
  diagnostics: Diagnostics,
  options: ValidateOptions,
): boolean {
  const validate = typeof schema === 'function' ? schema : compileSchema(schema);
  if (validate(value)) return true;
  const base = options.basePath ?? [];
  let reported = 0;
  for (const err of significantErrors(validate.errors ?? [])) {
    if (options.allowTemplates && isTemplate(err.data) && ['type', 'enum', 'pattern', 'const', 'format', 'minimum', 'maximum'].includes(err.keyword)) continue;
    const path = [...base, ...pointerSegments(err.instancePath)];
    reported++;
    describe(err, path, src, diagnostics, options);
  }
  return reported === 0;
}

function describe(err: ErrorObject, path: PathSegment[], src: YamlSource, diagnostics: Diagnostics, options: ValidateOptions): void {
  const code = `${options.codePrefix}.schema`;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String((err.params as { additionalProperty: string }).additionalProperty);
      const at = [...path, key];
      if (options.unsupportedKeys?.has(key)) {
        diagnostics.error(`${options.codePrefix}.unsupported`, `"${key}" is not supported by xivo-ha`, positionOf(src, at, 'key'), at);
        return;
      }
      const known = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      diagnostics.error(`${options.codePrefix}.unknown-key`, `unknown key "${key}"${didYouMean(key, known)}`, positionOf(src, at, 'key'), at);
      return;
    }
    case 'propertyNames': {
      const key = String((err.params as { propertyName: string }).propertyName);
      const at = [...path, key];
      diagnostics.error(code, `invalid name "${key}": ${namePatternHint(err)}`, positionOf(src, at, 'key'), at);
      return;
    }
    case 'required': {
      const key = (err.params as { missingProperty: string }).missingProperty;
      diagnostics.error(code, `missing required key "${key}"`, positionOf(src, path), path);
      return;
    }
    case 'enum': {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
      diagnostics.error(code, `must be one of ${allowed}, got ${show(err.data)}`, positionOf(src, path), path);
      return;
    }
    case 'type': {
      const t = (err.params as { type: string | string[] }).type;
      const wanted = Array.isArray(t) ? t.join(' or ') : t;
      diagnostics.error(code, `must be ${article(wanted)}, got ${describeType(err.data)}`, positionOf(src, path), path);
      return;
    }
    case 'pattern':
      diagnostics.error(code, `${show(err.data)} does not match ${(err.params as { pattern: string }).pattern}`, positionOf(src, path), path);
      return;
    case 'oneOf':
    case 'anyOf': {
      const alternatives = requiredAlternatives(err.schema);
      const message = alternatives ? `needs exactly one of ${alternatives}` : `does not match any allowed form (${err.message ?? ''})`;
      diagnostics.error(code, message, positionOf(src, path), path);
      return;
    }
    default:
      diagnostics.error(code, err.message ?? `fails ${err.keyword}`, positionOf(src, path), path);
  }
}

/** Drops what adds noise: the children of a failed oneOf/anyOf (summarised by the parent) and `if` markers. */
function significantErrors(errors: ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.schemaPath + '/');
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    // Errors inside propertyNames repeat what the propertyNames error says, and point at the parent.
    if (e.keyword === 'if' || e.propertyName !== undefined) continue;
    if (alternatives.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

function requiredAlternatives(schema: unknown): string | undefined {
  if (!Array.isArray(schema)) return undefined;
  const names: string[] = [];
  for (const alt of schema as { required?: string[] }[]) {
    if (!alt || !Array.isArray(alt.required) || alt.required.length !== 1) return undefined;
    names.push(`"${alt.required[0]}"`);
  }
  return names.join(', ');
}

function namePatternHint(err: ErrorObject): string {
  const pattern = (err.parentSchema as { propertyNames?: { pattern?: string } } | undefined)?.propertyNames?.pattern;
  return pattern ? `names must match ${pattern}` : (err.message ?? 'not allowed');
}

export function pointerSegments(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

export function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%'));
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return `a date (${value.toISOString().slice(0, 10)}; quote it to keep it a string)`;
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${show(value)}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
