// Schema fragments shared by the modules' argsSchema (JSON Schema 2020-12).
// Values written as Jinja ("{{ flag }}") are only known after templating, so
// booleans, numbers and enums also accept a templated string; the modules
// check the templated value again (shared/args.ts).

export type Schema = Record<string, unknown>;

const templated: Schema = { type: 'string', pattern: '\\{\\{|\\{%' };

/** A JSON Schema for a module's arguments: an object with exactly these keys. */
export function argsObject(properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties, additionalProperties: false, ...extra };
}

export const stringArg: Schema = { type: 'string' };

/** Paths and names: YAML may hand a number (a name like 2024); it is used as text. */
export const textArg: Schema = { type: ['string', 'number'] };

export const boolArg: Schema = {
  anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['yes', 'no', 'true', 'false', 'True', 'False', 'on', 'off', '1', '0'] }, templated],
};

export function enumArg(values: readonly string[]): Schema {
  return { anyOf: [{ type: 'string', enum: [...values] }, templated] };
}

/** Ansible's mode: an integer (YAML 0644 is octal) or a string: octal digits or symbolic (u=rw,g=r,o=r). */
export const modeArg: Schema = { type: ['integer', 'string'] };

export const stringOrListArg: Schema = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };

/** owner, group and mode, as every file-writing module takes them. */
export const fileAttrArgs: Record<string, Schema> = {
  mode: modeArg,
  owner: textArg,
  group: textArg,
};

/** At least one of these keys (Ansible's aliases for one argument). */
export function requireOneOf(keys: readonly string[]): Schema {
  return { anyOf: keys.map((k) => ({ required: [k] })) };
}
