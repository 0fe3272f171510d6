// The keys under which precompiled validators are stored. Both are derived
// from the schema's content, so a validator built from a different schema
// (an edited schema file, a module changed since the build, a test's fake
// module) is never found and the schema is compiled at run time instead.

import { createHash } from 'node:crypto';

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** Key of a module's argsSchema (or any schema object): a hash of its JSON. */
export function schemaObjectKey(schema: Record<string, unknown>): string {
  return `object:${digest(JSON.stringify(schema))}`;
}

/** Key of one `$defs` entry of a committed schema file, tied to the file's exact text. */
export function schemaDefinitionKey(file: string, fileText: string, definition: string): string {
  return `file:${file}:${digest(fileText)}#/$defs/${definition}`;
}

/** What the generated module exports: key → validator. */
export interface PrecompiledValidators {
  validators: Record<string, unknown>;
}

/** File name of the generated module, beside the compiled schema.js. */
export const GENERATED_VALIDATORS_FILE = 'validators.generated.cjs';
