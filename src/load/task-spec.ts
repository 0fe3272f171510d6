// One task (or handler) entry of a play → TaskSpec: its keywords sorted from
// its single module key, the module found in the registry, its arguments
// parsed and checked against the module's schema.

import type { HandlerSpec, TaskSpec, Vars } from '../core/model.js';
import type { Module } from '../core/types.js';
import type { Diagnostics, PathSegment } from './diagnostics.js';
import { positionOf, type YamlSource } from './yaml-source.js';
import { compileSchema, validateAgainst } from './schema.js';
import { closestName, didYouMean } from './suggest.js';
import { HANDLER_KEYWORDS, SUGGESTED_MODULE_NAMES, TASK_KEYWORDS, UNSUPPORTED_TASK_KEYWORDS } from './playbook-keywords.js';
import { parseModuleArgs } from './module-args.js';

export type FindModule = (name: string) => Module | undefined;

export interface TaskContext {
  src: YamlSource;
  d: Diagnostics;
  findModule: FindModule;
  /** Inherited from the play. */
  playTags: string[];
  playBecomeUser?: string;
}

/** The built task with the module key it was written under (for locating its arguments). */
export interface BuiltTask<T extends TaskSpec = TaskSpec> {
  spec: T;
  path: PathSegment[];
  moduleKey: string;
  moduleObject: Module;
}

export function buildTask(raw: Record<string, unknown>, path: PathSegment[], ctx: TaskContext): BuiltTask | undefined {
  return buildEntry(raw, path, ctx, TASK_KEYWORDS);
}

export function buildHandler(raw: Record<string, unknown>, path: PathSegment[], ctx: TaskContext): BuiltTask<HandlerSpec> | undefined {
  const built = buildEntry(raw, path, ctx, HANDLER_KEYWORDS);
  if (!built) return undefined;
  const spec: HandlerSpec = { ...built.spec, listen: names(raw['listen']) };
  return { ...built, spec };
}

function buildEntry(raw: Record<string, unknown>, path: PathSegment[], ctx: TaskContext, keywords: ReadonlySet<string>): BuiltTask | undefined {
  const { src, d } = ctx;
  const candidates: string[] = [];
  let broken = false;
  for (const key of Object.keys(raw)) {
    if (keywords.has(key)) continue;
    if (UNSUPPORTED_TASK_KEYWORDS.has(key) || key === 'listen') {
      const why = key === 'listen' ? ' in tasks (only handlers listen)' : ' by xivo-ha';
      d.error('playbook.unsupported', `"${key}" is not supported${why}`, positionOf(src, [...path, key], 'key'), [...path, key]);
      broken = true;
      continue;
    }
    candidates.push(key);
  }

  const found = candidates.map((key) => ({ key, module: ctx.findModule(key) }));
  const modules = found.filter((f) => f.module !== undefined) as { key: string; module: Module }[];
  const unknown = found.filter((f) => f.module === undefined).map((f) => f.key);
  const moduleNames = SUGGESTED_MODULE_NAMES.filter((n) => ctx.findModule(n) !== undefined);

  for (const key of unknown) {
    const at = [...path, key];
    const asKeyword = closestName(key, keywords);
    if (modules.length > 0 || (asKeyword !== undefined && closestName(key, moduleNames) === undefined)) {
      d.error('playbook.unknown-keyword', `unknown task keyword "${key}"${didYouMean(key, keywords)}`, positionOf(src, at, 'key'), at);
    } else {
      d.error('playbook.unknown-module', `unknown module "${key}"${didYouMean(shortName(key), moduleNames)}`, positionOf(src, at, 'key'), at);
    }
    broken = true;
  }
  if (modules.length > 1) {
    const at = [...path, modules[1]!.key];
    d.error('playbook.schema', `a task has exactly one module, this one has ${modules.map((m) => `"${m.key}"`).join(' and ')}`, positionOf(src, at, 'key'), at);
    return undefined;
  }
  if (modules.length === 0) {
    if (unknown.length === 0 && !broken) {
      d.error('playbook.schema', `the task names no module (one of ${moduleNames.join(', ')})`, positionOf(src, path), path);
    }
    return undefined;
  }
  const { key: moduleKey, module } = modules[0]!;

  const argsKeyword = raw['args'] as Record<string, unknown> | undefined;
  const parsed = parseModuleArgs(module, raw[moduleKey], argsKeyword);
  const argsPath = [...path, moduleKey];
  if (parsed.problem) {
    d.error('playbook.module-args', `${moduleKey}: ${parsed.problem}`, positionOf(src, argsPath), argsPath);
    broken = true;
  } else {
    const validate = compileSchema(module.argsSchema);
    const before = d.list.length;
    validateAgainst(validate, parsed.args, src, d, { codePrefix: 'playbook', basePath: argsPath, allowTemplates: true });
    for (const diag of d.list.slice(before)) {
      if (diag.code === 'playbook.schema') diag.code = 'playbook.module-args';
      diag.message = `${module.name}: ${diag.message}`;
    }
    if (d.list.length > before) broken = true;
  }
  if (broken) return undefined;

  const loop = raw['loop'] !== undefined ? raw['loop'] : withItems(raw['with_items']);
  if (raw['loop'] !== undefined && raw['with_items'] !== undefined) {
    d.error('playbook.schema', 'use either "loop" or "with_items", not both', positionOf(src, [...path, 'with_items'], 'key'), [...path, 'with_items']);
    return undefined;
  }
  const loopControl = raw['loop_control'] as { loop_var?: string } | undefined;
  const spec: TaskSpec = {
    name: typeof raw['name'] === 'string' && raw['name'] !== '' ? raw['name'] : moduleKey,
    module: module.name,
    args: parsed.args,
    when: conditions(raw['when']) ?? [],
    loopVar: loopControl?.loop_var ?? 'item',
    tags: [...new Set([...ctx.playTags, ...tags(raw['tags'])])],
    notify: names(raw['notify']),
    ignoreErrors: raw['ignore_errors'] === true,
    vars: (raw['vars'] as Vars | null | undefined) ?? {},
    position: positionOf(src, path),
  };
  if (loop !== undefined) spec.loop = loop;
  if (typeof raw['become'] === 'boolean') spec.become = raw['become'];
  const becomeUser = (raw['become_user'] as string | undefined) ?? ctx.playBecomeUser;
  if (becomeUser !== undefined) spec.becomeUser = becomeUser;
  if (typeof raw['register'] === 'string') spec.register = raw['register'];
  if (typeof raw['timeout'] === 'number') spec.timeoutS = raw['timeout'];
  if (typeof raw['check_mode'] === 'boolean') spec.checkMode = raw['check_mode'];
  const changedWhen = conditions(raw['changed_when']);
  if (changedWhen) spec.changedWhen = changedWhen;
  const failedWhen = conditions(raw['failed_when']);
  if (failedWhen) spec.failedWhen = failedWhen;
  return { spec, path, moduleKey, moduleObject: module };
}

/** `with_items` flattens one level, as Ansible does; a templated list is flattened by nobody (documented). */
function withItems(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** when / changed_when / failed_when: one or more Jinja expressions, without the braces Ansible tolerates. */
function conditions(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    const text = String(v).trim();
    const braced = /^\{\{([\s\S]*)\}\}$/.exec(text);
    return braced && !braced[1]!.includes('}}') ? braced[1]!.trim() : text;
  });
}

function names(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function tags(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return (value as unknown[]).map(String);
}

export function playTags(value: unknown): string[] {
  return tags(value);
}

function shortName(key: string): string {
  const dot = key.lastIndexOf('.');
  return dot >= 0 ? key.slice(dot + 1) : key;
}
