// Planning "this path should hold exactly these bytes, with these attributes":
// shared by copy, template, lineinfile, blockinfile and authorized_key. One
// change at most: a put when the content differs (it sets the attributes in
// the same atomic write), else an attrs step when only attributes differ.

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Change, Diff, FileFact, ModuleContext, Probe } from '../../core/types.js';
import { DEFAULT_FILE_MODE } from '../../facts/model.js';
import { attrsDelta, attrsStep, checkedWords, describeDelta, isEmptyDelta, newPathAttrs, type WantedAttrs } from './file-attrs.js';

/**
 * Above this size copy and template compare files by sha256 and show no text
 * diff: reading and diffing megabytes of a recording or a firmware image
 * would only slow every plan down.
 */
export const LARGE_FILE_BYTES = 256 * 1024;

export interface WritePlan {
  change?: Change;
  /** Why nothing changes, or a remark (binary content has no diff). */
  note?: string;
}

export interface WriteRequest {
  path: string;
  content: Buffer;
  /** The path's fact: absent or a regular file (callers refuse directories and links first). */
  fact: FileFact;
  attrs: WantedAttrs;
  ctx: ModuleContext;
}

export function planWrite(req: WriteRequest): WritePlan {
  const { path, content, fact, attrs, ctx } = req;
  const large = content.length > LARGE_FILE_BYTES || (fact.exists && fact.type === 'file' && fact.size > LARGE_FILE_BYTES);
  const binary = !large && (isBinary(content) || (fact.exists && fact.content !== undefined && isBinary(fact.content)));
  const note = binary ? 'binary content: no diff shown' : undefined;
  if (!fact.exists) {
    const change: Change = {
      action: 'create',
      target: path,
      summary: `create ${path}`,
      steps: [{ kind: 'put', path, content, ...newPathAttrs(attrs, DEFAULT_FILE_MODE, false) }],
    };
    if (large) change.diff = largeDiff(0, content.length, path);
    else if (!binary) change.diff = textDiff('', content.toString('utf8'), path, ctx);
    return note ? { change, note } : { change };
  }
  const delta = attrsDelta(fact, attrs);
  if (!sameContent(fact, content)) {
    const change: Change = {
      action: 'update',
      target: path,
      summary: isEmptyDelta(delta) ? `update ${path}` : `update ${path} and ${describeDelta(delta)}`,
      steps: [{ kind: 'put', path, content, ...delta.set }],
    };
    if (large) change.diff = largeDiff(fact.size, content.length, path);
    else if (!binary) change.diff = textDiff(fact.content?.toString('utf8') ?? '(previous content not read)\n', content.toString('utf8'), path, ctx);
    return note ? { change, note } : { change };
  }
  if (!isEmptyDelta(delta)) {
    return { change: { action: 'update', target: path, summary: `${describeDelta(delta)} on ${path}`, steps: [attrsStep(path, delta)] } };
  }
  return { note: `in sync: ${checkedWords(attrs, ['content'])} match` };
}

/** An attributes-only plan for a path whose content the module leaves alone. */
export function planAttrsOnly(path: string, fact: Extract<FileFact, { exists: true }>, attrs: WantedAttrs, first: string[]): WritePlan {
  const delta = attrsDelta(fact, attrs);
  if (isEmptyDelta(delta)) return { note: `in sync: ${checkedWords(attrs, first)} match` };
  return { change: { action: 'update', target: path, summary: `${describeDelta(delta)} on ${path}`, steps: [attrsStep(path, delta)] } };
}

/** Why an edit changes nothing, with the attributes that were checked. */
export function unchangedNote(why: string | undefined, attrs: WantedAttrs): string {
  const checked = checkedWords(attrs);
  return `${why ?? 'in sync'}${checked ? `; ${checked} match` : ''}`;
}

export function textDiff(before: string, after: string, path: string, ctx: ModuleContext): Diff {
  const diff: Diff = { before, after, beforeHeader: `${path} (before)`, afterHeader: `${path} (after)` };
  if (ctx.containsSecret(before) || ctx.containsSecret(after)) diff.sensitive = true;
  return diff;
}

/** A change of content too large to show as text: its sizes only. */
function largeDiff(beforeBytes: number, afterBytes: number, path: string): Diff {
  return { before: '', after: '', beforeHeader: `${path} (before)`, afterHeader: `${path} (after)`, omitted: `content differs (${beforeBytes} bytes -> ${afterBytes} bytes)` };
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function sameContent(fact: Extract<FileFact, { exists: true }>, content: Buffer): boolean {
  if (fact.content !== undefined) return fact.content.equals(content);
  return fact.sha256 !== undefined && fact.sha256 === sha256(content);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text diffs only make sense for text: a NUL byte or invalid UTF-8 means binary. */
export function isBinary(content: Buffer): boolean {
  if (content.includes(0)) return true;
  try {
    utf8.decode(content);
    return false;
  } catch {
    return true;
  }
}

/** Python's readlines(): split after each "\n", keeping it. */
export function readLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

/**
 * What a module that edits a file in place (lineinfile, blockinfile) must know:
 * the file with its content, and its directory (for `create`).
 */
export function inPlaceEditProbes(path: string): Probe[] {
  return [
    { kind: 'file', path, content: true },
    { kind: 'file', path: posix.dirname(path) },
  ];
}
