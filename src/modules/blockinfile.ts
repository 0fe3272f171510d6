// ansible.builtin.blockinfile, with ansible-core's algorithm: the block sits
// between two marker lines ("# {mark} ANSIBLE MANAGED BLOCK" with BEGIN/END);
// an existing block is replaced in place, else the block goes after the last
// insertafter match (or before the last insertbefore match), else at EOF;
// an empty block or state=absent removes it.
//
// Not supported (the schema refuses them): backup, validate,
// append_newline/prepend_newline. Symbolic links at `path` are refused.

import { posix } from 'node:path';
import type { Change, Module, ModulePlan, Probe } from '../core/types.js';
import { ModuleArgError, bool, choice, optionalString, requiredAliased, type Args } from './shared/args.js';
import { inPlaceEditProbes, planAttrsOnly, planWrite, unchangedNote, type WritePlan } from './shared/content.js';
import { readAttrs, type WantedAttrs } from './shared/file-attrs.js';
import { compilePythonRegex, fromByteString, toByteString } from './shared/python-regex.js';
import { argsObject, boolArg, enumArg, fileAttrArgs, requireOneOf, stringArg, textArg } from './shared/schema.js';

const PATH_KEYS = ['path', 'dest', 'destfile', 'name'] as const;
const DEFAULT_MARKER = '# {mark} ANSIBLE MANAGED BLOCK';

interface BlockArgs {
  path: string;
  present: boolean;
  block: string;
  marker: string;
  markerBegin: string;
  markerEnd: string;
  insertafter?: string;
  insertbefore?: string;
  create: boolean;
  attrs: WantedAttrs;
}

function parse(args: Args): BlockArgs {
  const a: BlockArgs = {
    path: requiredAliased(args, PATH_KEYS),
    present: choice(args, 'state', ['present', 'absent'] as const, 'present') === 'present',
    block: toByteString(optionalString(args, 'block') ?? optionalString(args, 'content') ?? ''),
    marker: toByteString(optionalString(args, 'marker') ?? DEFAULT_MARKER),
    markerBegin: toByteString(optionalString(args, 'marker_begin') ?? 'BEGIN'),
    markerEnd: toByteString(optionalString(args, 'marker_end') ?? 'END'),
    create: bool(args, 'create', false),
    attrs: readAttrs(args),
  };
  const after = optionalString(args, 'insertafter');
  const before = optionalString(args, 'insertbefore');
  if (after !== undefined && before !== undefined) throw new ModuleArgError('insertafter and insertbefore are mutually exclusive');
  if (after !== undefined) a.insertafter = after;
  if (before !== undefined) a.insertbefore = before;
  return a;
}

export const blockinfile: Module = {
  name: 'blockinfile',
  aliases: ['ansible.builtin.blockinfile', 'ansible.legacy.blockinfile'],
  argsSchema: argsObject(
    {
      path: textArg,
      dest: textArg,
      destfile: textArg,
      name: textArg,
      state: enumArg(['present', 'absent']),
      block: stringArg,
      content: stringArg,
      marker: stringArg,
      marker_begin: stringArg,
      marker_end: stringArg,
      insertafter: stringArg,
      insertbefore: stringArg,
      create: boolArg,
      ...fileAttrArgs,
    },
    requireOneOf(PATH_KEYS),
  ),

  probes(args: Args): Probe[] {
    return inPlaceEditProbes(parse(args).path);
  },

  plan(args: Args, facts, ctx): ModulePlan {
    const a = parse(args);
    const fact = facts.file(a.path);
    if (fact.exists && fact.type !== 'file') return { changes: [], failed: `Path ${a.path} is a ${fact.type} !` };
    if (!fact.exists && !a.create) return { changes: [], failed: `Path ${a.path} does not exist !` };
    if (!a.present && !fact.exists) return { changes: [], note: `in sync: File ${a.path} not present` };
    const original = fact.exists ? (fact.content ?? Buffer.alloc(0)).toString('latin1') : undefined;
    const edited = editBlock(a, original);
    const plan: WritePlan =
      fact.exists && original === edited.text
        ? planAttrsOnly(a.path, fact, a.attrs, [])
        : planWrite({ path: a.path, content: fromByteString(edited.text), fact, attrs: a.attrs, ctx });
    const changes: Change[] = [];
    if (plan.change) {
      if (original !== edited.text) plan.change.summary += ` (${edited.msg})`;
      if (!fact.exists && !facts.file(posix.dirname(a.path)).exists) plan.change.steps.unshift({ kind: 'mkdir', path: posix.dirname(a.path) });
      changes.push(plan.change);
    }
    const note = plan.change ? plan.note : unchangedNote(a.present ? 'in sync: the block is present as wanted' : 'in sync: there is no block to remove', a.attrs);
    return { changes, ...(note !== undefined ? { note } : {}) };
  },
};

/** The file's text after the edit (binary strings), and Ansible's msg. */
export function editBlock(a: BlockArgs, original: string | undefined): { text: string; msg: string } {
  const eol = '\n';
  const lines = original === undefined ? [] : splitLinesKeepEnds(original);
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertbefore === undefined && insertafter === undefined) insertafter = 'EOF';
  const insertre =
    insertafter !== undefined && insertafter !== 'EOF'
      ? compilePythonRegex(insertafter, 'insertafter')
      : insertbefore !== undefined && insertbefore !== 'BOF'
        ? compilePythonRegex(insertbefore, 'insertbefore')
        : undefined;
  const marker0 = a.marker.split('{mark}').join(a.markerBegin) + eol;
  const marker1 = a.marker.split('{mark}').join(a.markerEnd) + eol;
  let blockLines: string[] = [];
  if (a.present && a.block !== '') {
    const block = a.block.endsWith(eol) ? a.block : a.block + eol;
    blockLines = [marker0, ...splitLinesKeepEnds(block), marker1];
  }
  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((line, i) => {
    if (line === marker0) n0 = i;
    if (line === marker1) n1 = i;
  });
  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (insertre) {
      if (insertre.multiline) {
        const m = insertre.re.exec(original ?? '');
        if (m) n0 = countNewlines(original ?? '', insertafter !== undefined ? m.index + m[0].length : m.index);
      } else {
        lines.forEach((line, i) => {
          if (insertre.re.test(line)) n0 = i;
        });
      }
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) {
      n0 = 0;
    } else {
      n0 = lines.length;
    }
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }
  if (n0 > 0 && !lines[n0 - 1]!.endsWith(eol)) lines[n0 - 1] += eol;
  lines.splice(n0, 0, ...blockLines);
  const text = lines.join('');
  let msg = '';
  if (original === undefined) msg = 'File created';
  else if (text !== original) msg = blockLines.length === 0 ? 'Block removed' : 'Block inserted';
  return { text, msg };
}

/** Python's bytes.splitlines(keepends=True): "\n", "\r\n" and "\r" end a line. */
function splitLinesKeepEnds(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (text[i] === '\n') n++;
  return n;
}
