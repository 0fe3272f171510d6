// Jinja2's grammar (jinja2/parser.py), precedence lowest first:
//   x if c else y · or · and · not · comparisons (chained, with in / not in)
//   · + - · ~ · * / // % · ** · unary - + · primary with . [] () | filters, is tests
// nunjucks orders these differently (~ below +, `in` apart from comparisons),
// one reason this is not built on its parser.

import type { Args, CompareOp, Expr, Pos, Stmt } from './ast.js';
import { TemplateError } from './errors.js';
import { tokenize, tokenizeExpression, type LexOptions, type Token } from './lexer.js';
import { PyFloat } from './values.js';

export function parseTemplate(src: string, options: LexOptions): Stmt[] {
  const parser = new Parser(tokenize(src, options), options.name);
  return parser.template();
}

export function parseExpression(src: string, name?: string): Expr {
  const parser = new Parser(tokenizeExpression(src, name), name);
  return parser.wholeExpression();
}

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const PRIMARY_START = new Set(['name', 'string', 'int', 'float']);

class Parser {
  private i = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly name: string | undefined,
  ) {}

  template(): Stmt[] {
    const body = this.statements([]);
    if (this.peek().type !== 'eof') {
      const tag = this.tokens[this.i + 1]!;
      throw this.error(`Encountered unknown tag '${tag.value}'.`, tag);
    }
    return body;
  }

  wholeExpression(): Expr {
    if (this.peek().type === 'eof') throw this.error('Expected an expression, got end of input', this.peek());
    const expr = this.expression();
    if (this.peek().type !== 'eof') throw this.error(`expected end of expression, got '${this.peek().value}'`, this.peek());
    return expr;
  }

  /** Statements until one of the `ends` block tags (left unconsumed: `{%` points at it). */
  private statements(ends: string[]): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === 'eof') {
        if (ends.length > 0) throw this.error(`Unexpected end of template. Jinja was looking for the following tags: ${ends.map((e) => `'${e}'`).join(' or ')}.`, t);
        return out;
      }
      if (t.type === 'data') {
        this.i++;
        out.push({ kind: 'text', text: t.value, line: t.line, column: t.column });
      } else if (t.type === 'var_begin') {
        this.i++;
        const expr = this.expression();
        this.expect('var_end');
        out.push({ kind: 'output', expr, line: t.line, column: t.column });
      } else if (t.type === 'block_begin') {
        const tag = this.tokens[this.i + 1]!;
        if (tag.type === 'name' && ends.includes(tag.value)) return out;
        this.i += 2;
        if (tag.type !== 'name') throw this.error('tag name expected', tag);
        out.push(this.statement(tag));
      } else {
        throw this.error(`unexpected '${t.value}'`, t);
      }
    }
  }

  private statement(tag: Token): Stmt {
    const pos: Pos = { line: tag.line, column: tag.column };
    switch (tag.value) {
      case 'if':
        return this.ifStatement(pos);
      case 'for':
        return this.forStatement(pos);
      case 'set':
        return this.setStatement(pos);
      default:
        throw this.error(`Encountered unknown tag '${tag.value}'.`, tag);
    }
  }

  private ifStatement(pos: Pos): Stmt {
    const branches: { test: Expr; body: Stmt[] }[] = [];
    let otherwise: Stmt[] = [];
    let test = this.expression();
    for (;;) {
      this.expect('block_end');
      const body = this.statements(['elif', 'else', 'endif']);
      branches.push({ test, body });
      this.i++;
      const tag = this.next();
      if (tag.value === 'elif') {
        test = this.expression();
        continue;
      }
      if (tag.value === 'else') {
        this.expect('block_end');
        otherwise = this.statements(['endif']);
        this.i += 2;
      }
      this.expect('block_end');
      return { kind: 'if', branches, otherwise, ...pos };
    }
  }

  private forStatement(pos: Pos): Stmt {
    const targets = this.targetNames();
    this.expectName('in');
    const iter = this.orExpr();
    let filter: Expr | undefined;
    if (this.skipName('if')) filter = this.expression();
    this.expect('block_end');
    const body = this.statements(['else', 'endfor']);
    this.i++;
    let otherwise: Stmt[] = [];
    if (this.next().value === 'else') {
      this.expect('block_end');
      otherwise = this.statements(['endfor']);
      this.i += 2;
    }
    this.expect('block_end');
    return { kind: 'for', targets, iter, ...(filter ? { filter } : {}), body, otherwise, ...pos };
  }

  private setStatement(pos: Pos): Stmt {
    const targets = this.targetNames();
    if (this.skipOp('=')) {
      const value = this.expression();
      this.expect('block_end');
      return { kind: 'set', targets, value, ...pos };
    }
    if (targets.length !== 1) throw this.error("expected '='", this.peek());
    this.expect('block_end');
    const body = this.statements(['endset']);
    this.i += 2;
    this.expect('block_end');
    return { kind: 'setblock', target: targets[0]!, body, ...pos };
  }

  private targetNames(): string[] {
    const names: string[] = [];
    const paren = this.skipOp('(');
    do {
      const t = this.next();
      if (t.type !== 'name') throw this.error(`expected a variable name, got '${t.value}'`, t);
      names.push(t.value);
    } while (this.skipOp(','));
    if (paren) this.expectOp(')');
    return names;
  }

  expression(): Expr {
    let expr = this.orExpr();
    while (this.isName('if')) {
      const t = this.next();
      const test = this.orExpr();
      const otherwise = this.skipName('else') ? this.expression() : undefined;
      expr = { kind: 'condexpr', test, then: expr, ...(otherwise ? { otherwise } : {}), line: t.line, column: t.column };
    }
    return expr;
  }

  private orExpr(): Expr {
    let left = this.andExpr();
    while (this.isName('or')) {
      const t = this.next();
      left = { kind: 'or', left, right: this.andExpr(), line: t.line, column: t.column };
    }
    return left;
  }

  private andExpr(): Expr {
    let left = this.notExpr();
    while (this.isName('and')) {
      const t = this.next();
      left = { kind: 'and', left, right: this.notExpr(), line: t.line, column: t.column };
    }
    return left;
  }

  private notExpr(): Expr {
    if (this.isName('not')) {
      const t = this.next();
      return { kind: 'unary', op: 'not', operand: this.notExpr(), line: t.line, column: t.column };
    }
    return this.compare();
  }

  private compare(): Expr {
    const first = this.additive();
    const rest: { op: CompareOp; expr: Expr }[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === 'op' && COMPARE_OPS.has(t.value)) {
        this.i++;
        rest.push({ op: t.value as CompareOp, expr: this.additive() });
      } else if (this.isName('in')) {
        this.i++;
        rest.push({ op: 'in', expr: this.additive() });
      } else if (this.isName('not') && this.tokens[this.i + 1]?.type === 'name' && this.tokens[this.i + 1]?.value === 'in') {
        this.i += 2;
        rest.push({ op: 'notin', expr: this.additive() });
      } else break;
    }
    return rest.length === 0 ? first : { kind: 'compare', first, rest, line: first.line, column: first.column };
  }

  private additive(): Expr {
    let left = this.concat();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      left = { kind: 'binary', op: t.value as '+' | '-', left, right: this.concat(), line: t.line, column: t.column };
    }
    return left;
  }

  private concat(): Expr {
    let left = this.multiplicative();
    while (this.isOp('~')) {
      const t = this.next();
      left = { kind: 'binary', op: '~', left, right: this.multiplicative(), line: t.line, column: t.column };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.power();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      left = { kind: 'binary', op: t.value as '*', left, right: this.power(), line: t.line, column: t.column };
    }
    return left;
  }

  private power(): Expr {
    let left = this.unary(true);
    while (this.isOp('**')) {
      const t = this.next();
      left = { kind: 'binary', op: '**', left, right: this.unary(true), line: t.line, column: t.column };
    }
    return left;
  }

  private unary(withFilter: boolean): Expr {
    const t = this.peek();
    let node: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      this.i++;
      node = { kind: 'unary', op: t.value as '-' | '+', operand: this.unary(false), line: t.line, column: t.column };
    } else {
      node = this.primary();
    }
    node = this.postfix(node);
    return withFilter ? this.filterExpr(node) : node;
  }

  private primary(): Expr {
    const t = this.next();
    const pos = { line: t.line, column: t.column };
    switch (t.type) {
      case 'name':
        if (t.value === 'true' || t.value === 'True') return { kind: 'const', value: true, ...pos };
        if (t.value === 'false' || t.value === 'False') return { kind: 'const', value: false, ...pos };
        if (t.value === 'none' || t.value === 'None') return { kind: 'const', value: null, ...pos };
        return { kind: 'name', name: t.value, ...pos };
      case 'string': {
        let value = t.value;
        while (this.peek().type === 'string') value += this.next().value;
        return { kind: 'const', value, ...pos };
      }
      case 'int':
        return { kind: 'const', value: Number(t.value), ...pos };
      case 'float':
        return { kind: 'const', value: new PyFloat(Number(t.value)), ...pos };
      case 'op':
        if (t.value === '(') return this.parenthesised(pos);
        if (t.value === '[') return { kind: 'list', items: this.sequence(']'), ...pos };
        if (t.value === '{') return this.dict(pos);
        break;
      default:
        break;
    }
    throw this.error(t.type === 'eof' || t.type === 'var_end' || t.type === 'block_end' ? 'unexpected end of expression' : `unexpected '${t.value}'`, t);
  }

  private parenthesised(pos: Pos): Expr {
    if (this.skipOp(')')) return { kind: 'tuple', items: [], ...pos };
    const first = this.expression();
    if (this.skipOp(')')) return first;
    const items = [first];
    while (this.skipOp(',')) {
      if (this.isOp(')')) break;
      items.push(this.expression());
    }
    this.expectOp(')');
    return { kind: 'tuple', items, ...pos };
  }

  private sequence(close: string): Expr[] {
    const items: Expr[] = [];
    while (!this.skipOp(close)) {
      if (items.length > 0) {
        this.expectOp(',');
        if (this.skipOp(close)) break;
      }
      items.push(this.expression());
    }
    return items;
  }

  private dict(pos: Pos): Expr {
    const entries: [Expr, Expr][] = [];
    while (!this.skipOp('}')) {
      if (entries.length > 0) {
        this.expectOp(',');
        if (this.skipOp('}')) break;
      }
      const key = this.expression();
      this.expectOp(':');
      entries.push([key, this.expression()]);
    }
    return { kind: 'dict', entries, ...pos };
  }

  private postfix(node: Expr): Expr {
    for (;;) {
      const t = this.peek();
      if (this.isOp('.')) {
        this.i++;
        const attr = this.next();
        if (attr.type === 'name') node = { kind: 'getattr', target: node, attr: attr.value, line: t.line, column: t.column };
        else if (attr.type === 'int') node = { kind: 'getitem', target: node, index: { kind: 'const', value: Number(attr.value), line: attr.line, column: attr.column }, line: t.line, column: t.column };
        else throw this.error(`expected an attribute name after '.', got '${attr.value}'`, attr);
      } else if (this.isOp('[')) {
        this.i++;
        node = this.subscript(node, t);
      } else if (this.isOp('(')) {
        this.i++;
        node = { kind: 'call', callee: node, args: this.callArgs(), line: t.line, column: t.column };
      } else return node;
    }
  }

  private subscript(target: Expr, t: Token): Expr {
    const part = (): Expr | undefined => (this.isOp(':') || this.isOp(']') ? undefined : this.expression());
    const start = part();
    if (this.skipOp(']')) {
      if (!start) throw this.error('expected an index', t);
      return { kind: 'getitem', target, index: start, line: t.line, column: t.column };
    }
    this.expectOp(':');
    const stop = part();
    const step = this.skipOp(':') ? part() : undefined;
    this.expectOp(']');
    return { kind: 'slice', target, ...(start ? { start } : {}), ...(stop ? { stop } : {}), ...(step ? { step } : {}), line: t.line, column: t.column };
  }

  private callArgs(): Args {
    const args: Args = { positional: [], keyword: [] };
    while (!this.skipOp(')')) {
      if (args.positional.length + args.keyword.length > 0) {
        this.expectOp(',');
        if (this.skipOp(')')) break;
      }
      const t = this.peek();
      if (t.type === 'name' && this.tokens[this.i + 1]?.type === 'op' && this.tokens[this.i + 1]?.value === '=') {
        this.i += 2;
        args.keyword.push({ name: t.value, value: this.expression() });
      } else {
        if (args.keyword.length > 0) throw this.error('positional argument follows keyword argument', t);
        args.positional.push(this.expression());
      }
    }
    return args;
  }

  private filterExpr(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        const t = this.next();
        const name = this.dottedName();
        const args = this.skipOp('(') ? this.callArgs() : { positional: [], keyword: [] };
        node = { kind: 'filter', name, target: node, args, line: t.line, column: t.column };
      } else if (this.isName('is')) {
        const t = this.next();
        const negated = this.skipName('not');
        const name = this.dottedName();
        let args: Args = { positional: [], keyword: [] };
        const next = this.peek();
        if (this.skipOp('(')) args = this.callArgs();
        else if ((PRIMARY_START.has(next.type) || (next.type === 'op' && '([{'.includes(next.value))) && !['else', 'or', 'and'].includes(next.value) && !(next.type === 'name' && next.value === 'is' )) {
          args = { positional: [this.postfix(this.primary())], keyword: [] };
        }
        node = { kind: 'test', name, target: node, args, negated, line: t.line, column: t.column };
      } else if (this.isOp('(')) {
        const t = this.next();
        node = { kind: 'call', callee: node, args: this.callArgs(), line: t.line, column: t.column };
      } else return node;
    }
  }

  /** Filter and test names may be qualified: ansible.builtin.to_json. */
  private dottedName(): string {
    const first = this.next();
    if (first.type !== 'name') throw this.error(`expected a filter or test name, got '${first.value}'`, first);
    let name = first.value;
    while (this.isOp('.') && this.tokens[this.i + 1]?.type === 'name') {
      this.i++;
      name += '.' + this.next().value;
    }
    return name;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.type !== 'eof') this.i++;
    return t;
  }
  private isOp(op: string): boolean {
    const t = this.peek();
    return t.type === 'op' && t.value === op;
  }
  private isName(name: string): boolean {
    const t = this.peek();
    return t.type === 'name' && t.value === name;
  }
  private skipOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }
  private skipName(name: string): boolean {
    if (!this.isName(name)) return false;
    this.i++;
    return true;
  }
  private expectOp(op: string): void {
    if (!this.skipOp(op)) throw this.error(`expected '${op}', got ${describe(this.peek())}`, this.peek());
  }
  private expectName(name: string): void {
    if (!this.skipName(name)) throw this.error(`expected '${name}', got ${describe(this.peek())}`, this.peek());
  }
  private expect(type: 'var_end' | 'block_end'): void {
    const t = this.peek();
    if (t.type !== type) throw this.error(`expected end of ${type === 'var_end' ? "print statement ('}}')" : "statement block ('%}')"}, got ${describe(t)}`, t);
    this.i++;
  }
  private error(message: string, t: Token): TemplateError {
    return new TemplateError(message, { name: this.name, line: t.line, column: t.column });
  }
}

function describe(t: Token): string {
  if (t.type === 'eof') return 'end of template';
  if (t.type === 'string') return 'a string';
  return `'${t.value}'`;
}

