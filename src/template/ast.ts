// The syntax tree of a Jinja2 template: statements (text, output, if, for,
// set) whose expressions follow Jinja2's grammar.

export interface Pos {
  line: number;
  column: number;
}

export type Expr =
  | ({ kind: 'const'; value: unknown } & Pos)
  | ({ kind: 'name'; name: string } & Pos)
  | ({ kind: 'list'; items: Expr[] } & Pos)
  | ({ kind: 'tuple'; items: Expr[] } & Pos)
  | ({ kind: 'dict'; entries: [Expr, Expr][] } & Pos)
  | ({ kind: 'getattr'; target: Expr; attr: string } & Pos)
  | ({ kind: 'getitem'; target: Expr; index: Expr } & Pos)
  | ({ kind: 'slice'; target: Expr; start?: Expr; stop?: Expr; step?: Expr } & Pos)
  | ({ kind: 'call'; callee: Expr; args: Args } & Pos)
  | ({ kind: 'filter'; name: string; target: Expr; args: Args } & Pos)
  | ({ kind: 'test'; name: string; target: Expr; args: Args; negated: boolean } & Pos)
  | ({ kind: 'unary'; op: 'not' | '-' | '+'; operand: Expr } & Pos)
  | ({ kind: 'binary'; op: BinaryOp; left: Expr; right: Expr } & Pos)
  | ({ kind: 'and' | 'or'; left: Expr; right: Expr } & Pos)
  | ({ kind: 'compare'; first: Expr; rest: { op: CompareOp; expr: Expr }[] } & Pos)
  | ({ kind: 'condexpr'; test: Expr; then: Expr; otherwise?: Expr } & Pos);

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'notin';

export interface Args {
  positional: Expr[];
  keyword: { name: string; value: Expr }[];
}

export type Stmt =
  | ({ kind: 'text'; text: string } & Pos)
  | ({ kind: 'output'; expr: Expr } & Pos)
  | ({ kind: 'if'; branches: { test: Expr; body: Stmt[] }[]; otherwise: Stmt[] } & Pos)
  | ({ kind: 'for'; targets: string[]; iter: Expr; filter?: Expr; body: Stmt[]; otherwise: Stmt[] } & Pos)
  | ({ kind: 'set'; targets: string[]; value: Expr } & Pos)
  | ({ kind: 'setblock'; target: string; body: Stmt[] } & Pos);
