// Ansible's lineinfile/blockinfile compile the user's regexp with Python's
// `re` and search bytes. JavaScript's RegExp is close; these are the
// differences that matter for config-file patterns, translated:
//   - Python's `$` (without MULTILINE) also matches before a final "\n", and
//     lines are searched with their newline: `foo$` must match "foo\n".
//   - `(?P<name>…)`, `(?P=name)`, `\A`, `\Z`, leading inline flags `(?im…)`.
// Text is handled as "binary strings" (one char per byte, latin1), as Python
// handles bytes, so files that are not UTF-8 survive untouched.

import { ModuleArgError } from './args.js';

/** A UTF-8 string (an argument) as its bytes, one char per byte. */
export function toByteString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export function fromByteString(bytes: string): Buffer {
  return Buffer.from(bytes, 'latin1');
}

export interface PyRegex {
  re: RegExp;
  multiline: boolean;
}

export function compilePythonRegex(pattern: string, argName: string): PyRegex {
  let source = toByteString(pattern);
  let flags = '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const f of inline[1]!) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  const multiline = flags.includes('m');
  try {
    return { re: new RegExp(translate(source, multiline), flags), multiline };
  } catch (err) {
    throw new ModuleArgError(`${argName} ${JSON.stringify(pattern)} is not a valid regular expression: ${(err as Error).message}`);
  }
}

function translate(source: string, multiline: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      i++;
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') out += '(?![\\s\\S])';
      else out += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A "]" right after "[" or "[^" is a literal in both dialects.
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') out += `\\${source[++i]}`;
      continue;
    }
    if (c === '$' && !multiline) {
      out += '(?=\\n?(?![\\s\\S]))';
      continue;
    }
    if (source.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    const backref = /^\(\?P=(\w+)\)/.exec(source.slice(i));
    if (backref) {
      out += `\\k<${backref[1]}>`;
      i += backref[0].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\' };

/** Python's match.expand(template): \1, \g<1>, \g<name>, and the usual escapes. */
export function expandMatch(match: RegExpExecArray, template: string): string {
  let out = '';
  const group = (ref: string): string => {
    const value = /^\d+$/.test(ref) ? match[Number(ref)] : match.groups?.[ref];
    if (value === undefined && !(/^\d+$/.test(ref) ? Number(ref) < match.length : match.groups && ref in match.groups)) {
      throw new ModuleArgError(`line refers to group ${ref}, which the regexp does not have`);
    }
    return value ?? '';
  };
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    const named = /^g<(\w+)>/.exec(rest);
    const numbered = /^(\d{1,2})/.exec(rest);
    if (named) {
      out += group(named[1]!);
      i += named[0].length;
    } else if (numbered && numbered[1] !== '0' && !numbered[1]!.startsWith('0')) {
      out += group(numbered[1]!);
      i += numbered[1]!.length;
    } else if (rest[0] !== undefined && rest[0] in ESCAPES) {
      out += ESCAPES[rest[0]]!;
      i += 1;
    } else {
      out += c;
    }
  }
  return out;
}
