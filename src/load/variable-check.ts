// Every variable a playbook uses must be known before the run: from the
// inventory, play or task vars, extra vars, an earlier task's `register`, the
// loop variable, or Ansible's magic variables. What is referenced without an
// `is defined` / `default` guard and known nowhere is a located error. A
// task's `when: x is defined` guards the task's arguments, its
// changed_when/failed_when and its template: Ansible evaluates none of them
// when the condition is false. Not its name or loop, which Ansible evaluates
// first.
// Templates referenced by `template: src=` are checked too; a missing
// controller-side src file is an error here rather than halfway through a run.

import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { SourcePosition } from '../core/errors.js';
import type { Diagnostics, PathSegment } from './diagnostics.js';
import { positionOf, type YamlSource } from './yaml-source.js';
import { didYouMean } from './suggest.js';
import { isTemplate } from './schema.js';
import type { BuiltTask } from './task-spec.js';

export type IsKnown = (name: string) => boolean;

export interface TemplateChecker {
  /** Names referenced by `{{ }}` / `{% %}` in text without a guard. */
  undefinedVariables(text: string, isKnown: IsKnown): string[];
  /** The same for a bare expression (when, changed_when, assert that, debug var). */
  expressionUndefinedVariables(expr: string, isKnown: IsKnown): string[];
  /** Names a true condition proves defined (`x is defined and y is defined`). */
  namesDefinedByCondition?(expr: string): string[];
  /** Syntax errors, unknown filters and tests; line and column within the text. */
  templateSyntaxErrors?(text: string): TemplateProblem[];
  expressionSyntaxErrors?(expr: string): TemplateProblem[];
}

export interface TemplateProblem {
  message: string;
  line: number;
  column: number;
}

export const MAGIC_VARIABLES: readonly string[] = [
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'hostvars',
  'playbook_dir',
  'ansible_check_mode',
  'ansible_play_hosts',
  'omit',
  'item',
];

export interface PlayCheck {
  src: YamlSource;
  d: Diagnostics;
  checker: TemplateChecker;
  baseDir: string;
  playPath: PathSegment[];
  /** Variables of the hosts the play targets (any of them), extra vars included. */
  inventoryNames: ReadonlySet<string>;
  playVars: Record<string, unknown>;
  /** Registered by tasks of earlier plays (they stay set on the host). */
  registeredBefore: ReadonlySet<string>;
  tasks: BuiltTask[];
  handlers: BuiltTask[];
}

/** Returns the names registered by the play's tasks, for the plays that follow. */
export function checkPlayVariables(p: PlayCheck): Set<string> {
  const base = new Set([...MAGIC_VARIABLES, ...p.inventoryNames, ...Object.keys(p.playVars)]);
  const raw = (path: PathSegment[]) => valueAt(p.src.value, path);

  checkStrings(p, raw([...p.playPath, 'name']), [...p.playPath, 'name'], base);
  checkStrings(p, raw([...p.playPath, 'hosts']), [...p.playPath, 'hosts'], base);
  checkStrings(p, p.playVars, [...p.playPath, 'vars'], base);

  const registered = new Set(p.registeredBefore);
  for (const task of p.tasks) {
    checkTask(p, task, new Set([...base, ...registered]));
    if (task.spec.register) registered.add(task.spec.register);
  }
  // Handlers run after every task of the play: all its registered names are set.
  for (const handler of p.handlers) checkTask(p, handler, new Set([...base, ...registered]));
  return registered;
}

function checkTask(p: PlayCheck, task: BuiltTask, known: Set<string>): void {
  const { spec, path } = task;
  for (const v of Object.keys(spec.vars)) known.add(v);
  if (spec.loop !== undefined) known.add(spec.loopVar);
  const raw = (key: string) => valueAt(p.src.value, [...path, key]);

  checkStrings(p, raw('name'), [...path, 'name'], known);
  checkStrings(p, spec.vars, [...path, 'vars'], known);
  const loopKey = raw('loop') !== undefined ? 'loop' : 'with_items';
  checkStrings(p, raw(loopKey), [...path, loopKey], known);
  checkExpressions(p, raw('when'), [...path, 'when'], known);
  // What the rest of the task sees: it is evaluated only once `when` holds
  // (spec.when: the conditions as bare expressions, outer braces removed).
  const running = new Set([...known, ...spec.when.flatMap((c) => p.checker.namesDefinedByCondition?.(c) ?? [])]);

  const argsPath = [...path, task.moduleKey];
  const args = spec.args;
  for (const [key, value] of Object.entries(args)) {
    if (spec.module === 'debug' && key === 'var') checkExpressions(p, value, [...argsPath, key], running);
    else if (spec.module === 'assert' && key === 'that') checkExpressions(p, value, [...argsPath, key], running);
    else checkStrings(p, value, [...argsPath, key], running);
  }

  const afterRun = spec.register ? new Set([...running, spec.register]) : running;
  checkExpressions(p, raw('changed_when'), [...path, 'changed_when'], afterRun);
  checkExpressions(p, raw('failed_when'), [...path, 'failed_when'], afterRun);

  if (spec.module === 'template') checkLocalSource(p, task, 'templates', running);
  if (spec.module === 'copy' && args['remote_src'] !== true && args['remote_src'] !== 'yes') checkLocalSource(p, task, 'files', running);
}

function checkLocalSource(p: PlayCheck, task: BuiltTask, kind: 'templates' | 'files', known: Set<string>): void {
  const src = task.spec.args['src'];
  if (typeof src !== 'string' || src === '' || isTemplate(src)) return;
  const at = [...task.path, task.moduleKey, 'src'];
  const candidates = isAbsolute(src) ? [src] : kind === 'templates' ? [join(p.baseDir, 'templates', src), join(p.baseDir, 'files', src), join(p.baseDir, src)] : [join(p.baseDir, 'files', src), join(p.baseDir, src)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    const where = candidates.map((c) => (isAbsolute(src) ? c : relative(p.baseDir, c))).join(', ');
    p.d.error('playbook.missing-file', `${task.spec.module}: src "${src}" not found (looked for ${where})`, positionOf(p.src, at), at);
    return;
  }
  if (kind !== 'templates') return;
  let text: string;
  try {
    text = readFileSync(found, 'utf8');
  } catch (err) {
    p.d.error('playbook.missing-file', `template: cannot read ${found}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, positionOf(p.src, at), at);
    return;
  }
  const problems = p.checker.templateSyntaxErrors?.(text) ?? [];
  for (const problem of problems) {
    p.d.error('playbook.template', `template ${src}: ${problem.message}`, { file: found, line: problem.line, column: problem.column }, at);
  }
  if (problems.length > 0) return;
  let names: string[];
  try {
    names = p.checker.undefinedVariables(text, (n) => known.has(n));
  } catch (err) {
    p.d.error('playbook.template', `template ${src}: ${(err as Error).message}`, positionOf(p.src, at), at);
    return;
  }
  for (const name of names) {
    p.d.error('playbook.undefined-variable', `template ${src} uses undefined variable "${name}"${didYouMean(name, known)}`, positionInText(found, text, name) ?? positionOf(p.src, at), at);
  }
}

/** Every string inside value (lists and mappings walked) is a template. */
function checkStrings(p: PlayCheck, value: unknown, path: PathSegment[], known: Set<string>): void {
  if (typeof value === 'string') {
    if (!isTemplate(value)) return;
    report(p, path, known, () => p.checker.templateSyntaxErrors?.(value) ?? [], () => p.checker.undefinedVariables(value, (n) => known.has(n)));
  } else if (Array.isArray(value)) value.forEach((v, i) => checkStrings(p, v, [...path, i], known));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) checkStrings(p, v, [...path, k], known);
}

/** A condition or a list of them: bare expressions, tolerating Ansible's optional braces. */
function checkExpressions(p: PlayCheck, value: unknown, path: PathSegment[], known: Set<string>): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkExpressions(p, v, [...path, i], known));
    return;
  }
  if (typeof value !== 'string') return;
  if (isTemplate(value)) report(p, path, known, () => p.checker.templateSyntaxErrors?.(value) ?? [], () => p.checker.undefinedVariables(value, (n) => known.has(n)));
  else report(p, path, known, () => p.checker.expressionSyntaxErrors?.(value) ?? [], () => p.checker.expressionUndefinedVariables(value, (n) => known.has(n)));
}

function report(p: PlayCheck, path: PathSegment[], known: Set<string>, syntax: () => TemplateProblem[], find: () => string[]): void {
  const problems = syntax();
  for (const problem of problems) p.d.error('playbook.template', `invalid template: ${problem.message}`, positionOf(p.src, path), path);
  if (problems.length > 0) return;
  let names: string[];
  try {
    names = find();
  } catch (err) {
    p.d.error('playbook.template', `invalid template: ${(err as Error).message.split('\n')[0]}`, positionOf(p.src, path), path);
    return;
  }
  for (const name of new Set(names)) {
    p.d.error('playbook.undefined-variable', `undefined variable "${name}"${didYouMean(name, known)}`, positionOf(p.src, path), path);
  }
}

function positionInText(file: string, text: string, name: string): SourcePosition | undefined {
  const re = new RegExp(`(?<![A-Za-z0-9_.])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = re.exec(lines[i]!);
    if (m) return { file, line: i + 1, column: m.index + 1 };
  }
  return undefined;
}

function valueAt(root: unknown, path: PathSegment[]): unknown {
  let v = root;
  for (const seg of path) {
    if (Array.isArray(v) && typeof seg === 'number') v = v[seg];
    else if (isPlainObject(v)) v = v[String(seg)];
    else return undefined;
  }
  return v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
