// to_json and to_yaml as Ansible prints them: Python's json.dumps (", " and
// ": " separators, ASCII escapes, float repr) and PyYAML's dump (sorted keys,
// flow style for collections of scalars unless asked otherwise).

import { TemplateError } from './errors.js';
import { isFloat, isMapping, isNumber, numberValue, operand, reprFloat } from './values.js';

export interface JsonOptions {
  indent?: number;
  sortKeys?: boolean;
  separators?: [string, string];
  ensureAscii?: boolean;
}

export function dumpJson(value: unknown, o: JsonOptions = {}): string {
  const indent = o.indent;
  const [itemSep, keySep] = o.separators ?? (indent === undefined ? [', ', ': '] : [',', ': ']);
  const ensureAscii = o.ensureAscii ?? true;
  const walk = (v: unknown, depth: number): string => {
    v = operand(v);
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'string') return jsonString(v, ensureAscii);
    if (isNumber(v)) {
      const n = numberValue(v);
      if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
      return isFloat(v) ? reprFloat(n) : String(n);
    }
    const open = (items: string[], l: string, r: string): string => {
      if (items.length === 0) return l + r;
      if (indent === undefined) return l + items.join(itemSep) + r;
      const pad = '\n' + ' '.repeat(indent * (depth + 1));
      return l + pad + items.join(itemSep + pad) + '\n' + ' '.repeat(indent * depth) + r;
    };
    if (Array.isArray(v)) return open(v.map((x) => walk(x, depth + 1)), '[', ']');
    if (isMapping(v)) {
      let keys = Object.keys(v);
      if (o.sortKeys) keys = [...keys].sort();
      return open(keys.map((k) => jsonString(k, ensureAscii) + keySep + walk(v[k], depth + 1)), '{', '}');
    }
    throw new TemplateError(`Object of type ${typeof v} is not JSON serializable`);
  };
  return walk(value, 0);
}

function jsonString(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (ensureAscii && c > 0x7e)) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

export interface YamlOptions {
  indent?: number;
  /** PyYAML's default_flow_style: undefined = flow for collections of scalars only. */
  flowStyle?: boolean;
}

/** PyYAML's dump for the plain data Ansible users serialise (block or flow style, keys sorted). */
export function dumpYaml(value: unknown, o: YamlOptions = {}): string {
  const indent = o.indent ?? 2;
  const isCollection = (v: unknown): boolean => Array.isArray(v) || isMapping(v);
  const flow = (v: unknown): boolean => {
    if (o.flowStyle === true) return true;
    if (o.flowStyle === false) return false;
    if (Array.isArray(v)) return !v.some(isCollection);
    if (isMapping(v)) return !Object.values(v).some(isCollection);
    return false;
  };
  const flowText = (v: unknown): string => {
    v = operand(v);
    if (Array.isArray(v)) return `[${v.map(flowText).join(', ')}]`;
    if (isMapping(v)) return `{${sortedKeys(v).map((k) => `${yamlScalar(k, true)}: ${flowText(v[k])}`).join(', ')}}`;
    return yamlScalar(v, true);
  };
  const block = (v: unknown, depth: number): string[] => {
    v = operand(v);
    const pad = ' '.repeat(depth);
    if (Array.isArray(v)) {
      if (v.length === 0) return [`${pad}[]`];
      const lines: string[] = [];
      for (const x of v) {
        const xv = operand(x);
        if (isCollection(xv) && !flow(xv) && !(Array.isArray(xv) ? xv.length === 0 : Object.keys(xv as object).length === 0)) {
          const inner = block(xv, depth + indent);
          // PyYAML pads the dash to the indentation width: "-   c: 2" with indent 4.
          lines.push(`${pad}-${' '.repeat(Math.max(1, indent - 1))}${inner[0]!.trimStart()}`, ...inner.slice(1));
        } else lines.push(`${pad}- ${isCollection(xv) ? flowText(xv) : yamlScalar(xv, false)}`);
      }
      return lines;
    }
    if (isMapping(v)) {
      if (Object.keys(v).length === 0) return [`${pad}{}`];
      const lines: string[] = [];
      for (const k of sortedKeys(v)) {
        const xv = operand(v[k]);
        const key = yamlScalar(k, false);
        const empty = isCollection(xv) && (Array.isArray(xv) ? xv.length === 0 : Object.keys(xv as object).length === 0);
        if (isCollection(xv) && !empty && !flow(xv)) {
          // PyYAML writes a list under a key at the key's own indentation.
          lines.push(`${pad}${key}:`, ...block(xv, Array.isArray(xv) ? depth : depth + indent));
        } else lines.push(`${pad}${key}: ${isCollection(xv) ? flowText(xv) : yamlScalar(xv, false)}`);
      }
      return lines;
    }
    return [`${pad}${yamlScalar(v, false)}`];
  };
  const top = operand(value);
  if (isCollection(top) && flow(top)) return flowText(top) + '\n';
  if (!isCollection(top)) return `${yamlScalar(top, false)}\n`;
  return block(top, 0).join('\n') + '\n';
}

function sortedKeys(v: Record<string, unknown>): string[] {
  return Object.keys(v).sort();
}

const YAML_SPECIAL = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|=)$/;

function yamlScalar(v: unknown, inFlow: boolean): string {
  v = operand(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isNumber(v)) return isFloat(v) ? reprFloat(numberValue(v)) : String(numberValue(v));
  const s = String(v);
  const needsQuotes =
    s === '' ||
    YAML_SPECIAL.test(s) ||
    /^[-+]?(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|\.\d+|0x[0-9a-fA-F]+|0o?[0-7]+|\.inf|\.nan)$/i.test(s) ||
    /^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(s) ||
    /\s$/.test(s) ||
    /: |\s#/.test(s) ||
    s.endsWith(':') ||
    (inFlow && /[,[\]{}]/.test(s));
  if (/[\x00-\x08\x0b-\x1f\n]/.test(s)) return JSON.stringify(s);
  if (!needsQuotes) return s;
  return `'${s.replace(/'/g, "''")}'`;
}
