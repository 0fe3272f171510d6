// Jinja2's tests and Ansible's, for `x is test(args)` and select/reject.

import { isUnknown } from '../core/unknown.js';
import { Secret } from '../core/secret.js';
import { TemplateError } from './errors.js';
import { pythonRegex } from './regex.js';
import { Callable, isFloat, isMapping, isNumber, numberValue, operand, pyCompare, pyContains, pyEquals, pyStr, toBool, truthy, Undefined, UnknownHit } from './values.js';

type Test = (value: unknown, args: unknown[], kw: Record<string, unknown>) => boolean;

/** Tests that look at undefined or unknown values without failing. */
const TOLERANT: Record<string, Test> = {
  defined: (v) => !(v instanceof Undefined),
  undefined: (v) => v instanceof Undefined,
};

function regexTest(mode: 'match' | 'search' | 'fullmatch'): Test {
  return (v, args, kw) => {
    const s = pyStr(v);
    const pattern = String(operand(args[0] ?? kw.pattern));
    const re = pythonRegex(pattern, { ignorecase: truthy(args[1] ?? kw.ignorecase ?? false), multiline: truthy(args[2] ?? kw.multiline ?? false) });
    const m = re.exec(s);
    if (!m) return false;
    if (mode === 'match') return m.index === 0;
    if (mode === 'fullmatch') return m.index === 0 && m[0].length === s.length;
    return true;
  };
}

const cmp =
  (accept: (c: number) => boolean, op: string): Test =>
  (v, args) =>
    accept(pyCompare(v, args[0], op));

const TESTS: Record<string, Test> = {
  none: (v) => v === null,
  string: (v) => typeof v === 'string',
  number: (v) => isNumber(v),
  integer: (v) => typeof v === 'number' && !isFloat(v),
  float: (v) => isFloat(v),
  boolean: (v) => typeof v === 'boolean',
  mapping: (v) => isMapping(v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string' || isMapping(v),
  iterable: (v) => Array.isArray(v) || typeof v === 'string' || isMapping(v),
  callable: (v) => v instanceof Callable,
  in: (v, args) => pyContains(args[0], v),
  contains: (v, args) => pyContains(v, args[0]),
  match: regexTest('match'),
  search: regexTest('search'),
  regex: (v, args, kw) => regexTest(kw.match_type === 'match' ? 'match' : kw.match_type === 'fullmatch' ? 'fullmatch' : 'search')(v, args, kw),
  truthy: (v, args, kw) => (truthy(args[0] ?? kw.convert_bool ?? false) ? toBool(v) === true : truthy(v)),
  falsy: (v, args, kw) => !(truthy(args[0] ?? kw.convert_bool ?? false) ? toBool(v) === true : truthy(v)),
  equalto: (v, args) => pyEquals(v, args[0]),
  eq: (v, args) => pyEquals(v, args[0]),
  '==': (v, args) => pyEquals(v, args[0]),
  ne: (v, args) => !pyEquals(v, args[0]),
  '!=': (v, args) => !pyEquals(v, args[0]),
  lt: cmp((c) => c < 0, '<'),
  '<': cmp((c) => c < 0, '<'),
  lessthan: cmp((c) => c < 0, '<'),
  le: cmp((c) => c <= 0, '<='),
  '<=': cmp((c) => c <= 0, '<='),
  gt: cmp((c) => c > 0, '>'),
  '>': cmp((c) => c > 0, '>'),
  greaterthan: cmp((c) => c > 0, '>'),
  ge: cmp((c) => c >= 0, '>='),
  '>=': cmp((c) => c >= 0, '>='),
  odd: (v) => numberValue(v as number) % 2 !== 0,
  even: (v) => numberValue(v as number) % 2 === 0,
  divisibleby: (v, args) => numberValue(v as number) % numberValue(args[0] as number) === 0,
  lower: (v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (v) => typeof v === 'string' && v === v.toUpperCase(),
  subset: (v, args) => Array.isArray(v) && Array.isArray(args[0]) && v.every((x) => pyContains(args[0], x)),
  superset: (v, args) => Array.isArray(v) && Array.isArray(args[0]) && (args[0] as unknown[]).every((x) => pyContains(v, x)),
  sameas: (v, args) => v === args[0],
};

export function callTest(name: string, value: unknown, args: unknown[], kw: Record<string, unknown>): boolean {
  const short = name.replace(/^ansible\.builtin\./, '');
  const tolerant = TOLERANT[short];
  if (tolerant) {
    if (isUnknown(value)) return short === 'defined';
    return tolerant(value, args, kw);
  }
  const test = TESTS[short];
  if (!test) throw new TemplateError(`no test named '${name}'`);
  const v = operand(value);
  return test(v, args.map(plainArg), kw);
}

export function isTestName(name: string): boolean {
  const short = name.replace(/^ansible\.builtin\./, '');
  return short in TOLERANT || short in TESTS;
}

function plainArg(a: unknown): unknown {
  if (a instanceof Secret) return a.reveal();
  if (isUnknown(a)) throw new UnknownHit(a);
  return a;
}
