// ansible.builtin.stat: reads a path and registers Ansible's `stat` keys
// (exists, isdir, isreg, islnk, mode as '0644', pw_name, gr_name, uid, gid,
// size, checksum, lnk_target). Never changes anything. The checksum is
// computed from the content the probe reads: sha1 as Ansible's default, or
// sha256 when checksum_algorithm says so. follow is not supported: a link is
// reported as a link.

import { createHash } from 'node:crypto';
import type { Module, ModulePlan, Probe } from '../core/types.js';
import { bool, choice, requiredAliased, type Args } from './shared/args.js';
import { formatMode } from './shared/mode.js';
import { argsObject, boolArg, enumArg, requireOneOf, textArg } from './shared/schema.js';

const PATH_KEYS = ['path', 'dest', 'name'] as const;
const ALGORITHMS = ['sha1', 'sha256'] as const;

function parse(args: Args): { path: string; checksum: boolean; algorithm: (typeof ALGORITHMS)[number] } {
  return {
    path: requiredAliased(args, PATH_KEYS),
    checksum: bool(args, 'get_checksum', true),
    algorithm: choice(args, 'checksum_algorithm', ALGORITHMS, 'sha1'),
  };
}

export const stat: Module = {
  name: 'stat',
  aliases: ['ansible.builtin.stat', 'ansible.legacy.stat'],
  argsSchema: argsObject(
    {
      path: textArg,
      dest: textArg,
      name: textArg,
      get_checksum: boolArg,
      checksum_algorithm: enumArg(ALGORITHMS),
      // Accepted because playbooks set them to speed Ansible up; they change nothing here.
      get_mime: boolArg,
      get_attributes: boolArg,
    },
    requireOneOf(PATH_KEYS),
  ),

  probes(args: Args): Probe[] {
    const a = parse(args);
    return [{ kind: 'file', path: a.path, content: a.checksum && a.algorithm === 'sha1' }];
  },

  plan(args: Args, facts): ModulePlan {
    const a = parse(args);
    const fact = facts.file(a.path);
    if (!fact.exists) return { changes: [], note: `${a.path} does not exist`, result: { changed: false, stat: { exists: false } } };
    const st: Record<string, unknown> = {
      exists: true,
      path: a.path,
      isdir: fact.type === 'directory',
      isreg: fact.type === 'file',
      islnk: fact.type === 'link',
      mode: formatMode(fact.mode),
      uid: fact.uid,
      gid: fact.gid,
      pw_name: fact.owner,
      gr_name: fact.group,
      size: fact.size,
      readable: true,
      writeable: true,
      executable: (fact.mode & 0o111) !== 0,
    };
    if (fact.type === 'link') st.lnk_target = fact.target;
    if (fact.type === 'file' && a.checksum) {
      const sum = a.algorithm === 'sha256' ? fact.sha256 : fact.content ? createHash('sha1').update(fact.content).digest('hex') : undefined;
      if (sum !== undefined) st.checksum = sum;
    }
    return { changes: [], note: `${a.path} is a ${fact.type === 'file' ? 'regular file' : fact.type}, mode ${st.mode}, ${fact.owner}:${fact.group}`, result: { changed: false, stat: st } };
  },
};
