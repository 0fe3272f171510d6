import { test } from 'node:test';
import assert from 'node:assert/strict';
import { command } from '../../../src/modules/command.js';
import { shell } from '../../../src/modules/shell.js';
import { table } from './table.js';

table(command, [
  { name: 'will always run without creates or removes', args: { cmd: 'xivo-service restart' }, changes: [{ action: 'run', summary: /run xivo-service restart/, steps: ['exec'], alwaysRuns: true }], note: /will always run/ },
  { name: 'splits free-form text like shlex', args: { cmd: `echo 'a b' "c \\"d\\"" e\\ f` }, changes: [{ action: 'run', alwaysRuns: true }], check: ({ first }) => {
    const step = first.changes[0]!.steps[0]!;
    assert.ok(step.kind === 'exec');
    assert.deepEqual(step.argv, ['echo', 'a b', 'c "d"', 'e f']);
  } },
  { name: 'takes argv as given', args: { argv: ['psql', '-c', 'select 1'] }, changes: [{ action: 'run', alwaysRuns: true }], check: ({ first }) => {
    const step = first.changes[0]!.steps[0]!;
    assert.ok(step.kind === 'exec');
    assert.deepEqual(step.argv, ['psql', '-c', 'select 1']);
  } },
  { name: 'is skipped when creates exists', args: { cmd: 'ssh-keygen -f /root/.ssh/id', creates: '/root/.ssh/id' }, host: { files: { '/root/.ssh/id': 'k' } }, note: /^skipped, since \/root\/.ssh\/id exists$/, result: { rc: 0, changed: false } },
  { name: 'runs when creates is missing; the path is known after apply', args: { cmd: 'ssh-keygen -f /root/.ssh/id', creates: '/root/.ssh/id' }, changes: [{ action: 'run' }], deferredSecondPlan: true },
  { name: 'resolves a relative creates against chdir', args: { cmd: 'make', chdir: '/src', creates: 'out/bin' }, host: { files: { '/src/out/bin': 'x' } }, note: /\/src\/out\/bin exists/ },
  { name: 'is skipped when removes is missing', args: { cmd: 'rm /tmp/x', removes: '/tmp/x' }, note: /does not exist/ },
  { name: 'runs when removes exists', args: { cmd: 'rm /tmp/x', removes: '/tmp/x' }, host: { files: { '/tmp/x': '' } }, changes: [{ action: 'run' }], deferredSecondPlan: true },
  { name: 'passes stdin with a trailing newline', args: { cmd: 'cat', stdin: 'hello' }, changes: [{ action: 'run', alwaysRuns: true }], check: ({ first }) => {
    const step = first.changes[0]!.steps[0]!;
    assert.ok(step.kind === 'exec');
    assert.equal(step.stdin?.toString(), 'hello\n');
  } },
]);

table(shell, [
  { name: 'runs its text with /bin/sh -c', args: { cmd: 'echo $HOME > /tmp/h' }, changes: [{ action: 'run', alwaysRuns: true }], check: ({ first }) => {
    const step = first.changes[0]!.steps[0]!;
    assert.ok(step.kind === 'exec');
    assert.deepEqual(step.argv, ['/bin/sh', '-c', 'echo $HOME > /tmp/h']);
  } },
  { name: 'honours executable', args: { cmd: 'set -o pipefail', executable: '/bin/bash' }, changes: [{ action: 'run', alwaysRuns: true }] },
  { name: 'is skipped when creates exists', args: { cmd: 'mkdir -p /d && touch /d/f', creates: '/d/f' }, host: { files: { '/d/f': '' } }, note: /skipped, since \/d\/f exists/ },
]);

test('command: registers rc, stdout, stderr and their lines after apply, newlines stripped', () => {
  const r = command.resultAfterApply!({ cmd: 'echo hi' }, [{ ok: true, rc: 0, stdout: 'a\nb\n', stderr: '' }]);
  assert.deepEqual(r, { changed: true, rc: 0, stdout: 'a\nb', stderr: '', stdout_lines: ['a', 'b'], stderr_lines: [], cmd: ['echo', 'hi'], failed: false, msg: '' });
});

test('shell: registers the command text as cmd and a failure', () => {
  const r = shell.resultAfterApply!({ cmd: 'false' }, [{ ok: false, rc: 1, stdout: '', stderr: 'boom\n' }]);
  assert.equal(r.cmd, 'false');
  assert.equal(r.rc, 1);
  assert.equal(r.failed, true);
  assert.deepEqual(r.stderr_lines, ['boom']);
});

test('command: refuses an unterminated quote', () => {
  assert.throws(() => command.probes({ cmd: "echo 'oops" }, undefined as never), /no closing quotation/);
});
