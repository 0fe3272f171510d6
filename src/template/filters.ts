// Jinja2's built-in filters and Ansible's, with Python's behaviour (Jinja's
// sort is case-insensitive, int('3.7') is 3, to_json spaces like json.dumps).

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isUnknown } from '../core/unknown.js';
import { TemplateError } from './errors.js';
import { attribute } from './methods.js';
import { pySplit } from './methods.js';
import { pythonRegex, pythonReplacement } from './regex.js';
import { dumpJson, dumpYaml } from './serialize.js';
import { callTest } from './tests.js';
import {
  isFloat,
  isMapping,
  isNumber,
  iterate,
  makeFloat,
  numberValue,
  operand,
  pyCompare,
  pyEquals,
  pyRepr,
  pyStr,
  toBool,
  truthy,
  Tuple,
  typeName,
  Undefined,
  UnknownHit,
} from './values.js';

type Filter = (value: unknown, p: Params) => unknown;

/** A filter's arguments, by position or by keyword, Python-style. */
class Params {
  constructor(
    readonly positional: unknown[],
    readonly keyword: Record<string, unknown>,
  ) {}
  get(index: number, name: string, fallback?: unknown): unknown {
    if (index < this.positional.length) return this.positional[index];
    if (Object.prototype.hasOwnProperty.call(this.keyword, name)) return this.keyword[name];
    return fallback;
  }
  str(index: number, name: string, fallback?: string): string {
    const v = this.get(index, name, fallback);
    if (v === undefined) throw new TemplateError(`missing required argument '${name}'`);
    return pyStr(v);
  }
  flag(index: number, name: string): boolean {
    return truthy(this.get(index, name, false));
  }
  rest(from: number): unknown[] {
    return this.positional.slice(from);
  }
}

/** Filters that receive undefined (or unknown) values instead of failing on them. */
const TOLERANT = new Set(['default', 'd', 'mandatory']);

const FILTERS: Record<string, Filter> = {
  default: (v, p) => {
    if (v instanceof Undefined) return p.get(0, 'default_value', '');
    if (p.flag(1, 'boolean') && !truthy(v)) return p.get(0, 'default_value', '');
    return v;
  },
  mandatory: (v, p) => {
    if (v instanceof Undefined) {
      const msg = p.get(0, 'msg');
      throw new TemplateError(msg === undefined || msg === null ? `Mandatory variable ${v.variable ? `'${v.variable}' ` : ''}not defined.` : pyStr(msg));
    }
    return v;
  },
  join: (v, p) => {
    const attr = p.get(1, 'attribute');
    let items = iterate(v);
    if (attr !== undefined && attr !== null) items = items.map((x) => attribute(x, pyStr(attr)));
    return items.map(pyStr).join(p.str(0, 'd', ''));
  },
  lower: (v) => pyStr(v).toLowerCase(),
  upper: (v) => pyStr(v).toUpperCase(),
  capitalize: (v) => {
    const s = pyStr(v);
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  },
  title: (v) => pyStr(v).toLowerCase().replace(/(^|[^\p{L}\d'])(\p{L})/gu, (_, a: string, c: string) => a + c.toUpperCase()),
  trim: (v, p) => {
    const chars = p.get(0, 'chars');
    const s = pyStr(v);
    if (chars === undefined || chars === null) return s.replace(/^\s+|\s+$/g, '');
    const set = pyStr(chars);
    let a = 0;
    let b = s.length;
    while (a < b && set.includes(s[a]!)) a++;
    while (b > a && set.includes(s[b - 1]!)) b--;
    return s.slice(a, b);
  },
  replace: (v, p) => {
    const s = pyStr(v);
    const from = p.str(0, 'old');
    const to = p.str(1, 'new');
    const count = p.get(2, 'count');
    if (count === undefined || count === null) return s.split(from).join(to);
    const n = numberValue(count as number);
    const parts = s.split(from);
    return parts.slice(0, n + 1).join(to) + (parts.length > n + 1 ? from + parts.slice(n + 1).join(from) : '');
  },
  int: (v, p) => toInt(v, p.get(0, 'default', 0), numberValue(operand(p.get(1, 'base', 10)) as number)),
  float: (v, p) => toFloat(v, p.get(0, 'default', new Number(0))),
  string: (v) => pyStr(v),
  bool: (v) => toBool(v),
  length: (v) => size(v),
  count: (v) => size(v),
  first: (v) => {
    const items = iterate(v);
    return items.length > 0 ? items[0] : new Undefined('No first item, sequence was empty.');
  },
  last: (v) => {
    const items = iterate(v);
    return items.length > 0 ? items[items.length - 1] : new Undefined('No last item, sequence was empty.');
  },
  unique: (v) => {
    const out: unknown[] = [];
    for (const x of iterate(v)) if (!out.some((y) => pyEquals(x, y))) out.push(x);
    return out;
  },
  sort: (v, p) => {
    const reverse = p.flag(0, 'reverse');
    const caseSensitive = p.flag(1, 'case_sensitive');
    const attr = p.get(2, 'attribute');
    const key = (x: unknown): unknown => {
      let k = attr === undefined || attr === null ? x : attribute(x, pyStr(attr));
      k = operand(k);
      return !caseSensitive && typeof k === 'string' ? k.toLowerCase() : k;
    };
    const sorted = [...iterate(v)].sort((a, b) => pyCompare(key(a), key(b)));
    return reverse ? sorted.reverse() : sorted;
  },
  reverse: (v) => {
    const x = operand(v);
    if (typeof x === 'string') return [...x].reverse().join('');
    return [...iterate(x)].reverse();
  },
  list: (v) => [...iterate(v)],
  map: (v, p) => {
    const items = iterate(v);
    if (p.positional.length === 0 && 'attribute' in p.keyword) {
      const attr = pyStr(p.keyword.attribute);
      const fallback = p.keyword.default;
      return items.map((x) => {
        const r = attribute(x, attr);
        return r instanceof Undefined && fallback !== undefined ? fallback : r;
      });
    }
    const name = p.str(0, 'filter');
    const params = new Params(p.rest(1), p.keyword);
    return items.map((x) => callFilter(name, x, params.positional, params.keyword));
  },
  select: (v, p) => selectBy(v, p, false, false),
  reject: (v, p) => selectBy(v, p, true, false),
  selectattr: (v, p) => selectBy(v, p, false, true),
  rejectattr: (v, p) => selectBy(v, p, true, true),
  sum: (v, p) => {
    const attr = p.get(0, 'attribute');
    let total: unknown = p.get(1, 'start', 0);
    for (const x of iterate(v)) total = add(total, attr === undefined || attr === null ? x : attribute(x, pyStr(attr)));
    return total;
  },
  min: (v, p) => extreme(v, p, -1),
  max: (v, p) => extreme(v, p, 1),
  abs: (v) => {
    const x = operand(v);
    if (!isNumber(x)) throw new TemplateError(`bad operand type for abs(): '${typeName(x)}'`);
    return isFloat(x) ? makeFloat(Math.abs(numberValue(x))) : Math.abs(numberValue(x));
  },
  round: (v, p) => {
    const precision = numberValue(operand(p.get(0, 'precision', 0)) as number);
    const method = p.str(1, 'method', 'common');
    const x = numberValue(operand(v) as number);
    const f = 10 ** precision;
    const r = method === 'ceil' ? Math.ceil(x * f) / f : method === 'floor' ? Math.floor(x * f) / f : roundHalfEven(x * f) / f;
    return makeFloat(r);
  },
  regex_replace: (v, p) => {
    const re = pythonRegex(p.str(0, 'pattern', ''), { ignorecase: p.flag(2, 'ignorecase'), multiline: p.flag(3, 'multiline'), global: true });
    return pyStr(v).replace(re, pythonReplacement(p.str(1, 'replacement', '')));
  },
  regex_search: (v, p) => {
    const re = pythonRegex(p.str(0, 'regex'), { ignorecase: truthy(p.keyword.ignorecase ?? false), multiline: truthy(p.keyword.multiline ?? false) });
    const m = re.exec(pyStr(v));
    if (!m) return null;
    const refs = p.rest(1).map(pyStr);
    if (refs.length === 0) return m[0];
    return refs.map((ref) => {
      const named = /^\\g<(\S+)>$/.exec(ref);
      if (named) return /^\d+$/.test(named[1]!) ? (m[Number(named[1])] ?? null) : (m.groups?.[named[1]!] ?? null);
      const num = /^\\(\d+)$/.exec(ref);
      if (num) return m[Number(num[1])] ?? null;
      throw new TemplateError('Unknown argument');
    });
  },
  regex_findall: (v, p) => {
    const re = pythonRegex(p.str(0, 'regex'), { ignorecase: p.flag(2, 'ignorecase'), multiline: p.flag(1, 'multiline'), global: true });
    return [...pyStr(v).matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((g) => g ?? '')));
  },
  regex_escape: (v) => pyStr(v).replace(/[^A-Za-z0-9_]/g, (c) => '\\' + c),
  split: (v, p) => pySplit(pyStr(v), p.get(0, 'sep', null), p.get(1, 'maxsplit', -1)),
  to_json: (v, p) => dumpJson(v, jsonOptions(p, {})),
  to_nice_json: (v, p) => dumpJson(v, jsonOptions(p, { indent: 4, sortKeys: true, separators: [',', ': '] })),
  from_json: (v) => {
    try {
      return JSON.parse(pyStr(v)) as unknown;
    } catch (err) {
      throw new TemplateError(`from_json: ${(err as Error).message}`);
    }
  },
  to_yaml: (v, p) => dumpYaml(v, { indent: numberValue(operand(p.keyword.indent ?? 2) as number), ...(p.keyword.default_flow_style === undefined || p.keyword.default_flow_style === null ? {} : { flowStyle: truthy(p.keyword.default_flow_style) }) }),
  to_nice_yaml: (v, p) => dumpYaml(v, { indent: numberValue(operand(p.get(0, 'indent', 4)) as number), flowStyle: false }),
  from_yaml: (v) => parseYaml(pyStr(v)) as unknown,
  b64encode: (v) => Buffer.from(pyStr(v), 'utf8').toString('base64'),
  b64decode: (v) => Buffer.from(pyStr(v), 'base64').toString('utf8'),
  basename: (v) => {
    const s = pyStr(v);
    return s.slice(s.lastIndexOf('/') + 1);
  },
  dirname: (v) => pythonDirname(pyStr(v)),
  splitext: (v) => {
    const s = pyStr(v);
    const ext = posix.extname(s);
    return [s.slice(0, s.length - ext.length), ext];
  },
  path_join: (v) => iterate(v).map(pyStr).reduce((acc, part) => (part.startsWith('/') || acc === '' ? part : acc.endsWith('/') ? acc + part : `${acc}/${part}`), ''),
  quote: (v) => shellQuote(operand(v) === null ? '' : pyStr(v)),
  combine: (v, p) => combine([v, ...p.positional], p.keyword),
  dict2items: (v, p) => {
    const d = operand(v);
    if (!isMapping(d)) throw new TemplateError(`dict2items requires a dictionary, got ${typeName(d)} instead.`);
    const k = p.str(0, 'key_name', 'key');
    const val = p.str(1, 'value_name', 'value');
    return Object.entries(d).map(([key, value]) => ({ [k]: key, [val]: value }));
  },
  items2dict: (v, p) => {
    const k = p.str(0, 'key_name', 'key');
    const val = p.str(1, 'value_name', 'value');
    const out: Record<string, unknown> = {};
    for (const it of iterate(v)) {
      const entry = operand(it);
      if (!isMapping(entry) || !(k in entry) || !(val in entry)) throw new TemplateError(`items2dict requires each dictionary in the list to contain the keys '${k}' and '${val}', got ${pyRepr(v)} instead.`);
      out[pyStr(entry[k])] = entry[val];
    }
    return out;
  },
  items: (v) => {
    const d = operand(v);
    if (!isMapping(d)) throw new TemplateError(`Can only get item pairs from a mapping, not ${typeName(d)}.`);
    return Object.entries(d).map(([k, x]) => Tuple.make<unknown>(k, x));
  },
  ternary: (v, p) => {
    const none = p.get(2, 'none_val', null);
    if (operand(v) === null && none !== null) return none;
    return truthy(v) ? p.get(0, 'true_val') : p.get(1, 'false_val');
  },
  hash: (v, p) => digest(p.str(0, 'hashtype', 'sha1'), pyStr(v)),
  checksum: (v) => digest('sha1', pyStr(v)),
  md5: (v) => digest('md5', pyStr(v)),
  sha1: (v) => digest('sha1', pyStr(v)),
  flatten: (v, p) => flatten(iterate(v), p.get(0, 'levels', null) as number | null, p.flag(1, 'skip_nulls') || p.get(1, 'skip_nulls') === undefined),
  zip: (v, p) => {
    const lists = [iterate(v), ...p.positional.map(iterate)];
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => Tuple.make(...lists.map((l) => l[i])));
  },
  union: (v, p) => FILTERS.unique!([...iterate(v), ...iterate(p.get(0, 'b'))], new Params([], {})),
  intersect: (v, p) => (FILTERS.unique!(iterate(v), new Params([], {})) as unknown[]).filter((x) => iterate(p.get(0, 'b')).some((y) => pyEquals(x, y))),
  difference: (v, p) => (FILTERS.unique!(iterate(v), new Params([], {})) as unknown[]).filter((x) => !iterate(p.get(0, 'b')).some((y) => pyEquals(x, y))),
  indent: (v, p) => {
    const width = p.get(0, 'width', 4);
    const pad = typeof width === 'string' ? width : ' '.repeat(numberValue(operand(width) as number));
    const first = p.flag(1, 'first');
    const blank = p.flag(2, 'blank');
    const s = pyStr(v);
    const lines = s.split('\n');
    const out = lines.map((line, i) => (i === 0 && !first) || (!blank && line.trim() === '') ? line : pad + line);
    return out.join('\n');
  },
  center: (v, p) => {
    const s = pyStr(v);
    const width = numberValue(operand(p.get(0, 'width', 80)) as number);
    const total = Math.max(0, width - s.length);
    const left = Math.floor(total / 2) + (total % 2 && width % 2 ? 1 : 0);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  },
  format: (v, p) => percentFormat(pyStr(v), p.positional),
  type_debug: (v) => typeName(operand(v)),
  password_hash: () => {
    throw new TemplateError("filter 'password_hash' is not supported by xivo-ha (its output is salted: a plan could never be in sync); hash the password beforehand and pass the hash as a variable");
  },
};
FILTERS.d = FILTERS.default!;

export function callFilter(name: string, value: unknown, positional: unknown[], keyword: Record<string, unknown>): unknown {
  const short = name.replace(/^ansible\.builtin\./, '');
  const filter = FILTERS[short];
  if (!filter) throw new TemplateError(`no filter named '${name}'`);
  const params = new Params(positional.map(argumentValue), Object.fromEntries(Object.entries(keyword).map(([k, v]) => [k, argumentValue(v)])));
  if (TOLERANT.has(short)) return filter(value, params);
  if (isUnknown(value)) throw new UnknownHit(value);
  return filter(operand(value), params);
}

export function isFilterName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(FILTERS, name.replace(/^ansible\.builtin\./, ''));
}

/** Arguments must be defined and known; containers are passed as they are. */
function argumentValue(v: unknown): unknown {
  return operand(v);
}

function size(v: unknown): number {
  const x = operand(v);
  if (typeof x === 'string') return [...x].length;
  if (Array.isArray(x)) return x.length;
  if (isMapping(x)) return Object.keys(x).length;
  throw new TemplateError(`object of type '${typeName(x)}' has no len()`);
}

/** Python's round(): halves go to the even neighbour (round(2.5) == 2). */
function roundHalfEven(y: number): number {
  const floor = Math.floor(y);
  const diff = y - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function toInt(v: unknown, fallback: unknown, base: number): unknown {
  const x = operand(v);
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (isNumber(x)) return Math.trunc(numberValue(x));
  if (typeof x === 'string') {
    const s = x.trim().replace(/_/g, '');
    const prefixed = base === 16 ? s.replace(/^([-+]?)0x/i, '$1') : base === 8 ? s.replace(/^([-+]?)0o/i, '$1') : base === 2 ? s.replace(/^([-+]?)0b/i, '$1') : s;
    const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
    if (new RegExp(`^[-+]?[${digits}]+$`, 'i').test(prefixed)) return parseInt(prefixed, base);
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Math.trunc(Number(s));
  }
  return fallback;
}

function toFloat(v: unknown, fallback: unknown): unknown {
  const x = operand(v);
  const def = fallback instanceof Number ? makeFloat(fallback.valueOf()) : fallback;
  if (typeof x === 'boolean') return makeFloat(x ? 1 : 0);
  if (isNumber(x)) return makeFloat(numberValue(x));
  if (typeof x === 'string') {
    const s = x.trim();
    if (/^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return makeFloat(Number(s.replace(/_/g, '')));
    if (/^[-+]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^[-+]?nan$/i.test(s)) return NaN;
  }
  return def;
}

function selectBy(v: unknown, p: Params, reject: boolean, byAttribute: boolean): unknown[] {
  const attr = byAttribute ? p.str(0, 'attr') : undefined;
  const at = byAttribute ? 1 : 0;
  const testName = p.positional[at];
  const args = p.rest(at + 1);
  return iterate(v).filter((x) => {
    const subject = attr === undefined ? x : attribute(x, attr);
    const ok = testName === undefined ? truthy(subject) : callTest(pyStr(testName), subject, args, {});
    return reject ? !ok : ok;
  });
}

function add(a: unknown, b: unknown): unknown {
  const x = operand(a);
  const y = operand(b);
  if (isNumber(x) && isNumber(y)) {
    const r = numberValue(x) + numberValue(y);
    return isFloat(x) || isFloat(y) ? makeFloat(r) : r;
  }
  if (Array.isArray(x) && Array.isArray(y)) return [...x, ...y];
  if (typeof x === 'string' && typeof y === 'string') return x + y;
  throw new TemplateError(`unsupported operand type(s) for +: '${typeName(x)}' and '${typeName(y)}'`);
}

function extreme(v: unknown, p: Params, sign: 1 | -1): unknown {
  const caseSensitive = p.flag(0, 'case_sensitive');
  const attr = p.get(1, 'attribute');
  const items = iterate(v);
  if (items.length === 0) return new Undefined(`No aggregated item, sequence was empty.`);
  const key = (x: unknown): unknown => {
    const k = operand(attr === undefined || attr === null ? x : attribute(x, pyStr(attr)));
    return !caseSensitive && typeof k === 'string' ? k.toLowerCase() : k;
  };
  let best = items[0];
  for (const x of items.slice(1)) if (pyCompare(key(x), key(best)) * sign > 0) best = x;
  return best;
}

function jsonOptions(p: Params, base: { indent?: number; sortKeys?: boolean; separators?: [string, string] }): Parameters<typeof dumpJson>[1] {
  const indent = p.keyword.indent ?? p.positional[0] ?? base.indent;
  const sortKeys = p.keyword.sort_keys ?? p.positional[1] ?? base.sortKeys;
  const ensureAscii = p.keyword.ensure_ascii;
  return {
    ...(indent === undefined || indent === null ? {} : { indent: numberValue(operand(indent) as number) }),
    ...(sortKeys === undefined ? {} : { sortKeys: truthy(sortKeys) }),
    ...(base.separators ? { separators: base.separators } : {}),
    ...(ensureAscii === undefined ? {} : { ensureAscii: truthy(ensureAscii) }),
  };
}

/** Python's os.path.dirname: everything before the last slash, trailing slashes of the head removed unless it is all slashes. */
function pythonDirname(s: string): string {
  const i = s.lastIndexOf('/') + 1;
  const head = s.slice(0, i);
  return head !== '' && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
}

/** Python's shlex.quote: the single quoting rule for shell words. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

function combine(terms: unknown[], kw: Record<string, unknown>): Record<string, unknown> {
  const recursive = truthy(kw.recursive ?? false);
  const listMerge = pyStr(kw.list_merge ?? 'replace');
  const dicts = terms.flatMap((t) => {
    const x = operand(t);
    return Array.isArray(x) ? x.map(operand) : [x];
  });
  let out: Record<string, unknown> = {};
  for (const d of dicts) {
    if (!isMapping(d)) throw new TemplateError(`combine: expected dicts, got ${typeName(d)}`);
    out = merge(out, d, recursive, listMerge);
  }
  return out;
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, bv] of Object.entries(b)) {
    const av = out[k];
    if (recursive && isMapping(av) && isMapping(bv)) out[k] = merge(av, bv, recursive, listMerge);
    else if (Array.isArray(av) && Array.isArray(bv) && listMerge !== 'replace') {
      if (listMerge === 'keep') out[k] = av;
      else if (listMerge === 'append') out[k] = [...av, ...bv];
      else if (listMerge === 'prepend') out[k] = [...bv, ...av];
      else if (listMerge === 'append_rp') out[k] = [...av.filter((x) => !bv.some((y) => pyEquals(x, y))), ...bv];
      else if (listMerge === 'prepend_rp') out[k] = [...bv, ...av.filter((x) => !bv.some((y) => pyEquals(x, y)))];
      else throw new TemplateError(`combine: list_merge must be one of replace, keep, append, prepend, append_rp, prepend_rp; got '${listMerge}'`);
    } else out[k] = bv;
  }
  return out;
}

function flatten(items: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const it of items) {
    const x = operand(it);
    if (skipNulls && (x === null || x === 'None' || x === 'null')) continue;
    if (Array.isArray(x) && (levels === null || levels >= 1)) out.push(...flatten(x, levels === null ? null : levels - 1, skipNulls));
    else out.push(x);
  }
  return out;
}

function digest(kind: string, text: string): string {
  const algorithms: Record<string, string> = { md5: 'md5', sha1: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };
  const algorithm = algorithms[kind];
  if (!algorithm) throw new TemplateError(`unsupported hash type ${kind}`);
  return createHash(algorithm).update(text, 'utf8').digest('hex');
}

/** Python's `%` string formatting, for the `format` filter: %s %r %d %i %f %%. */
function percentFormat(fmt: string, args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%(-?\d*)(?:\.(\d+))?([sdirf%])/g, (_, width: string, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const arg = args[i++];
    let s: string;
    if (conv === 's') s = pyStr(arg);
    else if (conv === 'r') s = pyRepr(arg);
    else if (conv === 'f') s = numberValue(operand(arg) as number).toFixed(precision === undefined ? 6 : Number(precision));
    else s = String(Math.trunc(numberValue(operand(arg) as number)));
    const w = Number(width || 0);
    return w < 0 ? s.padEnd(-w) : s.padStart(w);
  });
}
