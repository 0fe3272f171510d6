// Mode, owner and group as every file module takes them, and the comparison
// that decides whether an existing path needs an `attrs` step.

import type { FileFact, Step } from '../../core/types.js';
import { optionalString, type Args } from './args.js';
import { formatMode, parseModeSpec, resolveMode, type ModeSpec } from './mode.js';

export type ExistingFile = Extract<FileFact, { exists: true }>;

export interface WantedAttrs {
  mode?: ModeSpec;
  owner?: string;
  group?: string;
}

export function readAttrs(args: Args): WantedAttrs {
  const out: WantedAttrs = {};
  const mode = parseModeSpec(args.mode);
  if (mode !== undefined) out.mode = mode;
  const owner = optionalString(args, 'owner');
  if (owner !== undefined) out.owner = owner;
  const group = optionalString(args, 'group');
  if (group !== undefined) out.group = group;
  return out;
}

/** Owners are names, or numeric ids given as text ("0"). */
export function ownerMatches(fact: ExistingFile, owner: string): boolean {
  return /^\d+$/.test(owner) ? fact.uid === Number(owner) || fact.owner === owner : fact.owner === owner;
}

export function groupMatches(fact: ExistingFile, group: string): boolean {
  return /^\d+$/.test(group) ? fact.gid === Number(group) || fact.group === group : fact.group === group;
}

export interface AttrsDelta {
  /** Only the attributes that differ. */
  set: { mode?: number; owner?: string; group?: string };
  /** "set mode 0640 (was 0644)", "owner www-data (was root)". */
  parts: string[];
}

export function attrsDelta(fact: ExistingFile, want: WantedAttrs): AttrsDelta {
  const delta: AttrsDelta = { set: {}, parts: [] };
  if (want.mode !== undefined) {
    const mode = resolveMode(want.mode, fact.mode, fact.type === 'directory');
    if (mode !== fact.mode) {
      delta.set.mode = mode;
      delta.parts.push(`mode ${formatMode(mode)} (was ${formatMode(fact.mode)})`);
    }
  }
  if (want.owner !== undefined && !ownerMatches(fact, want.owner)) {
    delta.set.owner = want.owner;
    delta.parts.push(`owner ${want.owner} (was ${fact.owner})`);
  }
  if (want.group !== undefined && !groupMatches(fact, want.group)) {
    delta.set.group = want.group;
    delta.parts.push(`group ${want.group} (was ${fact.group})`);
  }
  return delta;
}

export function isEmptyDelta(delta: AttrsDelta): boolean {
  return delta.parts.length === 0;
}

/** "set mode 0640 (was 0644) and owner www-data (was root)". */
export function describeDelta(delta: AttrsDelta): string {
  return `set ${joinWords(delta.parts)}`;
}

export function attrsStep(path: string, delta: AttrsDelta): Step {
  return { kind: 'attrs', path, ...delta.set };
}

/** Attributes for a new path: what the task asks, resolved against the default a new path gets. */
export function newPathAttrs(want: WantedAttrs, defaultMode: number, isDirectory: boolean): { mode?: number; owner?: string; group?: string } {
  const out: { mode?: number; owner?: string; group?: string } = {};
  if (want.mode !== undefined) out.mode = resolveMode(want.mode, defaultMode, isDirectory);
  if (want.owner !== undefined) out.owner = want.owner;
  if (want.group !== undefined) out.group = want.group;
  return out;
}

/** "in sync: content, mode and owner match" — which attributes were checked. */
export function checkedWords(want: WantedAttrs, first: string[] = []): string {
  const words = [...first];
  if (want.mode !== undefined) words.push('mode');
  if (want.owner !== undefined) words.push('owner');
  if (want.group !== undefined) words.push('group');
  return joinWords(words);
}

export function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
