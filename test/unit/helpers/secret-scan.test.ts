// The whole suite's secret scan must be able to fail: a registered secret
// planted in a recorded output, a node log or the runner's own output is
// found, named by where and whose, and never printed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerSecret, recordOutput } from '../../helpers/suite-record.js';
import { scanForSecrets } from '../../secret-scan.mjs';

interface Scan { findings: { where: string; origin: string; line: string }[]; secrets: number; sources: number }

function withRecordDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-scan-test-'));
  const before = process.env['XIVO_HA_TEST_RECORD_DIR'];
  process.env['XIVO_HA_TEST_RECORD_DIR'] = dir;
  try {
    body(dir);
  } finally {
    if (before === undefined) delete process.env['XIVO_HA_TEST_RECORD_DIR'];
    else process.env['XIVO_HA_TEST_RECORD_DIR'] = before;
    rmSync(dir, { recursive: true, force: true });
  }
}

test('finds a registered secret in a recorded xivo-ha output, a node log and the runner output, naming where and whose without the value', () => {
  withRecordDir((dir) => {
    registerSecret('s3cret-value-1234', 'the replication password');
    registerSecret('s3cret-value-1234', 'the same password registered twice');
    recordOutput(['apply', '-i', 'inv.yml'], 'task ok\npassword is s3cret-value-1234 here\n', '');
    writeFileSync(join(dir, 'node-logs-0-master.log'), 'ALTER ROLE x PASSWORD s3cret-value-1234\n');
    const scan = scanForSecrets(dir, { 'output of unit tests': 'clean\n', 'output of failover': 'oops s3cret-value-1234\n' }) as Scan;
    assert.equal(scan.secrets, 1, 'a secret registered twice is searched once');
    assert.deepEqual(scan.findings.map((f) => f.where).sort(), ['output of failover', 'recorded node-logs-0-master.log', `recorded outputs-${process.pid}.log`]);
    for (const f of scan.findings) {
      assert.equal(f.origin, 'the replication password');
      assert.doesNotMatch(f.line, /s3cret-value-1234/);
      assert.match(f.line, /«secret»/);
    }
  });
});

test('finds nothing when no output holds a secret, and ignores secrets too short to search for', () => {
  withRecordDir((dir) => {
    registerSecret('short', 'a value too short to be a secret');
    registerSecret('another-secret-value', 'a canary');
    recordOutput(['plan'], 'content hidden: ********\n', '');
    const scan = scanForSecrets(dir, { 'output of unit tests': 'all fine\n' }) as Scan;
    assert.deepEqual(scan.findings, []);
    assert.equal(scan.secrets, 1);
  });
});

test('records nothing outside npm test (no record directory set)', () => {
  const before = process.env['XIVO_HA_TEST_RECORD_DIR'];
  delete process.env['XIVO_HA_TEST_RECORD_DIR'];
  try {
    registerSecret('would-be-secret-value', 'nowhere');
    recordOutput(['plan'], 'x', 'y');
  } finally {
    if (before !== undefined) process.env['XIVO_HA_TEST_RECORD_DIR'] = before;
  }
});
