// xivo_staticsip: values of XiVO's static SIP configuration (the `staticsip`
// table, `sip.conf` [general]). HA sets the registration timers there:
// minexpiry/maxexpiry/defaultexpiry = 180/300/240 s, so phones re-register
// with the slave within the 5-minute promise.

import type { Module, Probe } from '../../core/types.js';
import { literal, psqlArgv } from './postgresql-role.js';

interface StaticSipArgs {
  database?: string;
  settings: Record<string, string | number>;
}

function probe(args: StaticSipArgs): Probe {
  const names = Object.keys(args.settings).map(literal).join(', ');
  const sql = `SELECT COALESCE(json_object_agg(var_name, var_val), '{}'::json) FROM staticsip WHERE filename = 'sip.conf' AND category = 'general' AND var_name IN (${names});`;
  return { kind: 'command', argv: psqlArgv(args.database ?? 'asterisk', ['-c', sql]) };
}

export const xivoStaticSip: Module<StaticSipArgs> = {
  name: 'xivo_staticsip',
  aliases: ['xivo_ha.staticsip'],
  argsSchema: {
    type: 'object',
    properties: {
      database: { type: 'string' },
      settings: { type: 'object', additionalProperties: { type: ['string', 'integer'] }, minProperties: 1 },
    },
    required: ['settings'],
    additionalProperties: false,
  },
  probes(args) {
    return [probe(args)];
  },
  plan(args, facts) {
    const p = probe(args);
    const fact = facts.command(p.kind === 'command' ? p.argv : []);
    if (fact.rc !== 0) return { changes: [], failed: `cannot read staticsip (psql exit ${fact.rc}): ${fact.stderr.trim()}` };
    const current = JSON.parse(fact.stdout || '{}') as Record<string, string>;
    const statements: string[] = [];
    const before: string[] = [];
    const after: string[] = [];
    for (const [name, raw] of Object.entries(args.settings)) {
      const value = String(raw);
      before.push(`${name} = ${current[name] ?? '(unset)'}`);
      after.push(`${name} = ${value}`);
      if (current[name] === value) continue;
      statements.push(
        current[name] === undefined
          ? `INSERT INTO staticsip (cat_metric, var_metric, commented, filename, category, var_name, var_val) VALUES (0, 0, 0, 'sip.conf', 'general', ${literal(name)}, ${literal(value)});`
          : `UPDATE staticsip SET var_val = ${literal(value)} WHERE filename = 'sip.conf' AND category = 'general' AND var_name = ${literal(name)};`,
      );
    }
    if (statements.length === 0) return { changes: [], note: 'in sync: sip.conf [general] has these values' };
    const wanted = Object.fromEntries(Object.entries(args.settings).map(([k, v]) => [k, String(v)]));
    return {
      changes: [
        {
          action: 'update',
          target: 'staticsip sip.conf [general]',
          summary: `set ${Object.keys(args.settings).filter((k) => current[k] !== String(args.settings[k])).join(', ')} in sip.conf [general]`,
          diff: { before: before.join('\n') + '\n', after: after.join('\n') + '\n', beforeHeader: 'staticsip', afterHeader: 'staticsip' },
          steps: [{ kind: 'exec', argv: psqlArgv(args.database ?? 'asterisk'), stdin: Buffer.from(['BEGIN;', ...statements, 'COMMIT;', ''].join('\n')) }],
          assume: [{ probe: p, value: { rc: 0, stdout: JSON.stringify({ ...current, ...wanted }), stderr: '' } }],
        },
      ],
    };
  },
};
