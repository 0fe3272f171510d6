// Reading a module's arguments after templating. The loader validated the raw
// arguments against the module's schema, but a templated value ("{{ x }}")
// is only known now: these readers check it again, with Ansible's coercions
// (booleans from yes/no/true/1…, numbers from numeric strings).

import { UserError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';

export type Args = Record<string, unknown>;

/** An argument that is wrong once templated; the runner locates it at the task. */
export class ModuleArgError extends UserError {}

const TRUE_WORDS = new Set(['yes', 'on', '1', 'true', 'y', 't']);
const FALSE_WORDS = new Set(['no', 'off', '0', 'false', 'n', 'f', '']);

export function optionalString(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  // A secret reaches a module only to be written; diffs of it are marked sensitive.
  if (v instanceof Secret) return v.reveal();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ModuleArgError(`argument ${key} must be a string, got ${describe(v)}`);
}

export function requiredString(args: Args, key: string): string {
  const v = optionalString(args, key);
  if (v === undefined) throw new ModuleArgError(`argument ${key} is required`);
  return v;
}

/** Ansible's boolean conversion: true/false, yes/no, on/off, 1/0 (any case). */
export function bool(args: Args, key: string, fallback: boolean): boolean {
  const v = optionalBool(args, key);
  return v ?? fallback;
}

export function optionalBool(args: Args, key: string): boolean | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  const word = String(v).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ModuleArgError(`argument ${key} must be a boolean (yes/no, true/false), got ${describe(v)}`);
}

export function choice<T extends string>(args: Args, key: string, allowed: readonly T[], fallback: T): T;
export function choice<T extends string>(args: Args, key: string, allowed: readonly T[]): T | undefined;
export function choice<T extends string>(args: Args, key: string, allowed: readonly T[], fallback?: T): T | undefined {
  const v = optionalString(args, key);
  if (v === undefined) return fallback;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new ModuleArgError(`argument ${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

/** The first of several alias keys that is set (Ansible's `path`/`dest`/`name`). */
export function aliased(args: Args, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const v = optionalString(args, key);
    if (v !== undefined) return v;
  }
  return undefined;
}

export function requiredAliased(args: Args, keys: readonly string[]): string {
  const v = aliased(args, keys);
  if (v === undefined) throw new ModuleArgError(`argument ${keys[0]} is required${keys.length > 1 ? ` (aliases: ${keys.slice(1).join(', ')})` : ''}`);
  return v;
}

/** A string or a list of strings (assert's `that`, authorized_key's `key` lines…). */
export function stringList(args: Args, key: string): string[] {
  const v = args[key];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((item) => String(item));
  return [String(v)];
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`;
}
