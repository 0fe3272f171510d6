// ansible.builtin.copy: a file's bytes from `content` or a controller-side
// `src` (resolved by the loader against the playbook's files/ dir). dest may
// be a directory (the file keeps src's basename); a dest ending in "/" is
// created like mkdir -p. `force: no` only creates. `content` given as a
// mapping or list is written as Python's json.dumps() would write it.
//
// Not supported (the schema refuses them): backup, remote_src, directory_mode,
// validate, recursive directory copies (src ending in "/"), mode=preserve.

import { posix } from 'node:path';
import type { Module, ModulePlan, Probe } from '../core/types.js';
import { Secret } from '../core/secret.js';
import { ModuleArgError, bool, optionalString, requiredString, type Args } from './shared/args.js';
import { copyProbes, planCopy, type CopyTarget } from './shared/copy-like.js';
import { readAttrs } from './shared/file-attrs.js';
import { pythonJsonDumps } from './shared/python-json.js';
import { argsObject, boolArg, fileAttrArgs, textArg } from './shared/schema.js';

function target(args: Args): CopyTarget {
  const dest = requiredString(args, 'dest');
  const src = optionalString(args, 'src');
  const hasContent = args.content !== undefined && args.content !== null;
  if (src !== undefined && hasContent) throw new ModuleArgError('src and content are mutually exclusive');
  if (src === undefined && !hasContent) throw new ModuleArgError('src (or content) is required');
  if (src !== undefined && src.endsWith('/')) throw new ModuleArgError(`src ${src} ends with "/": copying directories is not supported`);
  const t: CopyTarget = { dest, force: bool(args, 'force', true), attrs: readAttrs(args) };
  if (src !== undefined) t.srcName = posix.basename(src);
  return t;
}

function contentOf(args: Args): Buffer | undefined {
  const content = args.content;
  if (content === undefined || content === null) return undefined;
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  if (content instanceof Secret) return Buffer.from(content.reveal(), 'utf8');
  if (typeof content === 'object') return Buffer.from(pythonJsonDumps(content), 'utf8');
  return Buffer.from(String(content), 'utf8');
}

export const copy: Module = {
  name: 'copy',
  aliases: ['ansible.builtin.copy', 'ansible.legacy.copy'],
  argsSchema: argsObject(
    {
      src: textArg,
      content: {},
      dest: textArg,
      force: boolArg,
      ...fileAttrArgs,
    },
    { required: ['dest'] },
  ),

  probes(args: Args): Probe[] {
    return copyProbes(target(args));
  },

  plan(args: Args, facts, ctx): ModulePlan {
    const t = target(args);
    const content = contentOf(args) ?? ctx.readLocalFile(requiredString(args, 'src'));
    return planCopy(t, content, facts, ctx);
  },
};
