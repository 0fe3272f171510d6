// The whole suite's secret canary scan (issue 9): every secret a test gives
// xivo-ha, or that xivo-ha generates on a lab node, is registered here, and
// every output of every xivo-ha run the tests make is recorded here. When
// `npm test` runs, it points XIVO_HA_TEST_RECORD_DIR at a directory of its
// own and, at the end, searches every recorded output, its own test output
// and the lab nodes' logs for every registered secret (test/secret-scan.mjs).
// Run outside `npm test`, both calls do nothing.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRETS_FILE } from '../secret-scan.mjs';

const recordDir = (): string | undefined => process.env['XIVO_HA_TEST_RECORD_DIR'] || undefined;

let sequence = 0;

/**
 * Whether path is in the suite's record directory, which holds every
 * registered secret and every output by design: a test searching the
 * workstation's files for a leak must not count it.
 */
export function inSuiteRecord(path: string): boolean {
  const dir = recordDir();
  return dir !== undefined && (path === dir || path.startsWith(`${dir}/`));
}

/** Keeps what a xivo-ha run printed, for the scan at the end of the suite. */
export function recordOutput(argv: readonly string[], stdout: string, stderr: string): void {
  const dir = recordDir();
  if (!dir) return;
  const header = `##### ${process.pid}-${++sequence} ${argv.join(' ')}\n`;
  appendFileSync(join(dir, `outputs-${process.pid}.log`), `${header}${stdout}\n##### stderr\n${stderr}\n`);
}

/** Adds a secret to the values the scan looks for; `origin` says where it came from (shown instead of the value). */
export function registerSecret(value: string, origin: string): void {
  const dir = recordDir();
  const secret = value.trim();
  if (!dir || secret.length < 8) return;
  appendFileSync(join(dir, SECRETS_FILE), `${JSON.stringify({ origin, secret })}\n`, { mode: 0o600 });
}
