// The whole suite's secret canary scan (issue 9), used by test/run.mjs.
//
// During the suite, tests register every secret they give xivo-ha or that
// xivo-ha generates on a lab node, and record every xivo-ha run's output, in
// the directory XIVO_HA_TEST_RECORD_DIR (test/helpers/suite-record.ts).
// Before a lab goes down, test/collect-lab-records.ts (run with that lab's
// XIVO_HA_LAB_INSTANCE) adds the secrets still on its nodes and copies the
// nodes' logs (journal, /var/log) into the directory. At the end,
// scanForSecrets() searches all of it, plus the test runner's own output, for
// every secret: a finding names where, never the value.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SECRETS_FILE = 'secrets.jsonl';

/** The registered secrets, each once: [{ origin, secret }]. */
export function readSecrets(recordDir) {
  let text = '';
  try {
    text = readFileSync(join(recordDir, SECRETS_FILE), 'utf8');
  } catch {
    return [];
  }
  const seen = new Map();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const { origin, secret } = JSON.parse(line);
    if (!seen.has(secret)) seen.set(secret, origin);
  }
  return [...seen].map(([secret, origin]) => ({ origin, secret }));
}

/**
 * Searches the recorded files and the given texts ({ label: text }) for every
 * secret. Returns { findings: [{ where, origin, line }], secrets, sources, bytes };
 * a finding's line has the value replaced by «secret».
 */
export function scanForSecrets(recordDir, texts) {
  const secrets = readSecrets(recordDir);
  const sources = { ...texts };
  for (const name of readdirSync(recordDir)) {
    if (name !== SECRETS_FILE) sources[`recorded ${name}`] = readFileSync(join(recordDir, name), 'latin1');
  }
  const findings = [];
  let bytes = 0;
  for (const [where, text] of Object.entries(sources)) {
    bytes += text.length;
    for (const { origin, secret } of secrets) {
      let at = text.indexOf(secret);
      while (at !== -1) {
        const start = text.lastIndexOf('\n', at) + 1;
        const end = text.indexOf('\n', at);
        const line = text.slice(start, end === -1 ? undefined : end).replaceAll(secret, '«secret»').slice(0, 240);
        findings.push({ where, origin, line });
        at = text.indexOf(secret, at + secret.length);
        if (findings.length > 200) return { findings, secrets: secrets.length, sources: Object.keys(sources).length, bytes };
      }
    }
  }
  return { findings, secrets: secrets.length, sources: Object.keys(sources).length, bytes };
}
