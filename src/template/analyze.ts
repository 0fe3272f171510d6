// Static checks the loader runs before any host is contacted: which
// top-level variables a template needs, and whether it parses and names
// only filters and tests that exist.

import type { Args, Expr, Stmt } from './ast.js';
import { TemplateError } from './errors.js';
import { isFilterName } from './filters.js';
import { isGlobalName } from './globals.js';
import { isTestName } from './tests.js';

export interface TemplateProblem {
  message: string;
  line: number;
  column: number;
}

interface Visitor {
  name?(e: Extract<Expr, { kind: 'name' }>): void;
  filter?(e: Extract<Expr, { kind: 'filter' }>): void;
  test?(e: Extract<Expr, { kind: 'test' }>): void;
  bind?(name: string): void;
}

export function walkStatements(stmts: Stmt[], v: Visitor): void {
  for (const s of stmts) {
    switch (s.kind) {
      case 'text':
        break;
      case 'output':
        walkExpr(s.expr, v);
        break;
      case 'if':
        for (const b of s.branches) {
          walkExpr(b.test, v);
          walkStatements(b.body, v);
        }
        walkStatements(s.otherwise, v);
        break;
      case 'for':
        s.targets.forEach((t) => v.bind?.(t));
        v.bind?.('loop');
        walkExpr(s.iter, v);
        if (s.filter) walkExpr(s.filter, v);
        walkStatements(s.body, v);
        walkStatements(s.otherwise, v);
        break;
      case 'set':
        s.targets.forEach((t) => v.bind?.(t));
        walkExpr(s.value, v);
        break;
      case 'setblock':
        v.bind?.(s.target);
        walkStatements(s.body, v);
        break;
    }
  }
}

export function walkExpr(e: Expr, v: Visitor): void {
  const args = (a: Args): void => {
    a.positional.forEach((x) => walkExpr(x, v));
    a.keyword.forEach((k) => walkExpr(k.value, v));
  };
  switch (e.kind) {
    case 'const':
      return;
    case 'name':
      v.name?.(e);
      return;
    case 'list':
    case 'tuple':
      e.items.forEach((x) => walkExpr(x, v));
      return;
    case 'dict':
      e.entries.forEach(([k, x]) => {
        walkExpr(k, v);
        walkExpr(x, v);
      });
      return;
    case 'getattr':
      walkExpr(e.target, v);
      return;
    case 'getitem':
      walkExpr(e.target, v);
      walkExpr(e.index, v);
      return;
    case 'slice':
      walkExpr(e.target, v);
      for (const x of [e.start, e.stop, e.step]) if (x) walkExpr(x, v);
      return;
    case 'call':
      walkExpr(e.callee, v);
      args(e.args);
      return;
    case 'filter':
      v.filter?.(e);
      walkExpr(e.target, v);
      args(e.args);
      return;
    case 'test':
      v.test?.(e);
      walkExpr(e.target, v);
      args(e.args);
      return;
    case 'unary':
      walkExpr(e.operand, v);
      return;
    case 'binary':
    case 'and':
    case 'or':
      walkExpr(e.left, v);
      walkExpr(e.right, v);
      return;
    case 'compare':
      walkExpr(e.first, v);
      e.rest.forEach((r) => walkExpr(r.expr, v));
      return;
    case 'condexpr':
      walkExpr(e.test, v);
      walkExpr(e.then, v);
      if (e.otherwise) walkExpr(e.otherwise, v);
      return;
  }
}

/** The variable at the root of `a.b['c']`, if the expression is such a path. */
function rootName(e: Expr): string | undefined {
  while (e.kind === 'getattr' || e.kind === 'getitem' || e.kind === 'slice') e = e.target;
  return e.kind === 'name' ? e.name : undefined;
}

const GUARD_TESTS = new Set(['defined', 'undefined']);
const GUARD_FILTERS = new Set(['default', 'd']);

/**
 * Top-level names used but not known, in order of first use. A name that is
 * ever tested with `is defined`/`is undefined` or given a `default` anywhere
 * in the template is taken as guarded everywhere: the template itself
 * handles its absence (`{% if x is defined %}{{ x }}{% endif %}`).
 */
export function collectUndefined(visit: (v: Visitor) => void, isKnown: (name: string) => boolean): string[] {
  const used: string[] = [];
  const guarded = new Set<string>();
  const bound = new Set<string>();
  const short = (n: string): string => n.replace(/^ansible\.builtin\./, '');
  visit({
    name: (e) => {
      if (!used.includes(e.name)) used.push(e.name);
    },
    test: (e) => {
      const root = GUARD_TESTS.has(short(e.name)) ? rootName(e.target) : undefined;
      if (root) guarded.add(root);
    },
    filter: (e) => {
      const root = GUARD_FILTERS.has(short(e.name)) ? rootName(e.target) : undefined;
      if (root) guarded.add(root);
    },
    bind: (n) => bound.add(n),
  });
  return used.filter((n) => !guarded.has(n) && !bound.has(n) && !isGlobalName(n) && !isKnown(n));
}

/**
 * Top-level names that are defined whenever the condition is true: those of
 * `x is defined` (or `x.y is defined`, `x is not undefined`,
 * `not x is undefined`), alone or joined by `and`. Anything else (`or`, a
 * comparison, a filter) proves nothing and gives none.
 */
export function namesDefinedWhenTrue(e: Expr): string[] {
  if (e.kind === 'and') return [...namesDefinedWhenTrue(e.left), ...namesDefinedWhenTrue(e.right)];
  const positive = e.kind === 'unary' && e.op === 'not' ? negatedTest(e.operand) : e;
  if (positive?.kind !== 'test') return [];
  const name = positive.name.replace(/^ansible\.builtin\./, '');
  const proves = (name === 'defined' && !positive.negated) || (name === 'undefined' && positive.negated);
  const root = proves ? rootName(positive.target) : undefined;
  return root ? [root] : [];
}

/** `not (x is T)` read as `x is not T`. */
function negatedTest(e: Expr): Expr | undefined {
  return e.kind === 'test' ? { ...e, negated: !e.negated } : undefined;
}

/** Unknown filters and tests, located. */
export function unknownNames(visit: (v: Visitor) => void): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  visit({
    filter: (e) => {
      if (!isFilterName(e.name)) problems.push({ message: `no filter named '${e.name}'`, line: e.line, column: e.column });
    },
    test: (e) => {
      if (!isTestName(e.name)) problems.push({ message: `no test named '${e.name}'`, line: e.line, column: e.column });
    },
  });
  return problems;
}

export function problemOf(err: unknown): TemplateProblem {
  if (err instanceof TemplateError) return { message: err.reason, line: err.line ?? 1, column: err.column ?? 1 };
  throw err;
}
