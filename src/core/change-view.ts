// Turns a planned Change into what views print: a unified diff, or a mask
// when the content is sensitive. Secrets never reach this text: sensitive
// diffs are replaced whole, and redact() scrubs any registered value left.

import { createTwoFilesPatch } from 'diff';
import type { ChangeView } from './events.js';
import type { Change, Diff } from './types.js';
import { containsSecret, redact } from './secret.js';

export const SENSITIVE_DIFF = '(sensitive content hidden)';

export function renderDiff(diff: Diff): string {
  // Modules mark what they know is sensitive; any text holding a known secret value is too.
  if (diff.sensitive || containsSecret(diff.before) || containsSecret(diff.after)) return SENSITIVE_DIFF;
  if (diff.omitted !== undefined) return redact(diff.omitted);
  const before = diff.beforeHeader ?? 'before';
  const after = diff.afterHeader ?? 'after';
  const patch = createTwoFilesPatch(before, after, diff.before, diff.after, undefined, undefined, { context: 3 });
  // Drop the "Index:"/"====" preamble createTwoFilesPatch adds: the ---/+++ lines say it all.
  const lines = patch.split('\n');
  const start = lines.findIndex((l) => l.startsWith('--- '));
  return redact(lines.slice(start < 0 ? 0 : start).join('\n').replace(/\n$/, ''));
}

export function viewChange(change: Change, knownAfterApply = false): ChangeView {
  const view: ChangeView = { action: change.action, target: redact(change.target), summary: redact(change.summary) };
  if (change.diff && (change.diff.sensitive || change.diff.omitted !== undefined || change.diff.before !== change.diff.after)) view.diff = renderDiff(change.diff);
  if (knownAfterApply) view.knownAfterApply = true;
  return view;
}
