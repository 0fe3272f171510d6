// ansible.builtin.file: a path's type (file, directory, link, absent, touch)
// and attributes. Ansible's semantics: state=file never creates (it fails on
// a missing path), state=directory creates missing parents with the same
// attributes, a link replaces a file or an empty directory only with force,
// touch always reports a change (it updates the times), and without `state`
// the path keeps its current type.
//
// Not supported (the schema refuses them): recurse, follow, hard links,
// access/modification times. On symbolic links, state=file/directory does
// not follow the link, and mode/owner/group with state=link are refused:
// Ansible would apply them to the link's target.

import type { Change, FileFact, Module, ModulePlan, Probe } from '../core/types.js';
import { DEFAULT_DIR_MODE, DEFAULT_FILE_MODE } from '../facts/model.js';
import { ModuleArgError, bool, choice, optionalString, requiredAliased, type Args } from './shared/args.js';
import { planAttrsOnly } from './shared/content.js';
import { attrsDelta, describeDelta, isEmptyDelta, newPathAttrs, readAttrs, type ExistingFile, type WantedAttrs } from './shared/file-attrs.js';
import { ancestors, linkTargetPath, stripTrailingSlash } from './shared/paths.js';
import { argsObject, boolArg, enumArg, fileAttrArgs, requireOneOf, textArg } from './shared/schema.js';

const STATES = ['file', 'directory', 'absent', 'link', 'touch'] as const;
type State = (typeof STATES)[number];
const PATH_KEYS = ['path', 'dest', 'name'] as const;

interface FileArgs {
  path: string;
  state?: State;
  src?: string;
  force: boolean;
  attrs: WantedAttrs;
}

function parse(args: Args): FileArgs {
  const parsed: FileArgs = {
    path: stripTrailingSlash(requiredAliased(args, PATH_KEYS)),
    force: bool(args, 'force', false),
    attrs: readAttrs(args),
  };
  const state = choice(args, 'state', STATES);
  if (state !== undefined) parsed.state = state;
  const src = optionalString(args, 'src');
  if (src !== undefined) {
    if (state !== 'link') throw new ModuleArgError(`src requires state=link (state is ${state ?? 'not set'})`);
    parsed.src = src;
  }
  if (state === 'link' && src === undefined) throw new ModuleArgError('state=link requires src');
  return parsed;
}

export const file: Module = {
  name: 'file',
  aliases: ['ansible.builtin.file', 'ansible.legacy.file'],
  argsSchema: argsObject(
    {
      path: textArg,
      dest: textArg,
      name: textArg,
      state: enumArg(STATES),
      src: textArg,
      force: boolArg,
      ...fileAttrArgs,
    },
    requireOneOf(PATH_KEYS),
  ),

  probes(args: Args): Probe[] {
    const a = parse(args);
    const probes: Probe[] = [{ kind: 'file', path: a.path }];
    if (a.state === 'directory') for (const dir of ancestors(a.path)) probes.push({ kind: 'file', path: dir });
    if (a.src !== undefined && !a.force) probes.push({ kind: 'file', path: linkTargetPath(a.path, a.src) });
    return probes;
  },

  plan(args: Args, facts): ModulePlan {
    const a = parse(args);
    const fact = facts.file(a.path);
    const state: State = a.state ?? (fact.exists ? currentState(fact) : 'file');
    const result = { path: a.path, state };
    const out = (plan: { change?: Change; note?: string; failed?: string }): ModulePlan => ({
      changes: plan.change ? [plan.change] : [],
      ...(plan.note !== undefined ? { note: plan.note } : {}),
      ...(plan.failed !== undefined ? { failed: plan.failed } : {}),
      result,
    });
    switch (state) {
      case 'absent':
        return out(planAbsent(a.path, fact));
      case 'file':
        if (!fact.exists) return out({ failed: `file (${a.path}) is absent, cannot continue: state=file never creates a file (use state=touch, copy or template)` });
        if (fact.type !== 'file') return out({ failed: `file (${a.path}) is ${describeType(fact)}, cannot continue` });
        return out(planAttrsOnly(a.path, fact, a.attrs, ['file']));
      case 'directory':
        return out(planDirectory(a.path, fact, a.attrs, (p) => facts.file(p)));
      case 'touch':
        return out(planTouch(a.path, fact, a.attrs));
      case 'link': {
        const srcFact = a.force ? undefined : facts.file(linkTargetPath(a.path, a.src!));
        return out(planLink(a, fact, srcFact));
      }
    }
  },
};

function currentState(fact: ExistingFile): State {
  if (fact.type === 'directory') return 'directory';
  if (fact.type === 'link') return 'link';
  return 'file';
}

function describeType(fact: ExistingFile): string {
  return fact.type === 'other' ? 'a special file' : `a ${fact.type}`;
}

function planAbsent(path: string, fact: FileFact): { change?: Change; note?: string } {
  if (!fact.exists) return { note: `in sync: ${path} is already absent` };
  const recursive = fact.type === 'directory';
  return {
    change: {
      action: 'delete',
      target: path,
      summary: recursive ? `remove directory ${path} and everything in it` : `remove ${path}`,
      steps: [{ kind: 'remove', path, recursive }],
    },
  };
}

function planDirectory(path: string, fact: FileFact, attrs: WantedAttrs, lookup: (p: string) => FileFact): { change?: Change; note?: string; failed?: string } {
  if (fact.exists) {
    if (fact.type !== 'directory') return { failed: `${path} already exists as ${describeType(fact)}` };
    return planAttrsOnly(path, fact, attrs, ['directory']);
  }
  const missingParents = ancestors(path).filter((dir) => !lookup(dir).exists);
  const blocking = ancestors(path).find((dir) => {
    const f = lookup(dir);
    return f.exists && f.type !== 'directory';
  });
  if (blocking !== undefined) return { failed: `cannot create ${path}: ${blocking} exists and is not a directory` };
  const also = missingParents.length > 0 ? ` (and ${missingParents.reverse().join(', ')})` : '';
  return {
    change: {
      action: 'create',
      target: path,
      summary: `create directory ${path}${also}`,
      steps: [{ kind: 'mkdir', path, ...newPathAttrs(attrs, DEFAULT_DIR_MODE, true) }],
    },
  };
}

function planTouch(path: string, fact: FileFact, attrs: WantedAttrs): { change?: Change; failed?: string } {
  if (!fact.exists) {
    return {
      change: { action: 'create', target: path, summary: `create empty file ${path}`, alwaysRuns: true, steps: [{ kind: 'touch', path, ...newPathAttrs(attrs, DEFAULT_FILE_MODE, false) }] },
    };
  }
  const delta = attrsDelta(fact, attrs);
  const extra = isEmptyDelta(delta) ? '' : ` and ${describeDelta(delta)}`;
  // Ansible's touch always updates the times, so it always reports a change.
  return { change: { action: 'update', target: path, summary: `touch ${path}${extra}`, alwaysRuns: true, steps: [{ kind: 'touch', path, ...delta.set }] } };
}

function planLink(a: FileArgs, fact: FileFact, srcFact: FileFact | undefined): { change?: Change; note?: string; failed?: string } {
  const src = a.src!;
  if (a.attrs.mode !== undefined || a.attrs.owner !== undefined || a.attrs.group !== undefined) {
    return { failed: 'mode, owner and group with state=link are not supported (Ansible applies them to the link target): set them on the target' };
  }
  if (srcFact !== undefined && !srcFact.exists) {
    return { failed: `src file does not exist, use 'force=yes' if you really want to create the link: ${linkTargetPath(a.path, src)}` };
  }
  const link = { kind: 'symlink' as const, path: a.path, target: src };
  if (!fact.exists) return { change: { action: 'create', target: a.path, summary: `link ${a.path} -> ${src}`, steps: [link] } };
  if (fact.type === 'link') {
    if (fact.target === src) return { note: `in sync: ${a.path} already links to ${src}` };
    return { change: { action: 'update', target: a.path, summary: `relink ${a.path} -> ${src} (was -> ${fact.target ?? '?'})`, steps: [link] } };
  }
  if (!a.force) return { failed: `refusing to convert from ${fact.type === 'other' ? 'special file' : fact.type} to symlink for ${a.path} (force=yes replaces it)` };
  if (fact.type === 'directory') {
    return {
      change: {
        action: 'update',
        target: a.path,
        summary: `replace empty directory ${a.path} with a link -> ${src}`,
        steps: [{ kind: 'remove', path: a.path, recursive: false }, link],
      },
    };
  }
  return { change: { action: 'update', target: a.path, summary: `replace ${a.path} with a link -> ${src}`, steps: [link] } };
}
