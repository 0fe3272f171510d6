// A secret canary: a recognisable, unique value given to xivo-ha as an
// inventory secret, then searched for everywhere the tool may have written
// (output streams, JSON events, files on the workstation). Also a search for
// private keys, which the workstation must never receive from a node.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inSuiteRecord, registerSecret } from './suite-record.js';

/** A new canary, also registered for the whole suite's secret scan (test/helpers/suite-record.ts). */
export function makeCanary(origin: string): string {
  const canary = `xivo-ha-canary-${randomBytes(12).toString('hex')}`;
  registerSecret(canary, origin);
  return canary;
}

export interface Finding {
  /** A stream's label or a file's path. */
  where: string;
  line: string;
}

/** Lines of the labelled texts (stdout, stderr, JSON events…) that contain needle. */
export function scanTexts(texts: Record<string, string>, needle: string): Finding[] {
  const out: Finding[] = [];
  for (const [where, text] of Object.entries(texts)) {
    for (const line of text.split('\n')) if (line.includes(needle)) out.push({ where, line: line.slice(0, 200) });
  }
  return out;
}

/**
 * Regular files under dirs changed since `sinceMs` that contain needle (like
 * `grep -r`, limited to new files so other suites' old files don't count).
 * Files larger than 64 MiB and unreadable entries are skipped, and so is the
 * suite's own record of secrets and outputs (a file other tests append to at
 * any moment; it holds the canary by design).
 */
export function scanFiles(dirs: string[], needle: string, sinceMs: number, exclude: (path: string) => boolean = inSuiteRecord): Finding[] {
  const out: Finding[] = [];
  const visit = (path: string, depth: number): void => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if (depth > 8) return;
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const n of names) visit(join(path, n), depth + 1);
      return;
    }
    if (!st.isFile() || st.mtimeMs < sinceMs || st.size > 64 * 1024 * 1024 || exclude(path)) return;
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch {
      return;
    }
    if (text.includes(needle)) out.push({ where: path, line: text.split('\n').find((l) => l.includes(needle))!.slice(0, 200) });
  };
  for (const d of dirs) visit(d, 0);
  return out;
}

export const PRIVATE_KEY_MARKER = 'PRIVATE KEY';

export function describeFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.where}: ${f.line}`).join('\n');
}
