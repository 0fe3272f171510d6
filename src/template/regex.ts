// Python `re` patterns and replacements in JavaScript's RegExp. Ansible's
// regex filters take Python syntax: named groups (?P<n>…), back-references
// \1 and \g<n> in replacements, inline flags like (?i) at the start.

import { TemplateError } from './errors.js';

export function pythonRegex(pattern: string, flags: { ignorecase?: boolean; multiline?: boolean; global?: boolean } = {}): RegExp {
  let source = pattern;
  let f = '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const c of inline[1]!) if ('ims'.includes(c) && !f.includes(c)) f += c;
  }
  if (flags.ignorecase && !f.includes('i')) f += 'i';
  if (flags.multiline && !f.includes('m')) f += 'm';
  if (flags.global) f += 'g';
  source = source
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  try {
    return new RegExp(source, f);
  } catch (err) {
    throw new TemplateError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

/** A Python re.sub replacement as a JavaScript replacer function. */
export function pythonReplacement(replacement: string): (match: string, ...rest: unknown[]) => string {
  return (match, ...rest) => {
    const last = rest[rest.length - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : {};
    const groups = rest.slice(0, typeof last === 'object' && last !== null ? -3 : -2) as (string | undefined)[];
    const group = (ref: string): string => {
      if (/^\d+$/.test(ref)) {
        const n = Number(ref);
        if (n === 0) return match;
        if (n > groups.length) throw new TemplateError(`invalid group reference ${n} in replacement`);
        return groups[n - 1] ?? '';
      }
      if (!(ref in named)) throw new TemplateError(`unknown group name '${ref}' in replacement`);
      return named[ref] ?? '';
    };
    return replacement.replace(/\\(g<([^>]+)>|\d{1,2}|n|t|r|\\|[\s\S])/g, (whole, esc: string, gname: string | undefined) => {
      if (gname !== undefined) return group(gname);
      if (/^\d/.test(esc)) return group(esc);
      if (esc === 'n') return '\n';
      if (esc === 't') return '\t';
      if (esc === 'r') return '\r';
      if (esc === '\\') return '\\';
      return whole;
    });
  };
}
