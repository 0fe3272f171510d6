// Two families: UserError (something the operator can fix: input, network,
// a host's state) and InternalError (a bug in xivo-ha). Each carries a short
// summary, a detail that says what to do, and a source position when there is one.

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable machine-readable code, e.g. "inventory.schema", "playbook.unknown-module". */
  code: string;
  message: string;
  position?: SourcePosition;
  /** Field path inside the document, e.g. "nodes.xivo-b.role". */
  field?: string;
}

export function formatPosition(p: SourcePosition): string {
  return `${p.file}:${p.line}:${p.column}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.position ? `${formatPosition(d.position)} ` : '';
  const field = d.field ? `${d.field}: ` : '';
  return `${where}${d.severity}: ${field}${d.message}`;
}

export class UserError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that does not load: every problem found, located. */
export class ConfigError extends UserError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(
      diagnostics.length === 1 ? formatDiagnostic(diagnostics[0]!) : `${diagnostics.length} problems:\n${diagnostics.map(formatDiagnostic).join('\n')}`,
    );
  }
}

export type ConnectFailure = 'dns' | 'refused' | 'timeout' | 'auth' | 'host-key-unknown' | 'host-key-mismatch' | 'closed' | 'other';

export class ConnectError extends UserError {
  constructor(
    readonly host: string,
    readonly reason: ConnectFailure,
    message: string,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(`${host}: ${message}`, detail, options);
  }
}

export class CommandError extends UserError {
  constructor(
    readonly host: string,
    readonly argv: string[],
    readonly rc: number | null,
    readonly stderrTail: string,
  ) {
    super(
      `${host}: command failed (exit ${rc ?? 'signal'}): ${argv.join(' ')}`,
      stderrTail ? `stderr: ${stderrTail}` : undefined,
    );
  }
}

export class TaskError extends UserError {
  constructor(
    readonly host: string,
    readonly task: string,
    message: string,
    readonly position?: SourcePosition,
    options?: { cause?: unknown },
  ) {
    super(`${position ? formatPosition(position) + ' ' : ''}${host}: task "${task}": ${message}`, undefined, options);
  }
}

export class LockError extends UserError {}

export class InternalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`internal error: ${message} (this is a bug in xivo-ha, please report it)`, options);
    this.name = 'InternalError';
  }
}
