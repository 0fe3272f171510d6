// check_mode (issue 2): `check_mode: false` runs a read-only command even in
// plan, so the tasks that use its registered output are planned with real
// values; `check_mode: true` is only ever planned, even by apply.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../../src/core/events.js';
import { runPlaybooks } from '../../../src/core/runner.js';
import type { TaskSpec } from '../../../src/core/model.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { inventory, play, playbook, task } from '../../helpers/specs.js';
import { loadInventory } from '../../../src/load/inventory.js';
import { loadTestPlaybook, MINIMAL_INVENTORY, playbookProblems, Workdir } from '../load/helpers.js';

function fakeHost(): FakeHost {
  return new FakeHost('a', (argv) => (argv[0] === 'hostname' ? { rc: 0, stdout: 'pbx-1\n', stderr: '' } : { rc: 0, stdout: '', stderr: '' }));
}

async function run(host: FakeHost, command: 'plan' | 'apply', tasks: TaskSpec[]): Promise<{ exitCode: number; results: Map<string, RunEvent & { type: 'task_result' }> }> {
  const events: RunEvent[] = [];
  const { exitCode } = await runPlaybooks({
    command, inventory: inventory({ a: {} }), playbooks: [playbook(play(tasks))], tags: [], extraVars: {},
    connect: async () => host, connectOptions: { acceptNew: false }, emit: (e) => events.push(e),
  });
  const results = new Map(events.filter((e): e is RunEvent & { type: 'task_result' } => e.type === 'task_result').map((e) => [e.task, e]));
  return { exitCode, results };
}

const readName = (extra: Partial<TaskSpec>) => task('read the name', 'command', { cmd: 'hostname' }, { register: 'name_out', changedWhen: ['false'], ...extra });
const writeName = task('write the name', 'copy', { dest: '/etc/name', content: '{{ name_out.stdout }}\n' });

describe('check_mode: false', () => {
  test('plan runs the command and plans the tasks using its output with the real value', async () => {
    const host = fakeHost();
    const { exitCode, results } = await run(host, 'plan', [readName({ checkMode: false }), writeName]);
    assert.equal(exitCode, 2);
    assert.deepEqual(host.execLog, [['hostname']]);
    assert.equal(results.get('read the name')?.status, 'ok');
    const write = results.get('write the name')!;
    assert.equal(write.status, 'pending');
    assert.match(write.changes[0]?.diff ?? '', /^\+pbx-1$/m);
    assert.equal(write.changes[0]?.knownAfterApply, undefined);
    assert.equal(host.readFile('/etc/name'), undefined, 'plan writes nothing');
  });

  test('without it, plan runs nothing and the dependent task is known after apply', async () => {
    const host = fakeHost();
    const { results } = await run(host, 'plan', [readName({}), writeName]);
    assert.deepEqual(host.execLog, []);
    assert.equal(results.get('write the name')?.changes[0]?.knownAfterApply, true);
  });

  test('plan never writes for it: only commands run in a dry run', async () => {
    const host = fakeHost();
    const { results } = await run(host, 'plan', [task('write', 'copy', { dest: '/etc/x', content: 'x\n' }, { checkMode: false })]);
    assert.equal(results.get('write')?.status, 'pending');
    assert.equal(host.readFile('/etc/x'), undefined);
  });

  test('a failing command fails the plan, as under ansible-playbook --check', async () => {
    const host = new FakeHost('a', () => ({ rc: 3, stdout: '', stderr: 'no database' }));
    const { exitCode, results } = await run(host, 'plan', [readName({ checkMode: false })]);
    assert.equal(exitCode, 3);
    assert.equal(results.get('read the name')?.status, 'failed');
  });

  test("apply runs the command once (not in its check before the first write) and converges", async () => {
    const host = fakeHost();
    const { exitCode, results } = await run(host, 'apply', [readName({ checkMode: false }), writeName]);
    assert.equal(exitCode, 0);
    assert.equal(results.get('write the name')?.status, 'changed');
    assert.equal(host.readFile('/etc/name'), 'pbx-1\n');
    // One run by apply, one by the verify re-plan after it (which also reads for real).
    assert.deepEqual(host.execLog, [['hostname'], ['hostname']]);
    const again = await run(host, 'plan', [readName({ checkMode: false }), writeName]);
    assert.equal(again.exitCode, 0, 'the next plan is empty');
  });
});

describe('check_mode: true', () => {
  test('apply only plans the task: nothing runs, nothing is written, and verify does not call it drift', async () => {
    const host = fakeHost();
    const { exitCode, results } = await run(host, 'apply', [
      task('would write', 'copy', { dest: '/etc/y', content: 'y\n' }, { checkMode: true }),
      task('would run', 'command', { cmd: 'reboot' }, { checkMode: true }),
      task('writes', 'copy', { dest: '/etc/z', content: 'z\n' }),
    ]);
    assert.equal(exitCode, 0);
    assert.equal(host.readFile('/etc/y'), undefined);
    assert.deepEqual(host.execLog, []);
    assert.equal(host.readFile('/etc/z'), 'z\n');
    assert.equal(results.get('would write')?.status, 'pending');
    assert.match(results.get('would write')?.note ?? '', /check_mode: true: planned only/);
    assert.equal(results.get('would run')?.status, 'pending');
  });
});

describe('check_mode in a playbook', () => {
  test('is read as a boolean task keyword; anything else is a located error', () => {
    const w = new Workdir();
    try {
      const inv = loadInventory(w.write('inv.yml', MINIMAL_INVENTORY));
      const pb = loadTestPlaybook(w, '- hosts: all\n  tasks:\n    - command: hostname\n      check_mode: false\n    - command: reboot\n      check_mode: true\n', inv);
      assert.deepEqual(pb.plays[0]!.tasks.map((t) => t.checkMode), [false, true]);
      const bad = playbookProblems(w, '- hosts: all\n  tasks:\n    - command: hostname\n      check_mode: maybe\n', inv);
      assert.match(bad.join('\n'), /site\.yml:4:\d+ .*check_mode/);
    } finally {
      w.remove();
    }
  });
});
