import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlaybooks, type RunRequest } from '../../../src/core/runner.js';
import type { RunEvent } from '../../../src/core/events.js';
import { Secret } from '../../../src/core/secret.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { handler, inventory, play, playbook, task } from '../../helpers/specs.js';
import type { Playbook, Inventory } from '../../../src/core/model.js';

interface Harness {
  hosts: Map<string, FakeHost>;
  events: RunEvent[];
  run(command: 'plan' | 'apply', extra?: Partial<RunRequest>): Promise<number>;
}

function harness(inv: Inventory, pb: Playbook, hosts: FakeHost[]): Harness {
  const map = new Map(hosts.map((h) => [h.host, h]));
  const events: RunEvent[] = [];
  return {
    hosts: map,
    events,
    async run(command, extra = {}) {
      events.length = 0;
      const result = await runPlaybooks({
        command,
        inventory: inv,
        playbooks: [pb],
        tags: [],
        extraVars: {},
        connect: async (h) => map.get(h.name)!,
        connectOptions: { acceptNew: false },
        emit: (e) => events.push(e),
        ...extra,
      });
      return result.exitCode;
    },
  };
}

const summaries = (events: RunEvent[]) => Object.fromEntries(events.filter((e) => e.type === 'host_summary').map((e) => [e.host, e]));

test('plans a differing file, applies it, and the next plan is empty', async () => {
  const a = new FakeHost('a').writeFile('/etc/motd', 'old\n');
  const h = harness(inventory({ a: {} }), playbook(play([task('motd', 'copy', { dest: '/etc/motd', content: 'new\n' })])), [a]);
  assert.equal(await h.run('plan'), 2, 'changes pending');
  const planned = h.events.find((e) => e.type === 'task_result');
  assert.ok(planned && planned.type === 'task_result' && planned.status === 'pending');
  assert.match(planned.changes[0]!.diff ?? '', /-old\n\+new/);
  assert.equal(a.readFile('/etc/motd'), 'old\n', 'a dry run writes nothing');

  assert.equal(await h.run('apply'), 0);
  assert.equal(a.readFile('/etc/motd'), 'new\n');
  assert.equal(await h.run('plan', {}), 0);
  assert.equal(summaries(h.events).a!.pending, 0);
});

test('exits 2 from plan when changes are pending and 3 when a host fails', async () => {
  const a = new FakeHost('a');
  const b = new FakeHost('b');
  b.failApplyAt = 1;
  const h = harness(inventory({ a: {}, b: {} }), playbook(play([task('f', 'copy', { dest: '/x', content: 'x' })])), [a, b]);
  assert.equal(await h.run('plan'), 2);
  assert.equal(await h.run('apply'), 3);
  assert.equal(a.readFile('/x'), 'x', 'the healthy host finished despite the failing one');
  assert.equal(summaries(h.events).b!.failed, 1);
});

test('gathers every host in one probe round trip when arguments are known up front', async () => {
  const a = new FakeHost('a');
  const tasks = Array.from({ length: 10 }, (_, i) => task(`f${i}`, 'copy', { dest: `/f${i}`, content: `${i}` }));
  const h = harness(inventory({ a: {} }), playbook(play(tasks)), [a]);
  await h.run('plan');
  // One for the pending-handlers record, one for the play.
  assert.equal(a.probeRoundTrips, 2);
});

test('runs notified handlers once, at the end of the play, in definition order', async () => {
  const order: string[] = [];
  const a = new FakeHost('a', (argv) => {
    order.push(argv.join(' '));
    return { rc: 0, stdout: '', stderr: '' };
  });
  const pb = playbook(
    play(
      [
        task('one', 'copy', { dest: '/1', content: '1' }, { notify: ['second', 'first'] }),
        task('two', 'copy', { dest: '/2', content: '2' }, { notify: ['second'] }),
        task('three', 'copy', { dest: '/3', content: '3' }, { notify: ['unchanged'] }),
      ],
      {
        handlers: [
          handler('first', 'command', { argv: ['echo', 'first'] }),
          handler('second', 'command', { argv: ['echo', 'second'] }),
          handler('unchanged', 'command', { argv: ['echo', 'never'] }),
        ],
      },
    ),
  );
  a.writeFile('/3', '3');
  const h = harness(inventory({ a: {} }), pb, [a]);
  assert.equal(await h.run('apply'), 0);
  assert.deepEqual(order, ['echo first', 'echo second']);
});

test('runs every handler listening to a notified topic, in definition order', async () => {
  const order: string[] = [];
  const a = new FakeHost('a', (argv) => {
    order.push(argv.join(' '));
    return { rc: 0, stdout: '', stderr: '' };
  });
  const pb = playbook(
    play([task('conf', 'copy', { dest: '/conf', content: 'x' }, { notify: ['config changed'] })], {
      handlers: [
        handler('log', 'command', { argv: ['echo', 'log'] }, { listen: ['config changed'] }),
        handler('unrelated', 'command', { argv: ['echo', 'never'] }),
        handler('reload', 'command', { argv: ['echo', 'reload'] }, { listen: ['config changed'] }),
      ],
    }),
  );
  const h = harness(inventory({ a: {} }), pb, [a]);
  assert.equal(await h.run('apply'), 0);
  assert.deepEqual(order, ['echo log', 'echo reload']);
});

test('fires on the next run the handlers a host owed when it failed after notifying', async () => {
  let failNext = true;
  const ran: string[] = [];
  const a = new FakeHost('a', (argv) => {
    if (argv[0] === 'false-once' && failNext) {
      failNext = false;
      return { rc: 1, stdout: '', stderr: 'boom' };
    }
    ran.push(argv.join(' '));
    return { rc: 0, stdout: '', stderr: '' };
  });
  const pb = playbook(
    play([task('config', 'copy', { dest: '/etc/svc.conf', content: 'v2' }, { notify: ['restart svc'] }), task('breaks', 'command', { argv: ['false-once'] })], {
      handlers: [handler('restart svc', 'command', { argv: ['restart', 'svc'] })],
    }),
  );
  a.writeFile('/etc/svc.conf', 'v1');
  const h = harness(inventory({ a: {} }), pb, [a]);
  assert.equal(await h.run('apply'), 3);
  assert.equal(ran.length, 0, 'the handler did not run in the failed run');
  assert.match(a.readFile('/var/lib/xivo-ha/pending-handlers.json') ?? '', /restart svc/);

  assert.equal(await h.run('apply'), 0);
  assert.ok(ran.includes('restart svc'), 'the owed handler ran on the next run');
  assert.ok(h.events.some((e) => e.type === 'handlers_resumed'));
  assert.equal(a.readFile('/var/lib/xivo-ha/pending-handlers.json'), undefined, 'the debt is cleared');
});

test('shows a value registered on another host as known after apply, and uses it when applying', async () => {
  const master = new FakeHost('master', (argv) => ({ rc: 0, stdout: argv[0] === 'make-key' ? 'ssh-ed25519 AAAA master' : '', stderr: '' }));
  const slave = new FakeHost('slave');
  const pb = playbook(
    play([task('key', 'command', { argv: ['make-key'] }, { register: 'key' })], { hosts: 'master' }),
    play([task('authorise', 'copy', { dest: '/root/key', content: "{{ hostvars['master'].key.stdout }}\n" })], { hosts: 'slave' }),
  );
  const h = harness(inventory({ master: {}, slave: {} }), pb, [master, slave]);
  assert.equal(await h.run('plan'), 2);
  const deferred = h.events.find((e) => e.type === 'task_result' && e.host === 'slave');
  assert.ok(deferred && deferred.type === 'task_result');
  assert.equal(deferred.status, 'pending');
  assert.equal(deferred.changes[0]!.knownAfterApply, true);

  assert.equal(await h.run('apply'), 0);
  assert.equal(slave.readFile('/root/key'), 'ssh-ed25519 AAAA master\n');
});

test('plans a link to a file whose template is known only after apply as known after apply too', async () => {
  const a = new FakeHost('a', (argv) => ({ rc: 0, stdout: argv[0] === 'cat' ? 'hello' : '', stderr: '' }));
  const pb = playbook(play([
    task('read', 'command', { argv: ['cat', '/etc/motd'] }, { register: 'motd', changedWhen: ['false'] }),
    task('render', 'copy', { dest: '/etc/app.conf', content: '{{ motd.stdout }}\n' }),
    task('link', 'file', { src: 'app.conf', dest: '/etc/current.conf', state: 'link' }),
    task('sibling', 'copy', { dest: '/etc/other.conf', content: 'x\n' }),
  ]));
  const h = harness(inventory({ a: {} }), pb, [a]);
  assert.equal(await h.run('plan'), 2, 'no failure: the link waits for the file');
  const link = h.events.find((e) => e.type === 'task_result' && e.task === 'link');
  assert.ok(link && link.type === 'task_result');
  assert.equal(link.status, 'pending');
  assert.equal(link.changes[0]!.knownAfterApply, true);
  const sibling = h.events.find((e) => e.type === 'task_result' && e.task === 'sibling');
  assert.ok(sibling && sibling.type === 'task_result' && sibling.changes[0]?.knownAfterApply !== true, 'a file beside it is planned as usual');

  assert.equal(await h.run('apply'), 0);
  assert.equal(a.readFile('/etc/app.conf'), 'hello\n');
});

test('writes nothing on a host when a later task cannot be rendered', async () => {
  const a = new FakeHost('a');
  const pb = playbook(play([task('first', 'copy', { dest: '/first', content: 'x' }), task('second', 'copy', { dest: '/second', content: '{{ not_defined_anywhere }}' })]));
  const h = harness(inventory({ a: {} }), pb, [a]);
  assert.equal(await h.run('apply'), 3);
  assert.equal(a.readFile('/first'), undefined);
  assert.equal(a.applyRoundTrips, 0);
  const failed = h.events.find((e) => e.type === 'host_failed');
  assert.ok(failed && failed.type === 'host_failed' && /not_defined_anywhere/.test(failed.message));
});

test("skips, without rendering them, the arguments of a task whose `when: x is defined` is false", async () => {
  const a = new FakeHost('a').writeFile('/etc/auth.json', 'stale\n');
  const pb = playbook(play([
    task('credentials', 'copy', { dest: '/etc/auth.json', content: '{{ password }}' }, { when: ['password is defined'] }),
    task('no credentials', 'file', { path: '/etc/auth.json', state: 'absent' }, { when: ['password is not defined'] }),
  ]));
  const h = harness(inventory({ a: {} }), pb, [a]);
  assert.equal(await h.run('apply'), 0);
  assert.equal(a.readFile('/etc/auth.json'), undefined);
  assert.deepEqual(h.events.filter((e) => e.type === 'task_result').map((e) => e.type === 'task_result' && e.status), ['skipped', 'changed']);
});

test('hides a secret from every event, including diffs', async () => {
  const secretValue = 'canary-5f1c9d2e-secret';
  const a = new FakeHost('a').writeFile('/etc/turn.conf', 'static-auth-secret=old-value\n');
  const inv = inventory({ a: { turn_secret: new Secret(secretValue, 'turn_secret') } });
  const pb = playbook(play([task('turn', 'copy', { dest: '/etc/turn.conf', content: 'static-auth-secret={{ turn_secret }}\n' })]));
  const h = harness(inv, pb, [a]);
  await h.run('plan');
  const text = JSON.stringify(h.events);
  assert.ok(!text.includes(secretValue), 'the secret is not in any event');
  assert.match(text, /sensitive content hidden/);
  await h.run('apply');
  assert.equal(a.readFile('/etc/turn.conf'), `static-auth-secret=${secretValue}\n`);
  assert.ok(!JSON.stringify(h.events).includes(secretValue));
});

test('refuses a host whose run lock is held, naming the holder', async () => {
  const a = new FakeHost('a');
  a.lockedBy = 'xivo-ha apply by ops@desk pid 42';
  const h = harness(inventory({ a: {} }), playbook(play([task('f', 'copy', { dest: '/x', content: 'x' })])), [a]);
  assert.equal(await h.run('apply'), 3);
  const failed = h.events.find((e) => e.type === 'host_failed');
  assert.ok(failed && failed.type === 'host_failed' && failed.message.includes('ops@desk pid 42'));
  assert.equal(a.readFile('/x'), undefined);
});

test('keeps its lock and owed handlers in the host\'s own state directory when one is set', async () => {
  const a = new FakeHost('a', (argv) => ({ rc: argv[0] === 'fail' ? 1 : 0, stdout: '', stderr: '' }));
  const pb = playbook(
    play([task('config', 'copy', { dest: '/tmp/svc.conf', content: 'v2' }, { notify: ['restart'] }), task('breaks', 'command', { argv: ['fail'] })], {
      handlers: [handler('restart', 'command', { argv: ['restart'] })],
    }),
  );
  const h = harness(inventory({ a: { xivo_ha_state_dir: '/tmp/state-a' } }), pb, [a]);
  assert.equal(await h.run('apply'), 3);
  assert.equal(a.lockPath, '/tmp/state-a/lock');
  assert.match(a.readFile('/tmp/state-a/pending-handlers.json') ?? '', /restart/);
  assert.equal(a.readFile('/var/lib/xivo-ha/pending-handlers.json'), undefined);
});
