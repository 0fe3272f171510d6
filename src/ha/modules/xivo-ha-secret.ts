// xivo_ha_secret: a secret generated once on a node and kept there, root-only
// (e.g. the replication role's password). The registered `value` is a Secret:
// templates can use it, every view masks it. It is generated at plan time, so
// tasks on other hosts that need it are planned in full on the first run.

import { randomBytes } from 'node:crypto';
import type { Module } from '../../core/types.js';
import { Secret } from '../../core/secret.js';

interface SecretArgs {
  path: string;
  /** Random bytes before base64url encoding. */
  bytes?: number;
  owner?: string;
  group?: string;
}

export const xivoHaSecret: Module<SecretArgs> = {
  name: 'xivo_ha_secret',
  aliases: ['xivo_ha.secret'],
  argsSchema: {
    type: 'object',
    properties: {
      path: { type: 'string', pattern: '^/' },
      bytes: { type: 'integer', minimum: 16, maximum: 256 },
      owner: { type: 'string' },
      group: { type: 'string' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  probes(args) {
    return [{ kind: 'file', path: args.path, content: true }];
  },
  plan(args, facts) {
    const fact = facts.file(args.path);
    const owner = args.owner ?? 'root';
    const group = args.group ?? 'root';
    if (fact.exists && fact.type === 'file' && fact.content && fact.content.toString('utf8').trim().length > 0) {
      const value = new Secret(fact.content.toString('utf8').trim(), args.path);
      if (fact.mode !== 0o600 || fact.owner !== owner || fact.group !== group) {
        return {
          changes: [
            {
              action: 'update',
              target: args.path,
              summary: `restrict ${args.path} to ${owner}:${group} 0600 (was ${fact.owner}:${fact.group} ${fact.mode.toString(8).padStart(4, '0')})`,
              steps: [{ kind: 'attrs', path: args.path, mode: 0o600, owner, group }],
            },
          ],
          result: { value },
        };
      }
      return { changes: [], note: 'in sync: the secret exists, root-only', result: { value } };
    }
    const generated = randomBytes(args.bytes ?? 32).toString('base64url');
    const value = new Secret(generated, args.path);
    return {
      changes: [
        {
          action: 'create',
          target: args.path,
          summary: `generate the secret ${args.path}`,
          diff: { before: '', after: generated, sensitive: true },
          steps: [{ kind: 'put', path: args.path, content: Buffer.from(`${generated}\n`), mode: 0o600, owner, group }],
        },
      ],
      result: { value },
    };
  },
};
