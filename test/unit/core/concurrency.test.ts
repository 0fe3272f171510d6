// Hosts connect at most MAX_PARALLEL_HANDSHAKES at a time, then all work in
// parallel: 200 handshakes at once stalled past the connect timeout on a
// 2-core machine in the benchmark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limiter } from '../../../src/core/concurrency.js';
import { MAX_PARALLEL_HANDSHAKES, runPlaybooks } from '../../../src/core/runner.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { inventory, play, playbook, task } from '../../helpers/specs.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('a limiter runs at most its limit at once, every call in the end, in arrival order', async () => {
  const run = limiter(3);
  let active = 0;
  let most = 0;
  const started: number[] = [];
  await Promise.all(Array.from({ length: 10 }, (_, i) => run(async () => {
    started.push(i);
    most = Math.max(most, ++active);
    await tick();
    active--;
  })));
  assert.equal(most, 3);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('a limiter frees its slot when a call throws', async () => {
  const run = limiter(1);
  await assert.rejects(run(async () => { throw new Error('refused'); }), /refused/);
  assert.equal(await run(async () => 'next'), 'next');
});

test(`40 hosts connect at most ${MAX_PARALLEL_HANDSHAKES} at a time, and every host runs`, async () => {
  const names = Array.from({ length: 40 }, (_, i) => `h${i}`);
  let connecting = 0;
  let most = 0;
  const hosts = new Map(names.map((n) => [n, new FakeHost(n)]));
  const result = await runPlaybooks({
    command: 'apply',
    inventory: inventory(Object.fromEntries(names.map((n) => [n, {}]))),
    playbooks: [playbook(play([task('marker', 'copy', { content: 'x\n', dest: '/etc/marker' })]))],
    tags: [],
    extraVars: {},
    connect: async (host) => {
      most = Math.max(most, ++connecting);
      await tick();
      connecting--;
      return hosts.get(host.name)!;
    },
    connectOptions: { acceptNew: false },
    emit: () => undefined,
  });
  assert.equal(result.exitCode, 0);
  assert.equal(most, MAX_PARALLEL_HANDSHAKES);
  for (const h of hosts.values()) assert.equal(h.readFile('/etc/marker'), 'x\n');
});
