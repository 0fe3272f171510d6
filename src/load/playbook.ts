// loadPlaybook: YAML → schema (plays, then each task against its module's
// argument schema) → TaskSpecs → rules (handlers, undefined variables, src
// files). Every problem found is reported at once, located.

import { dirname, resolve } from 'node:path';
import type { Inventory, PlaySpec, Playbook, TaskSpec, Vars } from '../core/model.js';
import { InternalError } from '../core/errors.js';
import { Diagnostics, type PathSegment } from './diagnostics.js';
import { loadYamlSource, parseYamlSource, positionOf, type YamlSource } from './yaml-source.js';
import { schemaDefinition, validateAgainst } from './schema.js';
import { UNSUPPORTED_PLAY_KEYWORDS } from './playbook-keywords.js';
import { buildHandler, buildTask, playTags, type BuiltTask, type FindModule, type TaskContext } from './task-spec.js';
import { checkHandlers } from './handler-rules.js';
import { checkPlayVariables, type TemplateChecker } from './variable-check.js';
import { selectHosts } from './host-pattern.js';

export interface PlaybookLoadOptions {
  findModule: FindModule;
  /** Without it, undefined variables are not checked at load time (they still fail at run time). */
  templates?: TemplateChecker;
}

export function loadPlaybookWith(path: string, inventory: Inventory, options: PlaybookLoadOptions): Playbook {
  const d = new Diagnostics();
  const file = resolve(path);
  return playbookFrom(loadYamlSource(file, d), inventory, options, d);
}

/** The same for text in memory (tests, fuzzing); `file` names it in diagnostics and gives the base directory. */
export function parsePlaybookWith(file: string, text: string, inventory: Inventory, options: PlaybookLoadOptions): Playbook {
  const d = new Diagnostics();
  return playbookFrom(parseYamlSource(file, text, d), inventory, options, d);
}

function playbookFrom(src: YamlSource | undefined, inventory: Inventory, options: PlaybookLoadOptions, d: Diagnostics): Playbook {
  if (!src) {
    d.throwIfAny();
    throw new InternalError('no YAML source and no diagnostic');
  }
  if (!Array.isArray(src.value) || src.value.length === 0) {
    const got = src.value === null || src.value === undefined ? 'an empty document' : Array.isArray(src.value) ? 'an empty list' : 'a mapping or a scalar';
    d.error('playbook.schema', `a playbook is a list of plays (each with "hosts" and "tasks"), got ${got}`, positionOf(src, []));
    d.throwIfAny();
  }
  const plays: PlaySpec[] = [];
  let registered = new Set<string>();
  (src.value as unknown[]).forEach((raw, i) => {
    const built = buildPlay(raw, [i], src, inventory, options, d, registered);
    if (built) {
      plays.push(built.play);
      registered = built.registered;
    }
  });
  d.throwIfAny();
  return { path: src.file, plays };
}

function buildPlay(
  raw: unknown,
  path: PathSegment[],
  src: YamlSource,
  inventory: Inventory,
  options: PlaybookLoadOptions,
  d: Diagnostics,
  registeredBefore: Set<string>,
): { play: PlaySpec; registered: Set<string> } | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    d.error('playbook.schema', 'a play must be a mapping with "hosts" and "tasks"', positionOf(src, path), path);
    return undefined;
  }
  const play = raw as Record<string, unknown>;
  if ('import_playbook' in play || 'include_playbook' in play) {
    const key = 'import_playbook' in play ? 'import_playbook' : 'include_playbook';
    d.error('playbook.unsupported', `"${key}" is not supported by xivo-ha (pass several playbooks on the command line instead)`, positionOf(src, [...path, key], 'key'), [...path, key]);
    return undefined;
  }
  // Tasks are validated one by one below, so one broken task does not hide the problems of the others.
  const shallow = { ...play, tasks: Array.isArray(play['tasks']) ? [] : play['tasks'], handlers: Array.isArray(play['handlers']) ? [] : play['handlers'] };
  const playValid = validateAgainst(schemaDefinition('playbook.schema.json', 'play'), shallow, src, d, {
    codePrefix: 'playbook',
    basePath: path,
    unsupportedKeys: UNSUPPORTED_PLAY_KEYWORDS,
  });

  const hosts = Array.isArray(play['hosts']) ? play['hosts'].map(String).join(',') : typeof play['hosts'] === 'string' ? play['hosts'] : '';
  const ctx: TaskContext = { src, d, findModule: options.findModule, playTags: playTags(play['tags']) };
  if (typeof play['become_user'] === 'string') ctx.playBecomeUser = play['become_user'];

  const tasks = buildEntries(play['tasks'], [...path, 'tasks'], 'task', src, d, (t, p) => buildTask(t, p, ctx));
  const handlers = buildEntries(play['handlers'], [...path, 'handlers'], 'handler', src, d, (t, p) => buildHandler(t, p, ctx));
  if (!playValid || !tasks || !handlers) return undefined;

  checkHandlers(tasks, handlers, src, d);
  const vars = (play['vars'] as Vars | null | undefined) ?? {};
  let registered = registeredBefore;
  if (options.templates) {
    registered = checkPlayVariables({
      src,
      d,
      checker: options.templates,
      baseDir: dirname(src.file),
      playPath: path,
      inventoryNames: variableNames(inventory, hosts),
      playVars: vars,
      registeredBefore,
      tasks,
      handlers,
    });
  }

  const spec: PlaySpec = {
    name: typeof play['name'] === 'string' && play['name'] !== '' ? play['name'] : hosts,
    hosts,
    vars,
    tasks: tasks.map((t) => t.spec),
    handlers: handlers.map((h) => h.spec),
    baseDir: dirname(src.file),
    position: positionOf(src, path),
  };
  if (typeof play['become'] === 'boolean') spec.become = play['become'];
  return { play: spec, registered };
}

/** Builds each entry; returns undefined when any entry is broken (all of them still get checked). */
function buildEntries<T extends TaskSpec>(
  value: unknown,
  path: PathSegment[],
  what: 'task' | 'handler',
  src: YamlSource,
  d: Diagnostics,
  build: (raw: Record<string, unknown>, path: PathSegment[]) => BuiltTask<T> | undefined,
): BuiltTask<T>[] | undefined {
  if (!Array.isArray(value)) return [];
  const out: BuiltTask<T>[] = [];
  let ok = true;
  value.forEach((raw, j) => {
    const at = [...path, j];
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      d.error('playbook.schema', `a ${what} must be a mapping (a module and its keywords)`, positionOf(src, at), at);
      ok = false;
      return;
    }
    const before = d.list.length;
    validateAgainst(schemaDefinition('playbook.schema.json', what), raw, src, d, { codePrefix: 'playbook', basePath: at });
    if (d.list.length > before) {
      ok = false;
      return;
    }
    const built = build(raw as Record<string, unknown>, at);
    if (built) out.push(built);
    else ok = false;
  });
  return ok ? out : undefined;
}

/** Variables set on any host the play targets; every host when the pattern is templated or matches none. */
function variableNames(inventory: Inventory, pattern: string): Set<string> {
  let hosts = pattern.includes('{{') ? [] : selectHosts(inventory, pattern);
  if (hosts.length === 0) hosts = [...inventory.hosts.keys()];
  const names = new Set<string>();
  for (const h of hosts) for (const k of Object.keys(inventory.hosts.get(h)?.vars ?? {})) names.add(k);
  return names;
}
