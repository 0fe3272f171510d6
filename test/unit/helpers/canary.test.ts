// The security suite searches the workstation's new files for its canary. The
// suite's own record (every registered secret, by design) must never count as
// a leak: other tests append to it at any moment, so whether it looked "new"
// depended on timing (a failure seen in CI). A real leak beside it still must.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanFiles } from '../../helpers/canary.js';

test("a canary in the suite's record is not a finding; the same canary in any other new file is", () => {
  const root = mkdtempSync(join(tmpdir(), 'xivo-ha-canary-scan-'));
  const saved = process.env['XIVO_HA_TEST_RECORD_DIR'];
  try {
    const record = join(root, 'suite-record');
    mkdirSync(record);
    process.env['XIVO_HA_TEST_RECORD_DIR'] = record;
    const canary = 'xivo-ha-canary-0123456789abcdef';
    writeFileSync(join(record, 'secrets.jsonl'), `{"origin":"t","secret":"${canary}"}\n`);
    assert.deepEqual(scanFiles([root], canary, 0), []);
    writeFileSync(join(root, 'run.log'), `password=${canary}\n`);
    assert.deepEqual(scanFiles([root], canary, 0).map((f) => f.where), [join(root, 'run.log')]);
  } finally {
    if (saved === undefined) delete process.env['XIVO_HA_TEST_RECORD_DIR'];
    else process.env['XIVO_HA_TEST_RECORD_DIR'] = saved;
    rmSync(root, { recursive: true, force: true });
  }
});
