// Table checksums computed inside PostgreSQL: the bench compares row counts
// and hashes, never reads a row (the database holds trunk and AMI passwords).
// Order-independent (a sum of per-row hashes), so a million CEL rows need no
// sort: the check after each run costs little next to the run itself.

import type { PgCluster } from '../../test/helpers/pg-cluster.js';

export type Checksums = Map<string, string>;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The SQL answering "table|rows:hash-sum" per table, one line each. */
export function checksumSql(tables: readonly string[]): string {
  if (tables.length === 0) throw new Error('checksumSql: no table given');
  return tables
    .map((t) => `SELECT ${quoteLiteral(t)}, count(*) || ':' || coalesce(sum(hashtextextended(x::text, 0)::numeric), 0) FROM public.${quoteIdent(t)} x`)
    .join('\nUNION ALL\n');
}

export function checksums(c: PgCluster, tables: readonly string[], database = 'asterisk'): Checksums {
  const lines = c.sql(checksumSql(tables), database).trim().split('\n');
  return new Map(lines.map((line) => {
    const bar = line.indexOf('|');
    return [line.slice(0, bar), line.slice(bar + 1)];
  }));
}

export function publicTables(c: PgCluster, database = 'asterisk'): string[] {
  return c.sql(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`, database).trim().split('\n');
}

/** The tables whose checksums differ (or exist on one side only), sorted; empty when equal. */
export function differingTables(a: Checksums, b: Checksums): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((t) => a.get(t) !== b.get(t)).sort();
}

/** Sum of the row counts in a checksum map. */
export function totalRows(sums: Checksums): number {
  let total = 0;
  for (const value of sums.values()) total += Number(value.split(':')[0]);
  return total;
}
