// Tasks whose arguments are known only once an earlier task registered its
// result: their probes are gathered when they are planned, before the module
// decides, so a module never meets a fact nobody asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlaybooks } from '../../../src/core/runner.js';
import type { RunEvent } from '../../../src/core/events.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { inventory, play, playbook, task } from '../../helpers/specs.js';

test('plans a copy whose content comes from a slurp of the same file, in a directory nobody probed before', async () => {
  const a = new FakeHost('a').writeFile('/var/lib/provd/configs/default', '{"registrar_main": "10.0.0.1"}');
  const slurp = { ...task('read', 'slurp', { src: '/var/lib/provd/configs/default' }), register: 'cfg' };
  const copy = task('write', 'copy', {
    dest: '/var/lib/provd/configs/default',
    content: "{{ cfg.content | b64decode | from_json | combine({'registrar_backup': '10.0.0.2'}) | to_json }}",
  });
  const events: RunEvent[] = [];
  const run = (command: 'plan' | 'apply') =>
    runPlaybooks({
      command,
      inventory: inventory({ a: {} }),
      playbooks: [playbook(play([slurp, copy]))],
      tags: [],
      extraVars: {},
      connect: async () => a,
      connectOptions: { acceptNew: false },
      emit: (e) => events.push(e),
    }).then((r) => r.exitCode);
  assert.equal(await run('plan'), 2, JSON.stringify(events.filter((e) => e.type === 'task_result')));
  assert.equal(await run('apply'), 0);
  assert.deepEqual(JSON.parse(a.readFile('/var/lib/provd/configs/default') ?? ''), { registrar_main: '10.0.0.1', registrar_backup: '10.0.0.2' });
  assert.equal(await run('plan'), 0);
});
