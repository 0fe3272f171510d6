// xivo_pg_role: a PostgreSQL login role with exactly the privileges it needs
// on one database — never a superuser. Used for the replication role on the
// slave: DML and TRUNCATE on the replicated tables, their sequences, and
// PostgreSQL 15's `GRANT SET ON PARAMETER session_replication_role`.
// Privileges on tables outside the list are revoked (least privilege).
//
// The state is read with one query run as the postgres OS user on the node;
// changes are one transaction fed to psql on stdin (never argv: the password
// verifier must not show in `ps`).

import type { CommandFact, Module, Probe } from '../../core/types.js';
import { scramMatches, scramVerifier } from '../scram.js';

export interface PgRoleArgs {
  name: string;
  database: string;
  password?: string;
  state?: 'present' | 'absent';
  /** Grant on every table of schema public except these. */
  all_tables_except?: string[];
  /** Parameters the role may SET (PostgreSQL ≥ 15). */
  set_parameters?: string[];
}

export interface RoleState {
  exists: boolean;
  superuser: boolean;
  login: boolean;
  verifier: string | null;
  /** Every table of schema public, with whether the role holds all DML + TRUNCATE, or any privilege. */
  tables: { name: string; all: boolean; any: boolean }[];
  sequences: { name: string; all: boolean; any: boolean }[];
  parameters: string[];
}

const TABLE_PRIVS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];
const SEQ_PRIVS = ['USAGE', 'SELECT', 'UPDATE'];

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** One JSON document describing the role; safe when the role does not exist. */
export function roleStateQuery(role: string, parameters: string[]): string {
  const r = literal(role);
  const privs = (fn: string, kind: string, list: string[]) =>
    `json_build_object('name', c.relname, 'all', CASE WHEN e.ok THEN ${list.map((p) => `${fn}(${r}, c.oid, '${p}')`).join(' AND ')} ELSE false END, 'any', CASE WHEN e.ok THEN ${list.map((p) => `${fn}(${r}, c.oid, '${p}')`).join(' OR ')} ELSE false END)`;
  const rel = (kind: string, body: string) =>
    `(SELECT COALESCE(json_agg(${body} ORDER BY c.relname), '[]'::json) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, e WHERE n.nspname = 'public' AND c.relkind = '${kind}')`;
  const params = parameters.length
    ? // CASE, not AND: the planner may push a qual that only names p below the join with e, and
      // has_parameter_privilege raises for a role that does not exist.
      `(SELECT COALESCE(json_agg(p), '[]'::json) FROM unnest(ARRAY[${parameters.map(literal).join(', ')}]) p, e WHERE CASE WHEN e.ok THEN has_parameter_privilege(${r}, p, 'SET') ELSE false END)`
    : `'[]'::json`;
  return [
    `WITH e AS (SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${r}) AS ok)`,
    `SELECT json_build_object(`,
    `  'exists', (SELECT ok FROM e),`,
    `  'superuser', COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = ${r}), false),`,
    `  'login', COALESCE((SELECT rolcanlogin FROM pg_roles WHERE rolname = ${r}), false),`,
    `  'verifier', (SELECT rolpassword FROM pg_authid WHERE rolname = ${r}),`,
    `  'tables', ${rel('r', privs('has_table_privilege', 'r', TABLE_PRIVS))},`,
    `  'sequences', ${rel('S', privs('has_sequence_privilege', 'S', SEQ_PRIVS))},`,
    `  'parameters', ${params}`,
    `);`,
  ].join('\n');
}

export function psqlArgv(database: string, extra: string[] = []): string[] {
  return ['runuser', '-u', 'postgres', '--', 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', database, ...extra];
}

function stateProbe(args: PgRoleArgs): Probe {
  return { kind: 'command', argv: psqlArgv(args.database, ['-c', roleStateQuery(args.name, args.set_parameters ?? [])]) };
}

export function parseRoleState(fact: CommandFact): RoleState {
  if (fact.rc !== 0) throw new Error(`cannot read PostgreSQL roles (psql exit ${fact.rc}): ${fact.stderr.trim()}`);
  return JSON.parse(fact.stdout) as RoleState;
}

interface Plan {
  statements: string[];
  /** What the statements do, without secrets. */
  lines: string[];
  after: RoleState;
}

export function planRole(args: PgRoleArgs, state: RoleState): Plan {
  const role = ident(args.name);
  const statements: string[] = [];
  const lines: string[] = [];
  const after: RoleState = structuredClone(state);
  if ((args.state ?? 'present') === 'absent') {
    if (!state.exists) return { statements, lines, after };
    for (const p of state.parameters) statements.push(`REVOKE SET ON PARAMETER ${p} FROM ${role};`);
    statements.push(`DROP OWNED BY ${role};`, `DROP ROLE ${role};`);
    lines.push(`drop role ${args.name} and its privileges`);
    return { statements, lines, after: { exists: false, superuser: false, login: false, verifier: null, tables: state.tables.map((t) => ({ ...t, all: false, any: false })), sequences: state.sequences.map((s) => ({ ...s, all: false, any: false })), parameters: [] } };
  }
  const password = args.password ?? '';
  if (!state.exists) {
    const verifier = scramVerifier(password);
    statements.push(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${literal(verifier)};`);
    lines.push(`create login role ${args.name} (not a superuser, scram-sha-256 password)`);
    Object.assign(after, { exists: true, superuser: false, login: true, verifier });
  } else {
    if (state.superuser || !state.login) {
      statements.push(`ALTER ROLE ${role} LOGIN NOSUPERUSER;`);
      lines.push(`make ${args.name} a login role without superuser`);
      Object.assign(after, { superuser: false, login: true });
    }
    if (!scramMatches(state.verifier, password)) {
      const verifier = scramVerifier(password);
      statements.push(`ALTER ROLE ${role} PASSWORD ${literal(verifier)};`);
      lines.push(`set the password of ${args.name}`);
      after.verifier = verifier;
    }
  }
  if (args.all_tables_except) {
    const excluded = new Set(args.all_tables_except);
    const excludedSeqs = new Set(args.all_tables_except.map((t) => `${t}_id_seq`));
    grantDiff(after.tables, (t) => !excluded.has(t), 'TABLE', TABLE_PRIVS, role, statements, lines, 'tables');
    grantDiff(after.sequences, (s) => !excludedSeqs.has(s), 'SEQUENCE', SEQ_PRIVS, role, statements, lines, 'sequences');
  }
  for (const p of args.set_parameters ?? []) {
    if (after.parameters.includes(p)) continue;
    statements.push(`GRANT SET ON PARAMETER ${p} TO ${role};`);
    lines.push(`allow ${args.name} to SET ${p}`);
    after.parameters = [...after.parameters, p];
  }
  return { statements, lines, after };
}

function grantDiff(
  objects: { name: string; all: boolean; any: boolean }[],
  wanted: (name: string) => boolean,
  kind: 'TABLE' | 'SEQUENCE',
  privs: string[],
  role: string,
  statements: string[],
  lines: string[],
  noun: string,
): void {
  const grant = objects.filter((o) => wanted(o.name) && !o.all);
  const revoke = objects.filter((o) => !wanted(o.name) && o.any);
  if (grant.length) {
    statements.push(`GRANT ${privs.join(', ')} ON ${kind} ${grant.map((o) => `public.${ident(o.name)}`).join(', ')} TO ${role};`);
    lines.push(`grant ${privs.join(', ')} on ${grant.length} ${noun}: ${grant.map((o) => o.name).join(', ')}`);
    for (const o of grant) Object.assign(o, { all: true, any: true });
  }
  if (revoke.length) {
    statements.push(`REVOKE ALL ON ${kind} ${revoke.map((o) => `public.${ident(o.name)}`).join(', ')} FROM ${role};`);
    lines.push(`revoke every privilege on ${revoke.length} excluded ${noun}: ${revoke.map((o) => o.name).join(', ')}`);
    for (const o of revoke) Object.assign(o, { all: false, any: false });
  }
}

export const xivoPgRole: Module<PgRoleArgs> = {
  name: 'xivo_pg_role',
  aliases: ['xivo_ha.pg_role'],
  argsSchema: {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$' },
      database: { type: 'string', minLength: 1 },
      password: { type: 'string', minLength: 12 },
      state: { enum: ['present', 'absent'] },
      all_tables_except: { type: 'array', items: { type: 'string' } },
      set_parameters: { type: 'array', items: { type: 'string', pattern: '^[a-z_]+$' } },
    },
    required: ['name', 'database'],
    additionalProperties: false,
  },
  probes(args) {
    return [stateProbe(args)];
  },
  plan(args, facts) {
    if ((args.state ?? 'present') === 'present' && !args.password) return { changes: [], failed: 'password is required when state is present' };
    const probe = stateProbe(args);
    const state = parseRoleState(facts.command(probe.kind === 'command' ? probe.argv : []));
    const plan = planRole(args, state);
    if (plan.statements.length === 0) return { changes: [], note: `in sync: role ${args.name} has exactly the required privileges` };
    const sql = ['BEGIN;', ...plan.statements, 'COMMIT;', ''].join('\n');
    return {
      changes: [
        {
          action: state.exists ? ((args.state ?? 'present') === 'absent' ? 'delete' : 'update') : 'create',
          target: `postgresql role ${args.name}`,
          summary: plan.lines.join('; '),
          diff: { before: describe(state), after: describe(plan.after), beforeHeader: `role ${args.name}`, afterHeader: `role ${args.name}` },
          steps: [{ kind: 'exec', argv: psqlArgv(args.database), stdin: Buffer.from(sql) }],
          assume: [{ probe, value: { rc: 0, stdout: JSON.stringify(plan.after), stderr: '' } }],
        },
      ],
    };
  },
};

/** A readable, secret-free description of a role for diffs. */
function describe(s: RoleState): string {
  if (!s.exists) return '';
  const lines = [`login: ${s.login}`, `superuser: ${s.superuser}`, `password: ${s.verifier ? 'set (scram-sha-256)' : 'none'}`];
  lines.push(`tables: ${s.tables.filter((t) => t.all).map((t) => t.name).join(', ') || '-'}`);
  lines.push(`sequences: ${s.sequences.filter((t) => t.all).map((t) => t.name).join(', ') || '-'}`);
  lines.push(`may set: ${s.parameters.join(', ') || '-'}`);
  return lines.join('\n') + '\n';
}
