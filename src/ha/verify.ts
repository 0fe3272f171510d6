// xivo-ha verify: are the slave's replicated tables the master's? Compares,
// table by table, a checksum of the rows computed on each node (row contents
// never leave the nodes: the database holds trunk and AMI passwords).

import type { CommandFact } from '../core/types.js';
import type { HostConnection } from '../transport/types.js';
import { ident, literal, psqlArgv } from './modules/postgresql-role.js';

export interface TableDigest {
  rows: number;
  digest: string;
}

export type TableVerdict =
  | { table: string; status: 'identical'; rows: number }
  | { table: string; status: 'different'; masterRows: number; slaveRows: number }
  | { table: string; status: 'missing'; on: 'master' | 'slave' }
  | { table: string; status: 'excluded' };

export const LIST_TABLES_SQL = `SELECT COALESCE(json_agg(c.relname ORDER BY c.relname), '[]'::json) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r';`;

/** One query returning {table: {rows, digest}} for every table named; order-independent. */
export function digestSql(tables: string[]): string {
  if (tables.length === 0) return `SELECT '{}'::json;`;
  const parts = tables.map(
    (t) => `SELECT ${literal(t)} AS name, count(*) AS rows, COALESCE(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '') AS digest FROM public.${ident(t)} x`,
  );
  return `SELECT COALESCE(json_object_agg(name, json_build_object('rows', rows, 'digest', digest)), '{}'::json) FROM (${parts.join(' UNION ALL ')}) d;`;
}

async function query(conn: HostConnection, sql: string, database: string): Promise<string> {
  const facts = await conn.probe([{ kind: 'command', argv: psqlArgv(database, ['-c', sql]) }]);
  const fact = [...facts.values()][0] as CommandFact;
  if (fact.rc !== 0) throw new Error(`${conn.host}: psql failed (exit ${fact.rc}): ${fact.stderr.trim()}`);
  return fact.stdout;
}

export async function verifyReplication(master: HostConnection, slave: HostConnection, excluded: string[], database = 'asterisk'): Promise<TableVerdict[]> {
  const [masterTables, slaveTables] = await Promise.all([master, slave].map(async (c) => JSON.parse(await query(c, LIST_TABLES_SQL, database)) as string[]));
  const excludedSet = new Set(excluded);
  const all = [...new Set([...masterTables!, ...slaveTables!])].sort();
  const compared = all.filter((t) => !excludedSet.has(t) && masterTables!.includes(t) && slaveTables!.includes(t));
  const [m, s] = await Promise.all([
    query(master, digestSql(compared), database).then((o) => JSON.parse(o) as Record<string, TableDigest>),
    query(slave, digestSql(compared), database).then((o) => JSON.parse(o) as Record<string, TableDigest>),
  ]);
  return all.map((table): TableVerdict => {
    if (excludedSet.has(table)) return { table, status: 'excluded' };
    if (!masterTables!.includes(table)) return { table, status: 'missing', on: 'master' };
    if (!slaveTables!.includes(table)) return { table, status: 'missing', on: 'slave' };
    const a = m![table]!;
    const b = s![table]!;
    return a.digest === b.digest && a.rows === b.rows ? { table, status: 'identical', rows: a.rows } : { table, status: 'different', masterRows: a.rows, slaveRows: b.rows };
  });
}
