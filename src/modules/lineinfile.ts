// ansible.builtin.lineinfile, with ansible-core's algorithm (present/absent
// in lib/ansible/modules/lineinfile.py), so both tools edit a file the same
// way: the LAST line matching regexp (or search_string) is replaced, unless
// firstmatch; with no match the line goes after the last insertafter match
// (or before the last insertbefore match), else at EOF; a line already
// present is left alone; backrefs with no match changes nothing; state=absent
// removes every matching line.
//
// Not supported (the schema refuses them): backup, validate, unsafe_writes.
// Symbolic links at `path` are refused: give the real path.

import { posix } from 'node:path';
import type { Change, Module, ModulePlan, Probe } from '../core/types.js';
import { ModuleArgError, bool, choice, optionalString, requiredAliased, type Args } from './shared/args.js';
import { inPlaceEditProbes, planAttrsOnly, planWrite, readLines, unchangedNote, type WritePlan } from './shared/content.js';
import { readAttrs, type WantedAttrs } from './shared/file-attrs.js';
import { compilePythonRegex, expandMatch, fromByteString, toByteString, type PyRegex } from './shared/python-regex.js';
import { argsObject, boolArg, enumArg, fileAttrArgs, requireOneOf, stringArg, textArg } from './shared/schema.js';

const PATH_KEYS = ['path', 'dest', 'destfile', 'name'] as const;

interface LineArgs {
  path: string;
  state: 'present' | 'absent';
  line?: string;
  regexp?: PyRegex;
  searchString?: string;
  insertafter?: string;
  insertbefore?: string;
  create: boolean;
  backrefs: boolean;
  firstmatch: boolean;
  attrs: WantedAttrs;
}

function parse(args: Args): LineArgs {
  const a: LineArgs = {
    path: requiredAliased(args, PATH_KEYS),
    state: choice(args, 'state', ['present', 'absent'] as const, 'present'),
    create: bool(args, 'create', false),
    backrefs: bool(args, 'backrefs', false),
    firstmatch: bool(args, 'firstmatch', false),
    attrs: readAttrs(args),
  };
  const line = optionalString(args, 'line') ?? optionalString(args, 'value');
  if (line !== undefined) a.line = toByteString(line);
  const regexp = optionalString(args, 'regexp') ?? optionalString(args, 'regex');
  if (regexp !== undefined) a.regexp = compilePythonRegex(regexp, 'regexp');
  const search = optionalString(args, 'search_string');
  if (search !== undefined) a.searchString = toByteString(search);
  const after = optionalString(args, 'insertafter');
  const before = optionalString(args, 'insertbefore');
  if (after !== undefined && before !== undefined) throw new ModuleArgError('insertafter and insertbefore are mutually exclusive');
  if (regexp !== undefined && search !== undefined) throw new ModuleArgError('regexp and search_string are mutually exclusive');
  if (after !== undefined) a.insertafter = after;
  if (before !== undefined) a.insertbefore = before;
  if (a.state === 'present') {
    if (a.line === undefined) throw new ModuleArgError('line is required with state=present');
    if (a.backrefs && a.regexp === undefined) throw new ModuleArgError('regexp is required with backrefs=true');
  } else if (a.regexp === undefined && a.searchString === undefined && a.line === undefined) {
    throw new ModuleArgError('one of line, regexp or search_string is required with state=absent');
  }
  if (regexp === '') throw new ModuleArgError('regexp is an empty string: it would match every line');
  if (search === '') throw new ModuleArgError('search_string is an empty string: it would match every line');
  return a;
}

export const lineinfile: Module = {
  name: 'lineinfile',
  aliases: ['ansible.builtin.lineinfile', 'ansible.legacy.lineinfile'],
  argsSchema: argsObject(
    {
      path: textArg,
      dest: textArg,
      destfile: textArg,
      name: textArg,
      state: enumArg(['present', 'absent']),
      line: textArg,
      value: textArg,
      regexp: stringArg,
      regex: stringArg,
      search_string: stringArg,
      insertafter: stringArg,
      insertbefore: stringArg,
      create: boolArg,
      backrefs: boolArg,
      firstmatch: boolArg,
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
    if (fact.exists && fact.type !== 'file') return { changes: [], failed: `${a.path} is a ${fact.type}, not a regular file` };
    if (!fact.exists) {
      if (a.state === 'absent') return { changes: [], note: `in sync: ${a.path} does not exist (file not present)` };
      if (!a.create) return { changes: [], failed: `Destination ${a.path} does not exist !` };
    }
    const before = fact.exists ? (fact.content ?? Buffer.alloc(0)).toString('latin1') : '';
    const lines = readLines(before);
    const edit = a.state === 'present' ? present(a, lines) : absent(a, lines);
    const write = fromByteString(edit.lines.join(''));
    const plan: WritePlan =
      fact.exists && !edit.changed ? planAttrsOnly(a.path, fact, a.attrs, []) : planWrite({ path: a.path, content: write, fact, attrs: a.attrs, ctx });
    const changes: Change[] = [];
    if (plan.change) {
      plan.change.summary = `${plan.change.summary}${edit.changed ? ` (${edit.msg})` : ''}`;
      if (!fact.exists && !facts.file(posix.dirname(a.path)).exists) {
        // Ansible's create makes missing parent directories (default mode).
        plan.change.steps.unshift({ kind: 'mkdir', path: posix.dirname(a.path) });
      }
      changes.push(plan.change);
    }
    const note = plan.change ? plan.note : unchangedNote(edit.why, a.attrs);
    return { changes, ...(note !== undefined ? { note } : {}) };
  },
};

interface Edit {
  lines: string[];
  changed: boolean;
  /** Ansible's msg: "line added", "line replaced", "2 line(s) removed". */
  msg: string;
  /** Why nothing changed, when that needs saying. */
  why?: string;
}

function present(a: LineArgs, input: string[]): Edit {
  const lines = [...input];
  const line = a.line!;
  const eol = '\n';
  const ins = a.insertafter !== undefined && a.insertafter !== 'BOF' && a.insertafter !== 'EOF'
    ? compilePythonRegex(a.insertafter, 'insertafter')
    : a.insertbefore !== undefined && a.insertbefore !== 'BOF'
      ? compilePythonRegex(a.insertbefore, 'insertbefore')
      : undefined;
  let found = -1;
  let insertAt = -1;
  let match: RegExpExecArray | null = null;
  let matched = false;
  if (a.regexp) {
    for (let i = 0; i < lines.length; i++) {
      const m = a.regexp.re.exec(lines[i]!);
      if (m) {
        found = i;
        match = m;
        matched = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (a.searchString !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.includes(a.searchString)) {
        found = i;
        matched = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (!matched) {
    for (let i = 0; i < lines.length; i++) {
      if (stripEol(lines[i]!) === line) {
        found = i;
      } else if (ins && ins.re.test(lines[i]!)) {
        if (a.insertafter !== undefined) {
          insertAt = i + 1;
          if (a.firstmatch) break;
        }
        if (a.insertbefore !== undefined) {
          insertAt = i;
          if (a.firstmatch) break;
        }
      }
    }
  }
  const added = (): Edit => ({ lines, changed: true, msg: 'line added' });
  const unchanged = (why: string): Edit => ({ lines, changed: false, msg: '', why });

  if (found !== -1) {
    let newLine = a.backrefs && match ? expandMatch(match, line) : line;
    if (!newLine.endsWith(eol)) newLine += eol;
    if (lines[found] !== newLine) {
      lines[found] = newLine;
      return { lines, changed: true, msg: 'line replaced' };
    }
    return unchanged(matched ? `in sync: the line matching the regexp already reads as wanted` : 'in sync: the line is present');
  }
  if (a.backrefs) return unchanged('in sync: backrefs is set and no line matches regexp, so nothing is written (as Ansible)');
  if (a.insertbefore === 'BOF' || a.insertafter === 'BOF') {
    lines.unshift(line + eol);
    return added();
  }
  if (a.insertafter === 'EOF' || insertAt === -1) {
    const last = lines[lines.length - 1];
    if (last !== undefined && !last.endsWith('\n') && !last.endsWith('\r')) lines.push(eol);
    lines.push(line + eol);
    return added();
  }
  if (a.insertafter !== undefined) {
    if (lines.length === insertAt) {
      if (stripEol(lines[insertAt - 1]!) !== line) {
        lines.push(line + eol);
        return added();
      }
      return unchanged('in sync: the line is present after the insertafter match');
    }
    if (line !== stripEol(lines[insertAt]!)) {
      lines.splice(insertAt, 0, line + eol);
      return added();
    }
    return unchanged('in sync: the line is present after the insertafter match');
  }
  lines.splice(insertAt, 0, line + eol);
  return added();
}

function absent(a: LineArgs, input: string[]): Edit {
  const kept: string[] = [];
  let removed = 0;
  for (const l of input) {
    const hit = a.regexp ? a.regexp.re.test(l) : a.searchString !== undefined ? l.includes(a.searchString) : stripEol(l) === a.line;
    if (hit) removed++;
    else kept.push(l);
  }
  if (removed === 0) return { lines: kept, changed: false, msg: '', why: 'in sync: no line matches, nothing to remove' };
  return { lines: kept, changed: true, msg: `${removed} line(s) removed` };
}

function stripEol(l: string): string {
  return l.replace(/[\r\n]+$/, '');
}
