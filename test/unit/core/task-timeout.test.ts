// Ansible's task keyword `timeout`: loaded onto the task, and handed to every
// command the task runs so the agent kills it and the task fails, rather than
// the run waiting for the default 10-minute command timeout.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadInventory } from '../../../src/load/inventory.js';
import { runPlaybooks } from '../../../src/core/runner.js';
import type { RunEvent } from '../../../src/core/events.js';
import type { Step, StepResult } from '../../../src/core/types.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { inventory, play, playbook, task } from '../../helpers/specs.js';
import { loadTestPlaybook, playbookProblems, Workdir, MINIMAL_INVENTORY } from '../load/helpers.js';

const w = new Workdir();
after(() => w.remove());
const inv = loadInventory(w.write('inv.yml', MINIMAL_INVENTORY));

test('loads the task keyword timeout as seconds on the task', () => {
  const pb = loadTestPlaybook(w, `- hosts: all\n  tasks:\n    - command: sleep 600\n      timeout: 3\n`, inv);
  assert.equal(pb.plays[0]!.tasks[0]!.timeoutS, 3);
});

test('refuses a timeout that is not a positive whole number of seconds, at the key', () => {
  const found = playbookProblems(w, `- hosts: all\n  tasks:\n    - command: sleep 600\n      timeout: soon\n`, inv);
  assert.equal(found.length, 1);
  assert.match(found[0]!, /:4:\d+ error: .*timeout/);
});

class StepRecorder extends FakeHost {
  readonly applied: Step[] = [];
  override async apply(steps: Step[]): Promise<StepResult[]> {
    this.applied.push(...steps);
    return super.apply(steps);
  }
}

test('gives every command of a task with timeout that many seconds, and leaves other tasks on the default', async () => {
  const host = new StepRecorder('a');
  const events: RunEvent[] = [];
  await runPlaybooks({
    command: 'apply',
    inventory: inventory({ a: {} }),
    playbooks: [playbook(play([task('bounded', 'command', { cmd: 'sleep 600' }, { timeoutS: 3 }), task('unbounded', 'command', { cmd: 'true' })]))],
    tags: [],
    extraVars: {},
    connect: async () => host,
    connectOptions: { acceptNew: false },
    emit: (e) => events.push(e),
  });
  const execs = host.applied.filter((s): s is Extract<Step, { kind: 'exec' }> => s.kind === 'exec');
  assert.deepEqual(execs.map((s) => [s.argv[0], s.timeoutMs]), [['sleep', 3000], ['true', undefined]]);
});
