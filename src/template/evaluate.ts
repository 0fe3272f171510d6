// Evaluates the syntax tree: expressions to values, statements to text.
// Undefined variables evaluate to Undefined, which only `is defined`-style
// tests and `default` may handle; every other use throws (StrictUndefined,
// as Ansible configures Jinja). Values known only after apply (Unknown)
// throw UnknownHit from any operation, and the caller returns the Unknown.

import type { Args, Expr, Stmt } from './ast.js';
import { TemplateError } from './errors.js';
import { callFilter } from './filters.js';
import { attribute, item, sliceOf } from './methods.js';
import { callTest } from './tests.js';
import { globalFunction } from './globals.js';
import {
  Callable,
  isFloat,
  isNumber,
  iterate,
  makeFloat,
  numberValue,
  operand,
  pyCompare,
  pyContains,
  pyEquals,
  pyStr,
  truthy,
  Tuple,
  typeName,
  Undefined,
  type PyFloat,
} from './values.js';

export type Scope = Map<string, unknown>;

/** Gives a variable's value as templates see it (Ansible templates a variable's own value when it is used). */
export type VarResolver = (name: string, raw: unknown) => unknown;

export class Context {
  constructor(
    private readonly vars: Record<string, unknown>,
    private readonly resolve: VarResolver = (_, raw) => raw,
    private readonly scopes: Scope[] = [],
  ) {}

  lookup(name: string): unknown {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i]!;
      if (scope.has(name)) return scope.get(name);
    }
    if (Object.prototype.hasOwnProperty.call(this.vars, name)) {
      const v = this.vars[name];
      return v === undefined ? null : this.resolve(name, v);
    }
    const fn = globalFunction(name);
    if (fn) return fn;
    return new Undefined(`'${name}' is undefined`, name);
  }

  child(): Context {
    return new Context(this.vars, this.resolve, [...this.scopes, new Map()]);
  }

  assign(name: string, value: unknown): void {
    if (this.scopes.length === 0) this.scopes.push(new Map());
    this.scopes[this.scopes.length - 1]!.set(name, value);
  }
}

export function evaluate(expr: Expr, ctx: Context): unknown {
  try {
    return evaluateNode(expr, ctx);
  } catch (err) {
    throw locate(err, expr);
  }
}

function locate(err: unknown, at: { line: number; column: number }): unknown {
  if (err instanceof TemplateError && err.line === undefined) return err.located({ line: at.line, column: at.column });
  return err;
}

function evaluateNode(e: Expr, ctx: Context): unknown {
  switch (e.kind) {
    case 'const':
      return e.value;
    case 'name':
      return ctx.lookup(e.name);
    case 'list':
      return e.items.map((x) => evaluate(x, ctx));
    case 'tuple':
      return Tuple.make(...e.items.map((x) => evaluate(x, ctx)));
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of e.entries) out[dictKey(evaluate(k, ctx))] = evaluate(v, ctx);
      return out;
    }
    case 'getattr':
      return attribute(evaluate(e.target, ctx), e.attr);
    case 'getitem':
      return item(evaluate(e.target, ctx), evaluate(e.index, ctx));
    case 'slice':
      return sliceOf(
        evaluate(e.target, ctx),
        e.start ? evaluate(e.start, ctx) : null,
        e.stop ? evaluate(e.stop, ctx) : null,
        e.step ? evaluate(e.step, ctx) : null,
      );
    case 'call': {
      const callee = operand(evaluate(e.callee, ctx));
      if (!(callee instanceof Callable)) throw new TemplateError(`'${typeName(callee)}' object is not callable`);
      const { positional, keyword } = evaluateArgs(e.args, ctx);
      return callee.call(positional, keyword);
    }
    case 'filter': {
      const { positional, keyword } = evaluateArgs(e.args, ctx);
      return callFilter(e.name, evaluate(e.target, ctx), positional, keyword);
    }
    case 'test': {
      const { positional, keyword } = evaluateArgs(e.args, ctx);
      const result = callTest(e.name, evaluate(e.target, ctx), positional, keyword);
      return e.negated ? !result : result;
    }
    case 'unary': {
      const v = evaluate(e.operand, ctx);
      if (e.op === 'not') return !truthy(v);
      const x = operand(v);
      if (!isNumber(x) && typeof x !== 'boolean') throw new TemplateError(`bad operand type for unary ${e.op}: '${typeName(x)}'`);
      const n = numberValue(x);
      const r = e.op === '-' ? -n : n;
      return isFloat(x) ? makeFloat(r) : r;
    }
    case 'and': {
      const left = evaluate(e.left, ctx);
      return truthy(left) ? evaluate(e.right, ctx) : left;
    }
    case 'or': {
      const left = evaluate(e.left, ctx);
      return truthy(left) ? left : evaluate(e.right, ctx);
    }
    case 'compare': {
      let left = evaluate(e.first, ctx);
      for (const { op, expr } of e.rest) {
        const right = evaluate(expr, ctx);
        if (!compare(op, left, right)) return false;
        left = right;
      }
      return true;
    }
    case 'condexpr':
      if (truthy(evaluate(e.test, ctx))) return evaluate(e.then, ctx);
      // Without an else Jinja gives an undefined that Ansible 2.14 prints as ''.
      return e.otherwise ? evaluate(e.otherwise, ctx) : null;
    case 'binary':
      return binary(e.op, evaluate(e.left, ctx), evaluate(e.right, ctx));
  }
}

function evaluateArgs(args: Args, ctx: Context): { positional: unknown[]; keyword: Record<string, unknown> } {
  const keyword: Record<string, unknown> = {};
  for (const k of args.keyword) keyword[k.name] = evaluate(k.value, ctx);
  return { positional: args.positional.map((a) => evaluate(a, ctx)), keyword };
}

function dictKey(k: unknown): string {
  const key = operand(k);
  if (typeof key === 'string') return key;
  if (isNumber(key) || typeof key === 'boolean' || key === null) return pyStr(key);
  throw new TemplateError(`unhashable type: '${typeName(key)}'`);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return pyEquals(a, b);
    case '!=':
      return !pyEquals(a, b);
    case 'in':
      return pyContains(b, a);
    case 'notin':
      return !pyContains(b, a);
    case '<':
      return pyCompare(a, b, op) < 0;
    case '<=':
      return pyCompare(a, b, op) <= 0;
    case '>':
      return pyCompare(a, b, op) > 0;
    default:
      return pyCompare(a, b, op) >= 0;
  }
}

export function binary(op: string, l: unknown, r: unknown): unknown {
  if (op === '~') return pyStr(l) + pyStr(r);
  const a = operand(l);
  const b = operand(r);
  const num = (x: unknown): x is number | PyFloat | boolean => isNumber(x) || typeof x === 'boolean';
  if (num(a) && num(b)) return arithmetic(op, a, b);
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  }
  if (op === '*') {
    if (typeof a === 'string' && typeof b === 'number') return a.repeat(Math.max(0, b));
    if (Array.isArray(a) && typeof b === 'number') return Array.from({ length: Math.max(0, b) }, () => a).flat();
  }
  throw new TemplateError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function arithmetic(op: string, a: number | PyFloat | boolean, b: number | PyFloat | boolean): unknown {
  const x = numberValue(a);
  const y = numberValue(b);
  const float = isFloat(a) || isFloat(b);
  const result = (n: number): unknown => (float ? makeFloat(n) : n);
  if ((op === '/' || op === '//' || op === '%') && y === 0) throw new TemplateError(op === '/' ? 'division by zero' : 'integer division or modulo by zero');
  switch (op) {
    case '+':
      return result(x + y);
    case '-':
      return result(x - y);
    case '*':
      return result(x * y);
    case '/':
      return makeFloat(x / y);
    case '//':
      return result(Math.floor(x / y));
    case '%':
      return result(x - y * Math.floor(x / y));
    default: {
      const p = x ** y;
      return float || y < 0 ? makeFloat(p) : p;
    }
  }
}

/** Renders statements into `out`; each output value goes through finalize(). */
export function execute(stmts: Stmt[], ctx: Context, out: string[]): void {
  for (const s of stmts) {
    try {
      executeOne(s, ctx, out);
    } catch (err) {
      throw locate(err, s);
    }
  }
}

function executeOne(s: Stmt, ctx: Context, out: string[]): void {
  switch (s.kind) {
    case 'text':
      out.push(s.text);
      return;
    case 'output':
      out.push(finalize(evaluate(s.expr, ctx)));
      return;
    case 'if': {
      for (const b of s.branches) {
        if (truthy(evaluate(b.test, ctx))) return execute(b.body, ctx, out);
      }
      return execute(s.otherwise, ctx, out);
    }
    case 'for':
      return executeFor(s, ctx, out);
    case 'set': {
      const value = evaluate(s.value, ctx);
      assignTargets(ctx, s.targets, value);
      return;
    }
    case 'setblock': {
      const body: string[] = [];
      execute(s.body, ctx, body);
      ctx.assign(s.target, body.join(''));
      return;
    }
  }
}

function assignTargets(ctx: Context, targets: string[], value: unknown): void {
  if (targets.length === 1) return ctx.assign(targets[0]!, value);
  const items = iterate(value);
  if (items.length !== targets.length) throw new TemplateError(`cannot unpack ${items.length} values into ${targets.length} names`);
  targets.forEach((t, i) => ctx.assign(t, items[i]));
}

function executeFor(s: Extract<Stmt, { kind: 'for' }>, ctx: Context, out: string[]): void {
  let items = iterate(evaluate(s.iter, ctx));
  if (s.filter) {
    const filter = s.filter;
    items = items.filter((it) => {
      const scope = ctx.child();
      assignTargets(scope, s.targets, it);
      return truthy(evaluate(filter, scope));
    });
  }
  if (items.length === 0) return execute(s.otherwise, ctx.child(), out);
  const length = items.length;
  items.forEach((it, i) => {
    const scope = ctx.child();
    scope.assign('loop', {
      index: i + 1,
      index0: i,
      revindex: length - i,
      revindex0: length - i - 1,
      first: i === 0,
      last: i === length - 1,
      length,
      previtem: i > 0 ? items[i - 1] : new Undefined("'loop' has no attribute 'previtem'"),
      nextitem: i < length - 1 ? items[i + 1] : new Undefined("'loop' has no attribute 'nextitem'"),
      cycle: new Callable('cycle', (args) => (args.length === 0 ? null : args[i % args.length])),
    });
    assignTargets(scope, s.targets, it);
    execute(s.body, scope, out);
  });
}

/** Ansible's finalize: None prints as '' (not "None"); everything else as Python's str(). */
export function finalize(v: unknown): string {
  const x = operand(v);
  if (x === null || x === undefined) return '';
  return pyStr(x);
}

