// Runs the python tests of xivo-ha-replicate and xivo-ha-receive (python3
// stdlib, as on a stock XiVO): argv validation of the forced command, the SQL
// wrapping of the dump, the foreign-key closure of the exclusion list.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'node:test';
import assert from 'node:assert/strict';

const nodeDir = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'src', 'remote', 'node');

test('the replication and forced-command python tests pass', () => {
  const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-t', 'tests', '-p', 'test_replication*.py'], {
    cwd: nodeDir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  assert.equal(run.error, undefined, `python3 could not run: ${String(run.error)}`);
  assert.equal(run.status, 0, `python tests failed (exit ${String(run.status)}):\n${output}`);
  assert.match(output, /\nOK/, `python tests did not report OK:\n${output}`);
});
