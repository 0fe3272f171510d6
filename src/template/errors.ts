// Template problems are the operator's to fix (a typo in a variable name, an
// unclosed block), so they are UserErrors that say where: the template's
// name, line and column, and for undefined variables the variable itself.

import { UserError } from '../core/errors.js';

export interface TemplateLocation {
  /** The template's name: a file path, or a description of the task argument. */
  name?: string;
  line?: number;
  column?: number;
}

export class TemplateError extends UserError {
  readonly templateName: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** Set when the error is an undefined variable: its top-level name. */
  readonly variable: string | undefined;
  /** The message without the location prefix. */
  readonly reason: string;

  constructor(reason: string, where: TemplateLocation = {}, options?: { variable?: string; detail?: string; cause?: unknown }) {
    super(`${formatLocation(where)}${reason}`, options?.detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.templateName = where.name;
    this.line = where.line;
    this.column = where.column;
    this.variable = options?.variable;
  }

  /** The same error, placed in a template (errors are raised deep in evaluation, where the name is unknown). */
  located(where: TemplateLocation): TemplateError {
    const merged: TemplateLocation = {
      name: this.templateName ?? where.name,
      line: this.line ?? where.line,
      column: this.column ?? where.column,
    };
    return new TemplateError(this.reason, merged, { variable: this.variable, detail: this.detail, cause: this.cause });
  }
}

function formatLocation(where: TemplateLocation): string {
  if (where.name === undefined && where.line === undefined) return '';
  const parts = [where.name ?? '<template>'];
  if (where.line !== undefined) parts.push(String(where.line));
  if (where.line !== undefined && where.column !== undefined) parts.push(String(where.column));
  return `${parts.join(':')}: `;
}
