// become_user (issue 2): a task with `become: true` and `become_user: X` does
// its work as X. Commands are wrapped in runuser; filesystem steps carry
// asUser, which the agent honours (test/unit/transport/agent.test.ts).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { becomeUserOf, runAsArgv, stepsAsUser } from '../../../src/core/become.js';
import { runPlaybooks } from '../../../src/core/runner.js';
import type { Step } from '../../../src/core/types.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { inventory, play, playbook, task } from '../../helpers/specs.js';

describe('becomeUserOf', () => {
  const t = (extra: Parameters<typeof task>[3]) => task('t', 'command', { cmd: 'id' }, extra);
  test('is the become_user when the task or its play becomes', () => {
    assert.equal(becomeUserOf(t({ become: true, becomeUser: 'postgres' }), play([])), 'postgres');
    assert.equal(becomeUserOf(t({ becomeUser: 'postgres' }), play([], { become: true })), 'postgres');
  });
  test('means nothing without become, as in Ansible', () => {
    assert.equal(becomeUserOf(t({ becomeUser: 'postgres' }), play([])), undefined);
    assert.equal(becomeUserOf(t({ become: false, becomeUser: 'postgres' }), play([], { become: true })), undefined);
  });
  test('is nothing for root (the agent already is)', () => {
    assert.equal(becomeUserOf(t({ become: true, becomeUser: 'root' }), play([])), undefined);
    assert.equal(becomeUserOf(t({ become: true }), play([])), undefined);
  });
});

describe('stepsAsUser', () => {
  test('wraps commands in runuser, argv untouched, and marks filesystem steps', () => {
    const steps: Step[] = [
      { kind: 'exec', argv: ['sh', '-c', 'echo "$HOME"'], okCodes: [0, 1] },
      { kind: 'put', path: '/srv/a', content: Buffer.from('a') },
      { kind: 'mkdir', path: '/srv/d', owner: 'postgres' },
    ];
    assert.deepEqual(stepsAsUser(steps, 'postgres'), [
      { kind: 'exec', argv: ['runuser', '-u', 'postgres', '--', 'sh', '-c', 'echo "$HOME"'], okCodes: [0, 1] },
      { kind: 'put', path: '/srv/a', content: Buffer.from('a'), asUser: 'postgres' },
      { kind: 'mkdir', path: '/srv/d', owner: 'postgres', asUser: 'postgres' },
    ]);
    assert.deepEqual(runAsArgv('u', ['true']), ['runuser', '-u', 'u', '--', 'true']);
  });
  test('leaves steps alone when there is no user to become', () => {
    const steps: Step[] = [{ kind: 'exec', argv: ['true'] }];
    assert.equal(stepsAsUser(steps, undefined), steps);
  });
});

test('apply hands the agent the steps of a become_user task as that user, and the others as they are', async () => {
  const host = new FakeHost('a');
  const applied: Step[] = [];
  const apply = host.apply.bind(host);
  host.apply = async (steps: Step[]) => {
    applied.push(...steps);
    return apply(steps);
  };
  const pb = playbook(play([
    task('as postgres', 'command', { cmd: 'psql -c "select 1"' }, { becomeUser: 'postgres' }),
    task('write as postgres', 'copy', { dest: '/pg.conf', content: 'x\n' }, { becomeUser: 'postgres' }),
    task('as root', 'command', { cmd: 'id' }),
    task('become_user without become', 'command', { cmd: 'whoami' }, { become: false, becomeUser: 'postgres' }),
  ], { become: true }));
  const result = await runPlaybooks({
    command: 'apply', inventory: inventory({ a: {} }), playbooks: [pb], tags: [], extraVars: {},
    connect: async () => host, connectOptions: { acceptNew: false }, emit: () => undefined,
  });
  assert.equal(result.exitCode, 0);
  assert.deepEqual(host.execLog.slice(0, 3), [['runuser', '-u', 'postgres', '--', 'psql', '-c', 'select 1'], ['id'], ['whoami']]);
  const put = applied.find((s) => s.kind === 'put');
  assert.equal(put?.kind === 'put' && put.asUser, 'postgres');
});
