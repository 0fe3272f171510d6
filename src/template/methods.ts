// Attribute and item access as Jinja2 does it on Python objects: `a.b` and
// `a['b']` reach a dict's keys, and the Python methods Ansible users call on
// strings, dicts and lists (`.split()`, `.startswith()`, `.items()`, `.get()`…).

import { Secret } from '../core/secret.js';
import { isUnknown } from '../core/unknown.js';
import { TemplateError } from './errors.js';
import { Callable, Tuple, isMapping, numberValue, operand, pyEquals, pyStr, typeName, Undefined } from './values.js';

type Method = (self: never, args: unknown[], kw: Record<string, unknown>) => unknown;

export function attribute(target: unknown, name: string): unknown {
  if (target instanceof Undefined) return target;
  if (isUnknown(target)) return target;
  const self = target instanceof Secret ? target.reveal() : target;
  const method = methodOf(self, name);
  if (method) return method;
  if (isMapping(self) && Object.prototype.hasOwnProperty.call(self, name)) return valueOf(self[name]);
  return missing(self, name);
}

export function item(target: unknown, key: unknown): unknown {
  if (target instanceof Undefined) return target;
  if (isUnknown(target)) return target;
  const self = target instanceof Secret ? target.reveal() : target;
  const k = operand(key);
  if (isMapping(self)) {
    const name = typeof k === 'string' ? k : pyStr(k);
    if (Object.prototype.hasOwnProperty.call(self, name)) return valueOf(self[name]);
    return methodOf(self, name) ?? missing(self, name);
  }
  if ((Array.isArray(self) || typeof self === 'string') && (typeof k === 'number' || typeof k === 'boolean')) {
    const seq: unknown[] | string = self;
    const i = numberValue(k);
    const at = i < 0 ? seq.length + i : i;
    if (at >= 0 && at < seq.length) return seq[at];
    return new Undefined(`${typeName(self)} object has no element ${i}`);
  }
  if (typeof k === 'string') {
    const method = methodOf(self, k);
    if (method) return method;
  }
  return new Undefined(`'${typeName(self)} object' has no attribute ${pyStr(k)}`);
}

function valueOf(v: unknown): unknown {
  return v === undefined ? null : v;
}

function missing(self: unknown, name: string): Undefined {
  return new Undefined(`'${typeName(self)} object' has no attribute '${name}'`);
}

export function sliceOf(target: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  const self = operand(target);
  if (!Array.isArray(self) && typeof self !== 'string') throw new TemplateError(`'${typeName(self)}' object is not subscriptable`);
  const seq = typeof self === 'string' ? [...self] : self;
  const n = seq.length;
  const st = step === null ? 1 : numberValue(operand(step) as number);
  if (st === 0) throw new TemplateError('slice step cannot be zero');
  const clamp = (v: unknown, dflt: number): number => {
    if (v === null) return dflt;
    let i = numberValue(operand(v) as number);
    if (i < 0) i += n;
    return st > 0 ? Math.min(Math.max(i, 0), n) : Math.min(Math.max(i, -1), n - 1);
  };
  const from = clamp(start, st > 0 ? 0 : n - 1);
  const to = clamp(stop, st > 0 ? n : -1);
  const out: unknown[] = [];
  for (let i = from; st > 0 ? i < to : i > to; i += st) out.push(seq[i]);
  return typeof self === 'string' ? out.join('') : out;
}

function methodOf(self: unknown, name: string): Callable | undefined {
  let table: Record<string, Method> | undefined;
  if (typeof self === 'string') table = STRING_METHODS;
  else if (Array.isArray(self)) table = LIST_METHODS;
  else if (isMapping(self)) table = DICT_METHODS;
  const m = table && Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  if (!m) return undefined;
  return new Callable(`${name} of ${typeName(self)} object`, (args, kw) => m(self as never, args.map(operand), kw));
}

function str(v: unknown, what: string): string {
  const x = operand(v);
  if (typeof x !== 'string') throw new TemplateError(`${what} must be str, not ${typeName(x)}`);
  return x;
}

function optionalChars(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : str(v, 'strip arg');
}

const WS = /[\s]/;

function pyStrip(s: string, chars: string | undefined, left: boolean, right: boolean): string {
  const strip = (ch: string): boolean => (chars === undefined ? WS.test(ch) : chars.includes(ch));
  const cs = [...s];
  let a = 0;
  let b = cs.length;
  if (left) while (a < b && strip(cs[a]!)) a++;
  if (right) while (b > a && strip(cs[b - 1]!)) b--;
  return cs.slice(a, b).join('');
}

/** Python's str.split(sep=None, maxsplit=-1). */
export function pySplit(s: string, sep: unknown = null, maxsplit: unknown = -1): string[] {
  const max = typeof maxsplit === 'number' ? maxsplit : -1;
  if (sep === null || sep === undefined) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '') {
      if (max >= 0 && out.length === max) {
        out.push(rest);
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const separator = str(sep, 'separator');
  if (separator === '') throw new TemplateError('empty separator');
  const parts = s.split(separator);
  if (max < 0 || parts.length <= max + 1) return parts;
  return [...parts.slice(0, max), parts.slice(max).join(separator)];
}

function affix(s: string, arg: unknown, test: (s: string, a: string) => boolean): boolean {
  if (Array.isArray(arg)) return arg.some((a) => test(s, str(a, 'tuple item')));
  return test(s, str(arg, 'argument'));
}

function pyFormat(s: string, args: unknown[], kw: Record<string, unknown>): string {
  let auto = 0;
  return s.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, field: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const name = (field ?? '').split(':')[0]!;
    if (name === '') return pyStr(args[auto++]);
    if (/^\d+$/.test(name)) return pyStr(args[Number(name)]);
    if (name in kw) return pyStr(kw[name]);
    throw new TemplateError(`KeyError: '${name}' in str.format()`);
  });
}

const STRING_METHODS: Record<string, Method> = {
  split: (s: string, a, kw) => pySplit(s, a[0] ?? kw.sep ?? null, a[1] ?? kw.maxsplit ?? -1),
  rsplit: (s: string, a, kw) => {
    const max = (a[1] ?? kw.maxsplit ?? -1) as number;
    const sep = a[0] ?? kw.sep ?? null;
    if (max < 0) return pySplit(s, sep);
    const rev = (x: string): string => [...x].reverse().join('');
    return pySplit(rev(s), sep === null ? null : rev(str(sep, 'separator')), max).map(rev).reverse();
  },
  splitlines: (s: string) => s.split(/\r\n|\r|\n/).filter((_, i, all) => i < all.length - 1 || all[i] !== ''),
  strip: (s: string, a) => pyStrip(s, optionalChars(a[0]), true, true),
  lstrip: (s: string, a) => pyStrip(s, optionalChars(a[0]), true, false),
  rstrip: (s: string, a) => pyStrip(s, optionalChars(a[0]), false, true),
  lower: (s: string) => s.toLowerCase(),
  upper: (s: string) => s.toUpperCase(),
  capitalize: (s: string) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  title: (s: string) => s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_, p: string, c: string) => p + c.toUpperCase()),
  startswith: (s: string, a) => affix(s, a[0], (x, p) => x.startsWith(p)),
  endswith: (s: string, a) => affix(s, a[0], (x, p) => x.endsWith(p)),
  replace: (s: string, a) => {
    const from = str(a[0], 'replace() argument 1');
    const to = str(a[1], 'replace() argument 2');
    const count = typeof a[2] === 'number' ? a[2] : -1;
    if (count < 0) return s.split(from).join(to);
    const parts = s.split(from);
    return parts.slice(0, count + 1).join(to) + (parts.length > count + 1 ? from + parts.slice(count + 1).join(from) : '');
  },
  find: (s: string, a) => s.indexOf(str(a[0], 'find() argument')),
  index: (s: string, a) => {
    const i = s.indexOf(str(a[0], 'index() argument'));
    if (i < 0) throw new TemplateError('substring not found');
    return i;
  },
  count: (s: string, a) => s.split(str(a[0], 'count() argument')).length - 1,
  join: (s: string, a) => (Array.isArray(a[0]) ? a[0] : []).map((x) => str(x, 'sequence item')).join(s),
  format: (s: string, a, kw) => pyFormat(s, a, kw),
  isdigit: (s: string) => s !== '' && /^\d+$/.test(s),
  isalpha: (s: string) => s !== '' && /^\p{L}+$/u.test(s),
  isalnum: (s: string) => s !== '' && /^[\p{L}\d]+$/u.test(s),
  islower: (s: string) => /[a-z]/.test(s) && s === s.toLowerCase(),
  isupper: (s: string) => /[A-Z]/.test(s) && s === s.toUpperCase(),
  zfill: (s: string, a) => {
    const width = a[0] as number;
    const sign = /^[+-]/.test(s) ? s[0]! : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  },
};

const DICT_METHODS: Record<string, Method> = {
  keys: (d: Record<string, unknown>) => Object.keys(d),
  values: (d: Record<string, unknown>) => Object.values(d),
  items: (d: Record<string, unknown>) => Object.entries(d).map(([k, v]) => Tuple.make<unknown>(k, v)),
  get: (d: Record<string, unknown>, a) => {
    const key = a[0];
    const k = typeof key === 'string' ? key : pyStr(key);
    return Object.prototype.hasOwnProperty.call(d, k) ? valueOf(d[k]) : (a[1] ?? null);
  },
  copy: (d: Record<string, unknown>) => ({ ...d }),
};

const LIST_METHODS: Record<string, Method> = {
  index: (l: unknown[], a) => {
    const i = l.findIndex((x) => pyEquals(x, a[0]));
    if (i < 0) throw new TemplateError(`${pyStr(a[0])} is not in list`);
    return i;
  },
  count: (l: unknown[], a) => l.filter((x) => pyEquals(x, a[0])).length,
};
