// ansible.builtin.slurp: reads a file on the host into a registered value
// (base64, as Ansible returns it). Read-only: never changes anything.

import type { Module } from '../core/types.js';

interface SlurpArgs {
  src: string;
}

export const slurp: Module<SlurpArgs> = {
  name: 'slurp',
  aliases: ['ansible.builtin.slurp', 'ansible.legacy.slurp'],
  argsSchema: {
    type: 'object',
    properties: { src: { type: 'string', minLength: 1 }, path: { type: 'string', minLength: 1 } },
    additionalProperties: false,
    oneOf: [{ required: ['src'] }, { required: ['path'] }],
  },
  probes(args) {
    return [{ kind: 'file', path: source(args), content: true }];
  },
  plan(args, facts) {
    const path = source(args);
    const fact = facts.file(path);
    if (!fact.exists) return { changes: [], failed: `file not found: ${path}` };
    if (fact.type !== 'file' || !fact.content) return { changes: [], failed: `${path} is not a regular file` };
    return { changes: [], note: `read ${path}`, result: { content: fact.content.toString('base64'), encoding: 'base64', source: path } };
  },
};

function source(args: SlurpArgs & { path?: string }): string {
  return args.src ?? args.path ?? '';
}
