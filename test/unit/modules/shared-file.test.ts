import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineinfile } from '../../../src/modules/lineinfile.js';
import { blockinfile } from '../../../src/modules/blockinfile.js';
import { file } from '../../../src/modules/file.js';
import { template } from '../../../src/modules/template.js';
import { FactsModel } from '../../../src/facts/model.js';
import { answerProbes, fakeContext, planTwice, type FakeWorld } from '../../helpers/fake-facts.js';
import type { Module } from '../../../src/core/types.js';

/** Plans tasks in order on one model, as the runner does, filling missing facts from the host. */
function planTasks(world: FakeWorld, tasks: Array<[Module, Record<string, unknown>]>, ctx = fakeContext()): FactsModel {
  const model = new FactsModel(new Map());
  for (const [m, args] of tasks) {
    const missing = m.probes(args, ctx).filter((p) => !model.has(p));
    model.addFacts(answerProbes(world, missing));
    for (const c of m.plan(args, model, ctx).changes) model.applyChange(c);
  }
  return model;
}

test('sees the edits of earlier tasks on the same file, and re-planning every task finds nothing to do', () => {
  const world: FakeWorld = { files: { '/etc/ssh/sshd_config': '#PermitRootLogin yes\nUsePAM yes\n' } };
  const tasks: Array<[Module, Record<string, unknown>]> = [
    [lineinfile, { path: '/etc/ssh/sshd_config', regexp: '^#?PermitRootLogin\\s', line: 'PermitRootLogin prohibit-password' }],
    [lineinfile, { path: '/etc/ssh/sshd_config', regexp: '^#?ClientAliveInterval\\s', line: 'ClientAliveInterval 30' }],
    [blockinfile, { path: '/etc/ssh/sshd_config', block: 'Match User backup\n  ForceCommand rsync' }],
  ];
  const model = planTasks(world, tasks);
  const f = model.file('/etc/ssh/sshd_config');
  assert.ok(f.exists && f.content);
  assert.equal(
    f.content.toString(),
    'PermitRootLogin prohibit-password\nUsePAM yes\nClientAliveInterval 30\n# BEGIN ANSIBLE MANAGED BLOCK\nMatch User backup\n  ForceCommand rsync\n# END ANSIBLE MANAGED BLOCK\n',
  );
  for (const [m, args] of tasks) planTwice(m, args, model);
});

test('writes a template into a directory an earlier task creates', () => {
  const ctx = fakeContext({ templates: { 'ha.conf.j2': 'x=1\n' } });
  const model = planTasks(
    { dirs: ['/etc'] },
    [
      [file, { path: '/etc/xivo/ha', state: 'directory', mode: '0750' }],
      [template, { src: 'ha.conf.j2', dest: '/etc/xivo/ha/ha.conf' }],
    ],
    ctx,
  );
  const f = model.file('/etc/xivo/ha/ha.conf');
  assert.ok(f.exists && f.type === 'file');
  const parent = model.file('/etc/xivo');
  assert.ok(parent.exists && parent.mode === 0o750, 'the implied parent got the same mode');
  planTwice(template, { src: 'ha.conf.j2', dest: '/etc/xivo/ha/ha.conf' }, model, ctx);
});
