// The schedule and its time budget: which runs are planned, what they are
// expected to cost from what was measured, and which the budget drops.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetDrops, convergesNeeded, describeDrops, estimateRun, planRuns, projectSeconds } from '../lib/schedule.mjs';

const ALL = ['ansible', 'mitogen', 'xivo-ha'];
const targets = (...counts) => counts.map((n) => ({ n, hosts: n }));
const key = (p) => `${p.n}${p.case}${p.run}:${p.tool}`;

test('plans every case run by run with the tools rotating, and only xivo-ha above 10 hosts', () => {
  const { planned, skipped } = planRuns(targets(2, 50), ['a', 'b'], ALL, { runs: 2, full: false });
  assert.deepEqual(planned.map(key), [
    '2a1:ansible', '2a1:mitogen', '2a1:xivo-ha', '2a2:mitogen', '2a2:xivo-ha', '2a2:ansible',
    '2b1:ansible', '2b1:mitogen', '2b1:xivo-ha', '2b2:mitogen', '2b2:xivo-ha', '2b2:ansible',
    '50a1:xivo-ha', '50b1:xivo-ha',
  ]);
  assert.deepEqual(skipped.map((s) => `${s.n}${s.case}:${s.tool}`), ['50a:ansible', '50a:mitogen', '50b:ansible', '50b:mitogen']);
});

test('estimates a run from the mean of the tool\'s runs at that count, else scaled by hosts from the nearest count', () => {
  const samples = [
    { n: 2, hosts: 2, tool: 'ansible', seconds: 40 },
    { n: 2, hosts: 2, tool: 'ansible', seconds: 50 },
    { n: 50, hosts: 50, tool: 'ansible', seconds: 1000 },
  ];
  assert.equal(estimateRun(samples, 'ansible', 2, 2), 45);
  assert.equal(estimateRun(samples, 'ansible', 10, 10), 225);
  assert.equal(estimateRun(samples, 'ansible', 'lab', 2), 45);
  assert.equal(estimateRun(samples, 'ansible', 40, 40), 800);
  assert.equal(estimateRun(samples, 'mitogen', 2, 2), undefined);
});

test('counts a converge apply before a (b) after a (c) and before the first run of a count without an (a)', () => {
  const run = (n, c) => ({ n, hosts: n, case: c, tool: 'ansible', run: 1 });
  assert.deepEqual(convergesNeeded([run(2, 'a'), run(2, 'b'), run(2, 'c'), run(2, 'c')], 'unknown'), [false, false, false, false]);
  assert.deepEqual(convergesNeeded([run(2, 'c'), run(2, 'b'), run(10, 'b')], 'converged'), [false, true, true]);
  assert.deepEqual(convergesNeeded([run(2, 'b')], 'unknown'), [true]);
  const samples = [{ n: 2, hosts: 2, tool: 'ansible', seconds: 10 }];
  assert.equal(projectSeconds([run(2, 'c'), run(2, 'b')], samples, 'converged'), 30);
});

/** Run 1 of (a) measured at 2 hosts with every tool, as on this machine; everything after it pending. */
function afterFirstRuns() {
  const { planned } = planRuns(targets(2, 10), ['a', 'b', 'c'], ALL, { runs: 3, full: false });
  const samples = [
    { n: 2, hosts: 2, tool: 'ansible', seconds: 46 },
    { n: 2, hosts: 2, tool: 'mitogen', seconds: 23 },
    { n: 2, hosts: 2, tool: 'xivo-ha', seconds: 0.9 },
  ];
  return { pending: planned.slice(3), samples, state: 'converged' };
}

test('drops nothing without a budget or when the projection fits it', () => {
  const s = afterFirstRuns();
  assert.deepEqual(budgetDrops({ ...s, elapsedSeconds: 60, budgetSeconds: undefined }).dropped, []);
  const fits = budgetDrops({ ...s, elapsedSeconds: 60, budgetSeconds: 3 * 3600 });
  assert.deepEqual(fits.dropped, []);
  assert.equal(fits.after, fits.projected);
});

test('over budget, drops the costliest tool\'s last runs at this count first, and only as many as needed', () => {
  const s = afterFirstRuns();
  const projected = projectSeconds(s.pending, s.samples, s.state);
  // Room for all but ~100 s: two of Ansible's runs at 46 s, then one more to fit.
  const r = budgetDrops({ ...s, elapsedSeconds: 60, budgetSeconds: 60 + projected - 100 });
  assert.deepEqual(r.dropped.map((d) => key(d.run)), ['2c3:ansible', '2b3:ansible', '2a3:ansible']);
  assert.deepEqual(r.dropped.map((d) => d.estimate), [46, 46, 46]);
  assert.equal(r.after, projected - 138);
});

test('keeps one run of every case of every tool, and never drops runs too cheap to matter', () => {
  const s = afterFirstRuns();
  const r = budgetDrops({ ...s, elapsedSeconds: 60, budgetSeconds: 600 });
  const dropped = r.dropped.map((d) => key(d.run));
  // Every run 2 and 3 of Ansible, then of Mitogen, at 2 hosts; nothing at 10 hosts, nothing of xivo-ha.
  assert.deepEqual(dropped, [
    '2c3:ansible', '2b3:ansible', '2a3:ansible', '2c2:ansible', '2b2:ansible', '2a2:ansible',
    '2c3:mitogen', '2b3:mitogen', '2a3:mitogen', '2c2:mitogen', '2b2:mitogen', '2a2:mitogen',
  ]);
  const kept = s.pending.filter((p) => !r.dropped.some((d) => d.run === p));
  for (const tool of ALL) for (const c of ['b', 'c']) assert.ok(kept.some((p) => p.n === 2 && p.tool === tool && p.case === c), `${tool} ${c}`);
  assert.ok(kept.filter((p) => p.n === 2 && p.tool === 'xivo-ha').length === 8);
  assert.ok(r.after > 600 - 60, 'still over: the rest is decided at 10 hosts');
});

test('says which runs were dropped, on what estimate, against which budget', () => {
  const s = afterFirstRuns();
  const r = budgetDrops({ ...s, elapsedSeconds: 180, budgetSeconds: 1200 });
  const entries = describeDrops(r.dropped, { elapsedSeconds: 180, projected: r.projected, after: r.after, budgetSeconds: 1200, samples: s.samples });
  assert.equal(entries.length, 2);
  assert.equal(entries[0].what, 'N=2 Ansible, 6 timed runs (a: runs 2–3; b: runs 2–3; c: runs 2–3)');
  assert.match(entries[0].why, /^dropped by the 20\.0 min time budget: after 3\.0 min, the runs left were projected at \d+\.\d min \(Ansible at N=2 ≈ 46\.0 s a run, the mean of 1 run there\); \d+\.\d min without these$/);
  assert.match(entries[1].what, /^N=2 Ansible\+Mitogen, 6 timed runs/);
});
