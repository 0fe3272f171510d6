// Runs the python tests of the programs that run on the nodes (monitor,
// copy-back, guard): they are python3 stdlib because that is all a stock
// XiVO has, so their tests are python unittest; this wrapper makes them part
// of the suite and shows their output when they fail.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'node:test';
import assert from 'node:assert/strict';

const nodeDir = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'src', 'remote', 'node');

test('the monitor, copy-back, guard and standby-telephony python tests pass', () => {
  const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-t', 'tests', '-p', 'test_monitor*.py'], {
    cwd: nodeDir,
    encoding: 'utf8',
    timeout: 180_000,
    // No __pycache__ left in the source tree.
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  assert.equal(run.error, undefined, `python3 could not run: ${String(run.error)}`);
  assert.equal(run.status, 0, `python tests failed (exit ${String(run.status)}):\n${output}`);
  assert.match(output, /\nOK/, `python tests did not report OK:\n${output}`);
});

test('the node programs pass shellcheck where they are shell scripts', { skip: spawnSync('shellcheck', ['--version']).status !== 0 && 'shellcheck not installed' }, () => {
  const scripts = ['tests/fake-psql', 'tests/fake-slave-ssh'];
  const run = spawnSync('shellcheck', scripts, { cwd: nodeDir, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
