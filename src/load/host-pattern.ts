// Ansible host patterns: `all`, `*`, a group, a host, globs (`web*`),
// `~regex`, unions (`a:b`, `a,b`), intersections (`a:&b`) and exclusions
// (`a:!b`). As in Ansible, unions are taken first, then intersections, then
// exclusions, whatever their order in the pattern. The result keeps
// inventory order; names matching nothing give an empty match (the runner
// reports it).

import type { Inventory } from '../core/model.js';

export function selectHosts(inventory: Inventory, pattern: string): string[] {
  const terms = splitPattern(pattern);
  const union = new Set<string>();
  const intersections: Set<string>[] = [];
  const exclusions = new Set<string>();
  for (const term of terms) {
    if (term.startsWith('&')) intersections.push(matchTerm(inventory, term.slice(1)));
    else if (term.startsWith('!')) for (const h of matchTerm(inventory, term.slice(1))) exclusions.add(h);
    else for (const h of matchTerm(inventory, term)) union.add(h);
  }
  return [...inventory.hosts.keys()].filter((h) => union.has(h) && intersections.every((s) => s.has(h)) && !exclusions.has(h));
}

function splitPattern(pattern: string): string[] {
  // A comma separates terms everywhere; a colon too, except inside a `~regex` term.
  const out: string[] = [];
  for (const part of pattern.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('~')) out.push(trimmed);
    else out.push(...trimmed.split(':').map((t) => t.trim()).filter((t) => t !== ''));
  }
  return out;
}

function matchTerm(inventory: Inventory, term: string): Set<string> {
  if (term === 'all' || term === '*') return new Set(inventory.hosts.keys());
  const group = inventory.groups.get(term);
  if (group) return new Set(group);
  if (inventory.hosts.has(term)) return new Set([term]);
  const test = termMatcher(term);
  if (!test) return new Set();
  const out = new Set<string>();
  for (const [name, members] of inventory.groups) if (test(name)) for (const h of members) out.add(h);
  for (const name of inventory.hosts.keys()) if (test(name)) out.add(name);
  return out;
}

function termMatcher(term: string): ((name: string) => boolean) | undefined {
  if (term.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(term.slice(1));
    } catch {
      return undefined;
    }
    return (name) => re.test(name);
  }
  if (!/[*?[]/.test(term)) return undefined;
  const re = new RegExp(`^${globToRegExp(term)}$`);
  return (name) => re.test(name);
}

function globToRegExp(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end > i + 1) {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
        i = end;
      } else out += '\\[';
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return out;
}
