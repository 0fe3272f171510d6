// Collects every problem found while loading a file, so the operator sees
// them all at once instead of fixing one error per run.

import { ConfigError, type Diagnostic, type SourcePosition } from '../core/errors.js';

export type PathSegment = string | number;

/** "nodes.xivo-b.role", "[0].tasks[2].copy": the field path shown beside a position. */
export function formatFieldPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(code: string, message: string, position?: SourcePosition, path?: readonly PathSegment[]): void {
    const d: Diagnostic = { severity: 'error', code, message };
    if (position) d.position = position;
    if (path && path.length > 0) d.field = formatFieldPath(path);
    this.list.push(d);
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }

  /** Throws one ConfigError carrying every diagnostic, in file order. */
  throwIfAny(): void {
    if (!this.hasErrors) return;
    const sorted = [...this.list].sort(byPosition);
    throw new ConfigError(sorted);
  }
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  const pa = a.position;
  const pb = b.position;
  if (!pa || !pb) return pa ? -1 : pb ? 1 : 0;
  if (pa.file !== pb.file) return pa.file < pb.file ? -1 : 1;
  return pa.line - pb.line || pa.column - pb.column;
}
