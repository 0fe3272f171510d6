// Deciding one task for one host: template its arguments, evaluate `when`,
// ask the module for probes and a plan. Pure given the facts model; the
// caller supplies `ensureFacts` to fetch anything not gathered yet.

import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { PlaySpec, TaskSpec, Vars } from './model.js';
import type { Facts, Module, ModuleContext, ModulePlan, Probe } from './types.js';
import { Unknown, isUnknown } from './unknown.js';
import { containsSecret, Secret } from './secret.js';
import { TaskError } from './errors.js';
import { dropOmitted } from './vars.js';
import { evaluateCondition, renderTemplateFile, templateValue, evaluateExpression } from '../template/index.js';

export type ItemDecision =
  | { kind: 'skipped'; note: string }
  /** Arguments or condition depend on values known only after apply. */
  | { kind: 'deferred'; reason: string }
  | { kind: 'planned'; args: Record<string, unknown>; plan: ModulePlan };

/**
 * Where a relative `src` is found, as Ansible searches (and as the loader
 * checked): a template in templates/, then files/, then beside the playbook;
 * a copied file in files/, then beside the playbook.
 */
export function resolveLocalSource(play: PlaySpec, src: string, kind: 'templates' | 'files'): string {
  if (isAbsolute(src)) return src;
  const dirs = kind === 'templates' ? ['templates', 'files', ''] : ['files', ''];
  for (const dir of dirs) {
    const candidate = join(play.baseDir, dir, src);
    if (existsSync(candidate)) return candidate;
  }
  return join(play.baseDir, kind, src);
}

/**
 * The local sources (files/, templates/) a play has read, by path. Each is
 * read once per run: every host, and the check after apply, compare and
 * write the same bytes even when the file changes on the workstation during
 * the run (a half-rewritten source was once put on one host and then
 * reported as drift by the check that re-read it).
 */
const localSources = new WeakMap<PlaySpec, Map<string, Buffer>>();

function readLocalSource(play: PlaySpec, path: string, kind: 'templates' | 'files'): Buffer {
  let cache = localSources.get(play);
  if (!cache) localSources.set(play, (cache = new Map()));
  const resolved = resolveLocalSource(play, path, kind);
  let bytes = cache.get(resolved);
  if (!bytes) cache.set(resolved, (bytes = readFileSync(resolved)));
  return bytes;
}

export function moduleContext(host: string, play: PlaySpec, vars: Vars): ModuleContext {
  return {
    host,
    readLocalFile: (path) => readLocalSource(play, path, 'files'),
    renderTemplateFile: (path) => {
      const text = readLocalSource(play, path, 'templates').toString('utf8');
      const out = renderTemplateFile(text, vars, { name: path });
      if (isUnknown(out)) throw new DeferredError(out.reason);
      return out;
    },
    containsSecret,
  };
}

/** Thrown inside planning when a value is known only after apply. */
export class DeferredError extends Error {}

export function hasUnknown(value: unknown): Unknown | undefined {
  if (isUnknown(value)) return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const u = hasUnknown(v);
      if (u) return u;
    }
  } else if (value && typeof value === 'object' && !(value instanceof Buffer)) {
    for (const v of Object.values(value)) {
      const u = hasUnknown(v);
      if (u) return u;
    }
  }
  return undefined;
}

/** Evaluates every `when` expression; all must hold. */
export function evaluateWhen(task: TaskSpec, vars: Vars): boolean | Unknown {
  for (const expr of task.when) {
    const result = evaluateCondition(expr, vars);
    if (isUnknown(result)) return result;
    if (!result) return false;
  }
  return true;
}

/**
 * Module arguments after templating. Some modules take expressions rather
 * than text: assert's `that` and debug's `var` are evaluated here, so the
 * modules stay pure.
 */
export function prepareArgs(task: TaskSpec, vars: Vars): Record<string, unknown> {
  const raw = { ...task.args };
  if (task.module === 'assert') {
    const that = Array.isArray(raw.that) ? raw.that : [raw.that];
    const exprs = that.map((t) => String(t));
    const rest = templateValue(Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'that')), vars) as Record<string, unknown>;
    return dropOmitted({ ...rest, that: exprs.map((e) => evaluateCondition(e, vars)), that_text: exprs });
  }
  if (task.module === 'debug' && typeof raw.var === 'string') {
    const name = raw.var;
    return dropOmitted({ ...(templateValue({ ...raw, var: undefined }, vars) as Record<string, unknown>), var: name, value: evaluateExpression(name, vars) });
  }
  return revealSecrets(dropOmitted(templateValue(raw, vars) as Record<string, unknown>)) as Record<string, unknown>;
}

/**
 * Modules take plain strings: a secret passed whole ("{{ password }}") arrives
 * as its value. The planner still masks it: every diff is checked with
 * containsSecret(), and every view redacts known secret values.
 */
function revealSecrets(value: unknown): unknown {
  if (value instanceof Secret) return value.reveal();
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value && typeof value === 'object' && !(value instanceof Buffer) && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

export function probesFor(module: Module, task: TaskSpec, host: string, play: PlaySpec, vars: Vars): Probe[] | Unknown {
  let args: Record<string, unknown>;
  try {
    args = prepareArgs(task, vars);
  } catch (err) {
    if (err instanceof DeferredError) return new Unknown(err.message);
    throw err;
  }
  const unknown = hasUnknown(args);
  if (unknown) return unknown;
  return module.probes(args, moduleContext(host, play, vars));
}

const UNKNOWN_MARK = '\u0000known after apply\u0000';

function replaceUnknowns(value: unknown): unknown {
  if (isUnknown(value)) return UNKNOWN_MARK;
  if (Array.isArray(value)) return value.map(replaceUnknowns);
  if (value && typeof value === 'object' && !(value instanceof Buffer) && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceUnknowns(v)]));
  }
  return value;
}

/**
 * What a deferred task may touch: its probes, with every value known only
 * after apply standing in as a marker; probes that name the marker (a path
 * not known yet) are dropped. Empty when the module cannot say.
 */
export function probesDespiteUnknowns(module: Module, task: TaskSpec, host: string, play: PlaySpec, vars: Vars): Probe[] {
  try {
    const args = replaceUnknowns(prepareArgs(task, vars)) as Record<string, unknown>;
    return module.probes(args, moduleContext(host, play, vars)).filter((p) => !JSON.stringify(p).includes(UNKNOWN_MARK));
  } catch {
    // Arguments the module refuses (the marker is no valid mode, say) will be
    // checked when the task is decided during apply; nothing to forget now.
    return [];
  }
}

export function decideItem(module: Module, task: TaskSpec, host: string, play: PlaySpec, vars: Vars, facts: Facts): ItemDecision {
  const when = evaluateWhen(task, vars);
  if (isUnknown(when)) return { kind: 'deferred', reason: `condition depends on ${when.reason}` };
  if (!when) return { kind: 'skipped', note: `skipped: condition is false (${task.when.join(' and ')})` };
  let args: Record<string, unknown>;
  try {
    args = prepareArgs(task, vars);
    const unknown = hasUnknown(args);
    if (unknown) return { kind: 'deferred', reason: unknown.reason };
    for (const probe of module.probes(args, moduleContext(host, play, vars))) {
      if (facts.isUnknown(probe)) return { kind: 'deferred', reason: `${describeProbe(probe)} is only known after apply` };
    }
    return { kind: 'planned', args, plan: module.plan(args, facts, moduleContext(host, play, vars)) };
  } catch (err) {
    if (err instanceof DeferredError) return { kind: 'deferred', reason: err.message };
    if (err instanceof TaskError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new TaskError(host, task.name, message, task.position, { cause: err });
  }
}

export function describeProbe(probe: Probe): string {
  switch (probe.kind) {
    case 'file':
      return probe.path;
    case 'unit':
      return `unit ${probe.unit}`;
    case 'user':
      return `user ${probe.name}`;
    case 'group':
      return `group ${probe.name}`;
    case 'command':
      return `output of ${probe.argv.join(' ')}`;
  }
}
