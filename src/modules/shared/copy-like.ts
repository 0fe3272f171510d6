// What copy and template share: where the bytes go (dest, or dest/basename(src)
// when dest is a directory or ends with "/"), `force: no`, the parent
// directory check, and the write itself.

import { posix } from 'node:path';
import type { Change, Facts, ModuleContext, ModulePlan, Probe } from '../../core/types.js';
import { LARGE_FILE_BYTES, planWrite } from './content.js';
import type { WantedAttrs } from './file-attrs.js';
import { newPathAttrs } from './file-attrs.js';
import { DEFAULT_FILE_MODE } from '../../facts/model.js';

export interface CopyTarget {
  dest: string;
  /** Basename used when dest is a directory; absent for inline content (which cannot go into a directory). */
  srcName?: string;
  force: boolean;
  attrs: WantedAttrs;
}

export function copyProbes(t: CopyTarget): Probe[] {
  const probes: Probe[] = [];
  if (t.dest.endsWith('/')) {
    if (t.srcName === undefined) return [];
    const dir = posix.normalize(t.dest);
    probes.push({ kind: 'file', path: posix.join(dir, t.srcName), content: true, contentMax: LARGE_FILE_BYTES }, { kind: 'file', path: trim(dir) });
    return probes;
  }
  probes.push({ kind: 'file', path: t.dest, content: true, contentMax: LARGE_FILE_BYTES }, { kind: 'file', path: posix.dirname(t.dest) });
  if (t.srcName !== undefined) probes.push({ kind: 'file', path: posix.join(t.dest, t.srcName), content: true, contentMax: LARGE_FILE_BYTES });
  return probes;
}

export function planCopy(t: CopyTarget, content: Buffer, facts: Facts, ctx: ModuleContext): ModulePlan {
  const trailingSlash = t.dest.endsWith('/');
  let destFile = t.dest;
  let createParents = false;
  if (trailingSlash) {
    if (t.srcName === undefined) return { changes: [], failed: 'can not use content with a dir as dest' };
    const dir = trim(posix.normalize(t.dest));
    destFile = posix.join(dir, t.srcName);
    // Ansible creates the missing directories of a "dir/" dest, like mkdir -p.
    createParents = !facts.file(dir).exists;
  } else {
    const destFact = facts.file(t.dest);
    if (destFact.exists && destFact.type === 'directory') {
      if (t.srcName === undefined) return { changes: [], failed: 'can not use content with a dir as dest' };
      destFile = posix.join(t.dest, t.srcName);
    }
  }
  const result = { dest: destFile };
  const parent = posix.dirname(destFile);
  const fact = createParents ? { exists: false as const } : facts.file(destFile);
  if (fact.exists && !t.force) return { changes: [], note: `in sync: ${destFile} exists and force is no (Ansible leaves it as it is)`, result };
  if (!createParents && !facts.file(parent).exists) return { changes: [], failed: `Destination directory ${parent} does not exist`, result };
  if (fact.exists && fact.type === 'directory') return { changes: [], failed: `${destFile} is a directory`, result };
  if (fact.exists && fact.type !== 'file') return replaceWithFile(destFile, content, fact.type, t.attrs, result);
  const write = planWrite({ path: destFile, content, fact, attrs: t.attrs, ctx });
  const changes: Change[] = [];
  if (write.change) {
    if (createParents) {
      write.change.steps.unshift({ kind: 'mkdir', path: parent, ...ownership(t.attrs) });
      write.change.summary += ` (creating ${parent})`;
    }
    changes.push(write.change);
  }
  return { changes, ...(write.note !== undefined ? { note: write.note } : {}), result };
}

/** A link or special file at dest: Ansible (follow: no) replaces it with a regular file. */
function replaceWithFile(path: string, content: Buffer, type: string, attrs: WantedAttrs, result: Record<string, unknown>): ModulePlan {
  const set = newPathAttrs(attrs, DEFAULT_FILE_MODE, false);
  const change: Change = {
    action: 'update',
    target: path,
    summary: `replace ${type === 'link' ? 'symbolic link' : 'special file'} ${path} with a regular file`,
    steps: [{ kind: 'put', path, content, mode: set.mode ?? DEFAULT_FILE_MODE, owner: set.owner ?? 'root', group: set.group ?? 'root' }],
  };
  return { changes: [change], result };
}

/** Directories Ansible creates for copy get the task's owner and group, but not its mode. */
function ownership(attrs: WantedAttrs): { owner?: string; group?: string } {
  const out: { owner?: string; group?: string } = {};
  if (attrs.owner !== undefined) out.owner = attrs.owner;
  if (attrs.group !== undefined) out.group = attrs.group;
  return out;
}

function trim(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
