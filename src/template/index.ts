// Jinja2 templating with Ansible's semantics (ansible-core 2.14, Debian 12):
// StrictUndefined, trim_blocks, trailing newlines preserved, None printed as
// '', Python's str() for everything else, and native values for a string
// that is one whole `{{ expr }}`. Pure: no I/O.
//
// Values known only after apply (Unknown) make whatever touches them
// Unknown; secrets render as their value (callers find them with
// containsSecret) but a bare `{{ secret }}` stays a Secret.

import type { Vars } from '../core/model.js';
import { Secret } from '../core/secret.js';
import { isUnknown, type Unknown } from '../core/unknown.js';
import type { Expr, Stmt } from './ast.js';
import { collectUndefined, namesDefinedWhenTrue, problemOf, unknownNames, walkExpr, walkStatements, type TemplateProblem } from './analyze.js';
import { TemplateError } from './errors.js';
import { Context, evaluate, execute } from './evaluate.js';
import { parseExpression, parseTemplate } from './parser.js';
import { isMapping, toNative, truthy, Undefined, undefinedError, UnknownHit } from './values.js';

export { TemplateError } from './errors.js';
export type { TemplateProblem } from './analyze.js';

export interface RenderOptions {
  /** Jinja's trim_blocks; Ansible turns it on everywhere (AnsibleEnvironment), so the default is true. */
  trimBlocks?: boolean;
  /** Names the template in error messages: a file path or "task 'x' argument y". */
  name?: string;
}

interface Flavour {
  trimBlocks: boolean;
  rawStringsInOutput: boolean;
  name?: string;
}

/**
 * A task argument or other inline string, as Ansible's Templar.template
 * renders it: trim_blocks on, backslashes in `{{ }}` string literals kept
 * literally (Ansible doubles them before Jinja reads them), trailing
 * newlines preserved.
 */
export function renderString(text: string, vars: Vars, options: RenderOptions = {}): string | Unknown {
  return render(text, vars, { trimBlocks: options.trimBlocks ?? true, rawStringsInOutput: true, name: options.name });
}

/**
 * A `template` module source file, with that module's settings: trim_blocks
 * on, lstrip_blocks off, backslashes as Jinja reads them, and the source's
 * trailing newlines kept (Templar.do_template(preserve_trailing_newlines=True)).
 */
export function renderTemplateFile(text: string, vars: Vars, options: RenderOptions = {}): string | Unknown {
  return render(text, vars, { trimBlocks: options.trimBlocks ?? true, rawStringsInOutput: false, name: options.name });
}

function render(text: string, vars: Vars, flavour: Flavour): string | Unknown {
  if (!looksLikeTemplate(text)) return text;
  const stmts = parsed(text, flavour);
  return guard(flavour.name, () => keepTrailingNewlines(text, run(stmts, contextFor(vars))));
}

function run(stmts: Stmt[], ctx: Context): string {
  const out: string[] = [];
  execute(stmts, ctx, out);
  return out.join('');
}

/**
 * Ansible templates a variable's value when a template uses it, so
 * `url: "http://{{ host }}"` in vars reaches templates resolved. A value
 * that uses an undefined variable becomes undefined itself (tests and
 * default still work on it), and a variable that refers back to itself is
 * an error rather than a hang. `hostvars` and `vars` are left as they are,
 * as Ansible does: another host's strings belong to that host.
 */
function contextFor(vars: Vars): Context {
  const resolved = new Map<string, unknown>();
  const resolving = new Set<string>();
  let ctx: Context;
  const resolve = (name: string, raw: unknown): unknown => {
    if (name === 'hostvars' || name === 'vars' || !containsTemplate(raw)) return raw;
    if (resolved.has(name)) return resolved.get(name);
    if (resolving.has(name)) throw new TemplateError(`recursive loop detected in template: variable '${name}' refers to itself`);
    resolving.add(name);
    let value: unknown;
    try {
      value = templateWith(raw, ctx, {});
    } catch (err) {
      if (!(err instanceof TemplateError) || err.variable === undefined) throw err;
      value = new Undefined(`${err.reason} (in the value of '${name}')`, err.variable);
    } finally {
      resolving.delete(name);
    }
    resolved.set(name, value);
    return value;
  };
  ctx = new Context(vars, resolve);
  return ctx;
}

function containsTemplate(v: unknown, keysToo = false): boolean {
  if (typeof v === 'string') return looksLikeTemplate(v);
  if (Array.isArray(v)) return v.some((x) => containsTemplate(x, keysToo));
  if (isMapping(v)) return Object.entries(v).some(([k, x]) => (keysToo && looksLikeTemplate(k)) || containsTemplate(x, keysToo));
  return false;
}

/**
 * Jinja drops the source's last newline; Ansible then appends newlines until
 * the output ends with as many as the source did.
 */
function keepTrailingNewlines(source: string, output: string): string {
  const want = trailingNewlines(source);
  const have = trailingNewlines(output);
  return want > have ? output + '\n'.repeat(want - have) : output;
}

function trailingNewlines(s: string): number {
  let n = 0;
  while (n < s.length && s[s.length - 1 - n] === '\n') n++;
  return n;
}

/**
 * Renders every string in a nested value (task arguments, loop:, vars:).
 * A string that is exactly one `{{ expr }}` gives the expression's value
 * itself (a list for `loop: "{{ items }}"`, a number, a bool, a Secret).
 * Other strings give text, which Ansible 2.14 then reads back as a Python
 * literal when it looks like a list, a dict, True or False
 * (ansible_eval_concat); so do we. A string touching an Unknown gives that
 * Unknown.
 */
export function templateValue(value: unknown, vars: Vars, options: RenderOptions = {}): unknown {
  return containsTemplate(value, true) ? templateWith(value, contextFor(vars), options) : value;
}

function templateWith(value: unknown, ctx: Context, options: RenderOptions): unknown {
  if (typeof value === 'string') return templateOne(value, ctx, options);
  if (Array.isArray(value)) return value.map((v) => templateWith(v, ctx, options));
  if (isMapping(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = templateOne(k, ctx, options);
      out[typeof key === 'string' ? key : String(key)] = templateWith(v, ctx, options);
    }
    return out;
  }
  return value;
}

function templateOne(text: string, ctx: Context, options: RenderOptions): unknown {
  if (!looksLikeTemplate(text)) return text;
  const flavour: Flavour = { trimBlocks: options.trimBlocks ?? true, rawStringsInOutput: true, name: options.name };
  const stmts = parsed(text, flavour);
  return guard(flavour.name, () => {
    const only = stmts.length === 1 && stmts[0]!.kind === 'output' ? stmts[0] : undefined;
    if (only && only.kind === 'output') {
      const value = evaluate(only.expr, ctx);
      if (value instanceof Undefined) throw undefinedError(value).located(only);
      if (isUnknown(value) || value instanceof Secret) return value;
      // Ansible passes a bare `{{ var }}` through as it is, None included;
      // any other expression giving None prints as '' (its finalize).
      if (value === null) return only.expr.kind === 'name' ? null : '';
      if (typeof value !== 'string') return toNative(value);
      const kept = keepTrailingNewlines(text, value);
      return keepsString(only.expr) ? kept : literalOrText(kept);
    }
    return literalOrText(keepTrailingNewlines(text, run(stmts, ctx)));
  });
}

/** Ansible's STRING_TYPE_FILTERS: their text is never read back as a literal (NativeJinjaText). */
const STRING_TYPE_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml']);

function keepsString(e: Expr): boolean {
  return e.kind === 'filter' && STRING_TYPE_FILTERS.has(e.name.replace(/^ansible\.builtin\./, ''));
}

/** Ansible 2.14's ansible_eval_concat: text that reads as a list, dict or bool becomes one. */
function literalOrText(text: string): unknown {
  if (!(text.startsWith('{') || text.startsWith('[') || text === 'True' || text === 'False')) return text;
  let expr: Expr;
  try {
    expr = parseExpression(text);
  } catch {
    return text;
  }
  const value = literal(expr);
  return value === NOT_LITERAL ? text : toNative(value);
}

const NOT_LITERAL = Symbol('not a literal');

function literal(e: Expr): unknown {
  switch (e.kind) {
    case 'const':
      return e.value;
    case 'name':
      // Ansible's Json2Python lets JSON's spellings through as well.
      return e.name === 'null' ? null : NOT_LITERAL;
    case 'list':
    case 'tuple': {
      const items = e.items.map(literal);
      return items.includes(NOT_LITERAL) ? NOT_LITERAL : items;
    }
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of e.entries) {
        const key = literal(k);
        const value = literal(v);
        if (key === NOT_LITERAL || value === NOT_LITERAL || (typeof key === 'object' && key !== null)) return NOT_LITERAL;
        out[String(key)] = value;
      }
      return out;
    }
    case 'unary': {
      const v = literal(e.operand);
      if (e.op === 'not' || typeof v !== 'number') return NOT_LITERAL;
      return e.op === '-' ? -v : v;
    }
    default:
      return NOT_LITERAL;
  }
}

/** A bare Jinja expression (`changed_when`, `debug: var=`), as a plain value. */
export function evaluateExpression(expr: string, vars: Vars, options: RenderOptions = {}): unknown {
  const tree = parsedExpression(expr, options.name);
  return guard(options.name, () => {
    const value = evaluate(tree, contextFor(vars));
    if (value instanceof Undefined) throw undefinedError(value).located(tree);
    return isUnknown(value) || value instanceof Secret ? value : toNative(value);
  });
}

/**
 * A `when:`/`changed_when:`/`failed_when:`/assert condition, as Ansible's
 * Conditional evaluates it: a template in the condition is rendered first
 * (a rendered non-string or empty string is the answer); then the text is
 * evaluated as `{% if cond %}` and judged by Python truthiness. So a bare
 * `when: var` whose value is the string "false" is TRUE (any non-empty
 * string is), while `when: "{{ var }}"` renders to `false` and is false:
 * both as ansible-core 2.14 does. A YAML boolean is itself.
 */
export function evaluateCondition(expr: unknown, vars: Vars, options: RenderOptions = {}): boolean | Unknown {
  if (typeof expr === 'boolean') return expr;
  if (expr === null || expr === undefined) return false;
  let text = typeof expr === 'string' ? expr : String(expr);
  if (looksLikeTemplate(text)) {
    const rendered = templateValue(text, vars, options);
    if (isUnknown(rendered)) return rendered;
    if (typeof rendered !== 'string' || rendered === '') return guard(options.name, () => truthy(rendered));
    text = rendered;
  }
  const tree = parsedExpression(text, options.name);
  return guard(options.name, () => {
    const value = evaluate(tree, contextFor(vars));
    try {
      return truthy(value);
    } catch (err) {
      throw err instanceof TemplateError ? err.located(tree) : err;
    }
  });
}

/** Top-level variables a template needs that `isKnown` does not know (see collectUndefined for guards). */
export function undefinedVariables(text: string, isKnown: (name: string) => boolean): string[] {
  if (!looksLikeTemplate(text)) return [];
  const stmts = parsed(text, { trimBlocks: true, rawStringsInOutput: true });
  return collectUndefined((v) => walkStatements(stmts, v), isKnown);
}

export function expressionUndefinedVariables(expr: string, isKnown: (name: string) => boolean): string[] {
  if (looksLikeTemplate(expr)) return undefinedVariables(expr, isKnown);
  const tree = parsedExpression(expr);
  return collectUndefined((v) => walkExpr(tree, v), isKnown);
}

/**
 * Names a task's `when` condition (a bare expression) proves defined when it
 * is true; none for a condition that does not parse (reported elsewhere).
 */
export function namesDefinedByCondition(expr: string): string[] {
  if (looksLikeTemplate(expr)) return [];
  try {
    return namesDefinedWhenTrue(parsedExpression(expr));
  } catch (err) {
    if (err instanceof TemplateError) return [];
    throw err;
  }
}

/** Syntax errors and unknown filters or tests in a template, located; empty when it is fine. */
export function templateSyntaxErrors(text: string): TemplateProblem[] {
  if (!looksLikeTemplate(text)) return [];
  try {
    const stmts = parsed(text, { trimBlocks: true, rawStringsInOutput: false });
    return unknownNames((v) => walkStatements(stmts, v));
  } catch (err) {
    return [problemOf(err)];
  }
}

export function expressionSyntaxErrors(expr: string): TemplateProblem[] {
  if (looksLikeTemplate(expr)) return templateSyntaxErrors(expr);
  try {
    const tree = parsedExpression(expr);
    return unknownNames((v) => walkExpr(tree, v));
  } catch (err) {
    return [problemOf(err)];
  }
}

/** Ansible only templates strings that contain a Jinja delimiter. */
export function looksLikeTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

function guard<T>(name: string | undefined, fn: () => T): T | Unknown {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UnknownHit) return err.unknown;
    if (err instanceof TemplateError && name !== undefined && err.templateName === undefined) throw err.located({ name });
    throw err;
  }
}

// Templates are rendered per host and per loop item: parse each text once.
const MAX_CACHED = 2000;
const templateCache = new Map<string, Stmt[]>();
const expressionCache = new Map<string, Expr>();

function parsed(text: string, flavour: Flavour): Stmt[] {
  const key = `${flavour.trimBlocks ? 1 : 0}${flavour.rawStringsInOutput ? 1 : 0}${text}`;
  let stmts = templateCache.get(key);
  if (!stmts) {
    // Jinja's keep_trailing_newline=False: the source's last newline is not part of the template.
    const source = text.endsWith('\n') ? text.slice(0, -1) : text;
    try {
      stmts = parseTemplate(source, { trimBlocks: flavour.trimBlocks, rawStringsInOutput: flavour.rawStringsInOutput });
    } catch (err) {
      if (err instanceof TemplateError && flavour.name !== undefined) throw err.located({ name: flavour.name });
      throw err;
    }
    remember(templateCache, key, stmts);
  }
  return stmts;
}

function parsedExpression(expr: string, name?: string): Expr {
  let tree = expressionCache.get(expr);
  if (!tree) {
    try {
      tree = parseExpression(expr);
    } catch (err) {
      if (err instanceof TemplateError && name !== undefined) throw err.located({ name });
      throw err;
    }
    remember(expressionCache, expr, tree);
  }
  return tree;
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
}
