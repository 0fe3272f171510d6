// Python's value semantics on JavaScript values, as Jinja2 (running on
// Python) gives them to Ansible users: str() and repr(), truthiness,
// equality and ordering, and the type names its error messages use.
//
// Representation: None is null; str, bool, list and dict are JS strings,
// booleans, arrays and plain objects; an int is an integral JS number and a
// float is a non-integral number or a PyFloat (a float whose value happens
// to be integral, like 10 / 2, which Python prints as 5.0).

import { Secret } from '../core/secret.js';
import { isUnknown, Unknown } from '../core/unknown.js';
import { TemplateError } from './errors.js';

export class PyFloat {
  constructor(readonly value: number) {}
}

/** A Python tuple: a list that prints as (a, b), as dict.items() and zip give them. */
export class Tuple<T = unknown> extends Array<T> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  static make<T>(...items: T[]): Tuple<T> {
    const t = new Tuple<T>();
    t.push(...items);
    return t;
  }
}

/** Ansible's undefined: further attribute or item access gives the same undefined (AnsibleUndefined). */
export class Undefined {
  constructor(
    readonly message: string,
    /** The top-level variable whose absence this is, when it is one. */
    readonly variable?: string,
  ) {}
}

/** A Python callable: a bound string/dict method, or a global like range(). */
export class Callable {
  constructor(
    readonly name: string,
    readonly call: (positional: unknown[], keyword: Record<string, unknown>) => unknown,
  ) {}
}

/** Thrown when evaluation touches a value known only after apply; the caller returns the Unknown. */
export class UnknownHit extends Error {
  constructor(readonly unknown: Unknown) {
    super(unknown.reason);
  }
}

export function undefinedError(u: Undefined): TemplateError {
  return new TemplateError(u.message, {}, u.variable === undefined ? {} : { variable: u.variable });
}

/** A value fit for an operation: defined, known, and a secret as its plain text. */
export function operand(v: unknown): unknown {
  if (v instanceof Undefined) throw undefinedError(v);
  if (isUnknown(v)) throw new UnknownHit(v);
  if (v instanceof Secret) return v.reveal();
  return v;
}

export function makeFloat(x: number): number | PyFloat {
  return Number.isInteger(x) ? new PyFloat(x) : x;
}

export function isNumber(v: unknown): v is number | PyFloat {
  return typeof v === 'number' || v instanceof PyFloat;
}

export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

export function numberValue(v: number | PyFloat | boolean): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v instanceof PyFloat ? v.value : v;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat) && !(v instanceof Undefined) && !(v instanceof Callable) && !(v instanceof Secret) && !(v instanceof Unknown) && !Buffer.isBuffer(v);
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string' || v instanceof Secret) return 'str';
  if (isFloat(v)) return 'float';
  if (typeof v === 'number') return 'int';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Callable) return 'builtin_function_or_method';
  if (v instanceof Undefined) return 'AnsibleUndefined';
  return 'dict';
}

/** Python's str(). */
export function pyStr(v: unknown): string {
  v = operand(v);
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

/** Python's repr(). */
export function pyRepr(v: unknown): string {
  v = operand(v);
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return reprString(v);
  if (v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v))) return reprFloat(numberValue(v as number | PyFloat));
  if (typeof v === 'number') return String(v);
  if (v instanceof Tuple) return v.length === 1 ? `(${pyRepr(v[0])},)` : `(${v.map(pyRepr).join(', ')})`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v instanceof Callable) return `<built-in method ${v.name}>`;
  if (isMapping(v)) return `{${Object.entries(v).map(([k, x]) => `${reprString(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

export function reprFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mantissa, exp] = x.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exp.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

/** Python's bool(). */
export function truthy(v: unknown): boolean {
  v = operand(v);
  if (v === null || v === undefined || v === false || v === '') return false;
  if (isNumber(v)) return numberValue(v) !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return true;
}

/** Python's ==: True == 1, 1 == 1.0, deep on lists and dicts. */
export function pyEquals(a: unknown, b: unknown): boolean {
  a = operand(a);
  b = operand(b);
  const numeric = (x: unknown): x is number | PyFloat | boolean => isNumber(x) || typeof x === 'boolean';
  if (numeric(a) && numeric(b)) return numberValue(a) === numberValue(b);
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && pyEquals(a[k], b[k]));
  }
  return a === b;
}

/** Python's ordering (<): numbers with numbers, strings with strings, lists element-wise. */
export function pyCompare(a: unknown, b: unknown, op = '<'): number {
  a = operand(a);
  b = operand(b);
  const numeric = (x: unknown): x is number | PyFloat | boolean => isNumber(x) || typeof x === 'boolean';
  if (numeric(a) && numeric(b)) return Math.sign(numberValue(a) - numberValue(b));
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i], op);
    }
    return Math.sign(a.length - b.length);
  }
  throw new TemplateError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/** Python's `in`. */
export function pyContains(container: unknown, item: unknown): boolean {
  container = operand(container);
  if (typeof container === 'string') {
    const needle = operand(item);
    if (typeof needle !== 'string') throw new TemplateError(`'in <string>' requires string as left operand, not ${typeName(needle)}`);
    return container.includes(needle);
  }
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
  if (isMapping(container)) {
    const key = operand(item);
    return typeof key === 'string' || typeof key === 'number' ? Object.prototype.hasOwnProperty.call(container, String(key)) : false;
  }
  throw new TemplateError(`argument of type '${typeName(container)}' is not iterable`);
}

/** What `for` and list-taking filters iterate: a list, a dict's keys, a string's characters. */
export function iterate(v: unknown): unknown[] {
  v = operand(v);
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMapping(v)) return Object.keys(v);
  throw new TemplateError(`'${typeName(v)}' object is not iterable`);
}

/** Plain JavaScript for callers: PyFloat becomes a number, deeply. */
export function toNative(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.some(needsNative) ? v.map(toNative) : v;
  if (isMapping(v) && Object.values(v).some(needsNative)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toNative(x);
    return out;
  }
  return v;
}

function needsNative(v: unknown): boolean {
  if (v instanceof PyFloat) return true;
  if (Array.isArray(v)) return v.some(needsNative);
  if (isMapping(v)) return Object.values(v).some(needsNative);
  return false;
}

/** Ansible's `bool` filter: yes/on/1/true (any case) and 1 are true, None stays None, anything else false. */
export function toBool(v: unknown): boolean | null {
  v = operand(v);
  if (v === null || typeof v === 'boolean') return v;
  const x = typeof v === 'string' ? v.toLowerCase() : v;
  if (x === 'yes' || x === 'on' || x === '1' || x === 'true') return true;
  if (isNumber(x) && numberValue(x) === 1) return true;
  return false;
}
