// Jinja2's lexer, for the delimiters Ansible uses ({{ }}, {% %}, {# #}).
// Whitespace control follows Jinja: a `-` inside a delimiter strips the
// whitespace beside it, and trim_blocks drops the first newline after a
// block or comment tag. A `}}` or `%}` inside open brackets does not close
// the tag (Jinja's "balancing" rule), so `{{ {'a': {'b': 1}}}}` lexes.

import { TemplateError } from './errors.js';

export type TokenType = 'data' | 'var_begin' | 'var_end' | 'block_begin' | 'block_end' | 'name' | 'string' | 'int' | 'float' | 'op' | 'eof';

export interface Token {
  type: TokenType;
  value: string;
  line: number;
  column: number;
}

export interface LexOptions {
  trimBlocks: boolean;
  /**
   * Ansible's inline templating doubles every backslash inside string
   * literals of `{{ }}` before Jinja sees them (Templar._escape_backslashes),
   * so there they read as raw strings: '\1' stays a backslash and a 1.
   */
  rawStringsInOutput: boolean;
  name?: string;
}

const OPERATORS = ['**', '//', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '~', '<', '>', '=', '.', ',', ':', '|', '(', ')', '[', ']', '{', '}', ';'];
const RAW_OPEN = /\{%([-+]?)\s*raw\s*(-?)%\}/y;
const RAW_CLOSE = /\{%(-?)\s*endraw\s*(-?)%\}/g;

export function tokenize(src: string, options: LexOptions): Token[] {
  return new Lexer(src, options).run();
}

/** The tokens of a bare expression (a `when:` condition), ending with eof. */
export function tokenizeExpression(src: string, name?: string): Token[] {
  return new Lexer(src, { trimBlocks: false, rawStringsInOutput: false, name }).expressionOnly();
}

class Lexer {
  private readonly tokens: Token[] = [];
  private readonly lineStarts: number[] = [0];
  private pos = 0;
  /** A `-` closed the last tag: strip the whitespace that starts the next text. */
  private stripNext = false;

  constructor(
    private readonly src: string,
    private readonly options: LexOptions,
  ) {
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') this.lineStarts.push(i + 1);
  }

  run(): Token[] {
    const src = this.src;
    while (this.pos < src.length) {
      const open = findOpening(src, this.pos);
      const textEnd = open === -1 ? src.length : open;
      let text = src.slice(this.pos, textEnd);
      const textStart = this.pos;
      if (open !== -1 && src[open + 2] === '-') text = text.replace(/\s+$/, '');
      this.pushData(text, textStart);
      if (open === -1) break;
      this.pos = open;
      const kind = src[open + 1];
      if (kind === '#') this.comment();
      else if (kind === '%' && this.raw()) continue;
      else this.tag(kind === '{' ? 'var' : 'block');
    }
    this.tokens.push({ type: 'eof', value: '', ...this.at(src.length) });
    return this.tokens;
  }

  expressionOnly(): Token[] {
    for (;;) {
      while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
      if (this.pos >= this.src.length) break;
      this.tokens.push(this.expressionToken('block'));
    }
    this.tokens.push({ type: 'eof', value: '', ...this.at(this.src.length) });
    return this.tokens;
  }

  private pushData(text: string, offset: number): void {
    if (this.stripNext) {
      text = text.replace(/^\s+/, '');
      this.stripNext = false;
    }
    if (text !== '') this.tokens.push({ type: 'data', value: text, ...this.at(offset) });
  }

  private afterClose(dash: boolean, trimmable: boolean): void {
    if (dash) this.stripNext = true;
    else if (trimmable && this.options.trimBlocks) {
      if (this.src.startsWith('\r\n', this.pos)) this.pos += 2;
      else if (this.src[this.pos] === '\n') this.pos += 1;
    }
  }

  private comment(): void {
    const end = this.src.indexOf('#}', this.pos + 2);
    if (end === -1) throw this.error('missing end of comment tag', this.pos);
    const dash = this.src[end - 1] === '-' && end - 1 >= this.pos + 2;
    this.pos = end + 2;
    this.afterClose(dash, true);
  }

  private raw(): boolean {
    RAW_OPEN.lastIndex = this.pos;
    const open = RAW_OPEN.exec(this.src);
    if (!open) return false;
    RAW_CLOSE.lastIndex = RAW_OPEN.lastIndex;
    const close = RAW_CLOSE.exec(this.src);
    if (!close) throw this.error("unexpected end of template: missing 'endraw'", this.pos);
    let bodyStart = RAW_OPEN.lastIndex;
    if (open[2] === '-') while (bodyStart < close.index && /\s/.test(this.src[bodyStart]!)) bodyStart++;
    else if (this.options.trimBlocks && this.src[bodyStart] === '\n') bodyStart++;
    let body = this.src.slice(bodyStart, close.index);
    if (close[1] === '-') body = body.replace(/\s+$/, '');
    this.stripNext = false;
    this.pushData(body, bodyStart);
    this.pos = RAW_CLOSE.lastIndex;
    this.afterClose(close[2] === '-', true);
    return true;
  }

  private tag(kind: 'var' | 'block'): void {
    const src = this.src;
    const begin = this.pos;
    this.tokens.push({ type: kind === 'var' ? 'var_begin' : 'block_begin', value: src.slice(begin, begin + 2), ...this.at(begin) });
    this.pos += 2;
    if (src[this.pos] === '-' || src[this.pos] === '+') this.pos += 1;
    const closer = kind === 'var' ? '}}' : '%}';
    let depth = 0;
    for (;;) {
      while (this.pos < src.length && /\s/.test(src[this.pos]!)) this.pos++;
      if (this.pos >= src.length) throw this.error(`unexpected end of template: missing '${closer}'`, begin);
      if (depth === 0) {
        const dash = src.startsWith('-' + closer, this.pos);
        if (dash || src.startsWith(closer, this.pos)) {
          const at = this.pos;
          this.pos += closer.length + (dash ? 1 : 0);
          this.tokens.push({ type: kind === 'var' ? 'var_end' : 'block_end', value: closer, ...this.at(at) });
          this.afterClose(dash, kind === 'block');
          return;
        }
      }
      const token = this.expressionToken(kind);
      if (token.type === 'op') {
        if ('([{'.includes(token.value)) depth++;
        else if (')]}'.includes(token.value)) depth = Math.max(0, depth - 1);
      }
      this.tokens.push(token);
    }
  }

  private expressionToken(kind: 'var' | 'block'): Token {
    const src = this.src;
    const start = this.pos;
    const where = this.at(start);
    const rest = src.slice(start, start + 64);
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) {
      this.pos += name[0].length;
      return { type: 'name', value: name[0], ...where };
    }
    const float = /^\d[\d_]*(\.\d[\d_]*([eE][+-]?\d+)?|[eE][+-]?\d+)/.exec(src.slice(start, start + 400));
    if (float) {
      this.pos += float[0].length;
      return { type: 'float', value: float[0].replace(/_/g, ''), ...where };
    }
    const int = /^\d[\d_]*/.exec(src.slice(start, start + 400));
    if (int) {
      this.pos += int[0].length;
      return { type: 'int', value: int[0].replace(/_/g, ''), ...where };
    }
    const quote = src[start];
    if (quote === '"' || quote === "'") {
      let i = start + 1;
      while (i < src.length && src[i] !== quote) i += src[i] === '\\' ? 2 : 1;
      if (i >= src.length) throw this.error('unexpected end of string literal', start);
      this.pos = i + 1;
      const body = src.slice(start + 1, i);
      const value = kind === 'var' && this.options.rawStringsInOutput ? body : unescapePython(body);
      return { type: 'string', value, ...where };
    }
    for (const op of OPERATORS) {
      if (src.startsWith(op, start)) {
        this.pos += op.length;
        return { type: 'op', value: op, ...where };
      }
    }
    throw this.error(`unexpected char '${src[start]}'`, start);
  }

  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  private error(message: string, offset: number): TemplateError {
    return new TemplateError(message, { name: this.options.name, ...this.at(offset) });
  }
}

function findOpening(src: string, from: number): number {
  for (let i = src.indexOf('{', from); i !== -1; i = src.indexOf('{', i + 1)) {
    const next = src[i + 1];
    if (next === '{' || next === '%' || next === '#') return i;
  }
  return -1;
}

/** Python's string-literal escapes, as Jinja applies them ("unicode-escape"). */
export function unescapePython(body: string): string {
  if (!body.includes('\\')) return body;
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, (whole, esc: string) => {
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
    if (esc in simple) return simple[esc]!;
    if (/^[xuU]/.test(esc) && esc.length > 1) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (/^[0-7]+$/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
    return whole;
  });
}
