// A task's module arguments as Ansible accepts them: a mapping, a free-form
// string (`command: ls -l creates=/x`), or `key=value` pairs
// (`copy: src=a dest=b`), merged with the task's `args:` keyword (the
// module's own arguments win).

import type { Module } from '../core/types.js';

export interface ParsedArgs {
  args: Record<string, unknown>;
  /** Set when the value is neither a mapping, a string nor empty. */
  problem?: string;
}

export function parseModuleArgs(module: Module, value: unknown, argsKeyword: Record<string, unknown> | undefined): ParsedArgs {
  const base = { ...argsKeyword };
  if (value === null || value === undefined) return { args: base };
  if (typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) return { args: { ...base, ...(value as Record<string, unknown>) } };
  if (typeof value === 'string') return { args: { ...base, ...parseInlineArgs(module, value) } };
  if (module.freeForm && (typeof value === 'number' || typeof value === 'boolean')) return { args: { ...base, [module.freeForm]: String(value) } };
  return { args: base, problem: `module arguments must be a mapping${module.freeForm ? ' or a command line' : ' or key=value pairs'}` };
}

/** `key=value` tokens become arguments; for free-form modules only their known options do, and the rest is the command line, untouched. */
function parseInlineArgs(module: Module, text: string): Record<string, unknown> {
  const properties = schemaProperties(module);
  const args: Record<string, unknown> = {};
  const kept: string[] = [];
  let last = 0;
  for (const token of tokenize(text)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(token.text);
    const isOption = m !== null && (module.freeForm ? m[1] !== module.freeForm && m[1]! in properties : true);
    if (!isOption) continue;
    kept.push(text.slice(last, token.start));
    last = token.end;
    args[m[1]!] = coerce(unquote(m[2]!), properties[m[1]!]);
  }
  kept.push(text.slice(last));
  if (module.freeForm) {
    const rest = kept.join('').replace(/\s+/g, ' ').trim() === '' ? '' : collapseGaps(kept);
    if (rest !== '') args[module.freeForm] = rest;
  }
  return args;
}

/** Joins what is left after removing options, without touching spacing inside the command itself. */
function collapseGaps(parts: string[]): string {
  return parts
    .map((p, i) => (i === 0 ? p.replace(/\s+$/, '') : i === parts.length - 1 ? p.replace(/^\s+/, '') : p.trim()))
    .filter((p) => p !== '')
    .join(' ');
}

interface Token {
  text: string;
  start: number;
  end: number;
}

/** Splits on whitespace outside quotes and outside Jinja `{{ }}` / `{% %}`. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const start = i;
    let quote: string | undefined;
    let jinja = 0;
    while (i < text.length) {
      const c = text[i]!;
      const two = text.slice(i, i + 2);
      if (quote) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
      } else if (two === '{{' || two === '{%') {
        jinja++;
        i++;
      } else if ((two === '}}' || two === '%}') && jinja > 0) {
        jinja--;
        i++;
      } else if (jinja === 0 && (c === '"' || c === "'")) quote = c;
      else if (jinja === 0 && /\s/.test(c)) break;
      i++;
    }
    tokens.push({ text: text.slice(start, Math.min(i, text.length)), start, end: Math.min(i, text.length) });
  }
  return tokens;
}

function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

/** key=value values are strings; convert them as Ansible's argument spec would, from the module's schema. */
function coerce(value: string, schema: unknown): unknown {
  const type = (schema as { type?: unknown } | undefined)?.type;
  const types = Array.isArray(type) ? type : [type];
  if (types.includes('boolean') && !types.includes('string')) {
    if (/^(yes|true|on|1)$/i.test(value)) return true;
    if (/^(no|false|off|0)$/i.test(value)) return false;
  }
  if ((types.includes('integer') || types.includes('number')) && !types.includes('string') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

function schemaProperties(module: Module): Record<string, unknown> {
  const props = (module.argsSchema as { properties?: Record<string, unknown> }).properties;
  return props ?? {};
}
