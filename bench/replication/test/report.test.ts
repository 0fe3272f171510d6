import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatChange, formatRatio, formatSummary, renderReport, summarise, type BenchResults } from '../report.js';

const machine = { cpu: 'Test CPU', cores: 2, memory: '4.0 GiB', kernel: '6.1.0', os: 'Debian 12', postgresql: 'postgres 15.18', python: 'Python 3.11', node: 'v20', commit: 'abc1234', load: '0.1 0.2 0.3' };
const dataset = { users: 3000, seed: 1, replicatedTables: 69, configRows: 70123, celRows: 1_000_000, callLogRows: 125_000, queueLogRows: 200_000, replicatedBytes: 20 * 2 ** 20, excludedBytes: 400 * 2 ** 20, generateConfigSeconds: 5, generateHistorySeconds: 60 };

function results(): BenchResults {
  return {
    date: '2026-01-01T00:00:00Z', machine, options: 'npm run bench:replication', dataset, totalSeconds: 200,
    cases: [
      { id: '1', label: 'config only', runs: [1, 1.2, 1.1].map((s) => ({ seconds: s, dbSeconds: s / 2, rows: 70123 })), verified: 'equal' },
      { id: '2', label: 'config + cel', runs: [1.1, 1.3, 1.2].map((s) => ({ seconds: s, dbSeconds: s / 2, rows: 70123 })), verified: 'equal' },
      { id: '3', label: 'everything', runs: [{ seconds: 24 }, { seconds: 26 }], verified: 'equal' },
    ],
  };
}

test('summarises runs as median, min and max, whatever their order', () => {
  assert.deepEqual(summarise([3, 1, 2]), { median: 2, min: 1, max: 3, count: 3 });
  assert.deepEqual(summarise([4, 1, 2, 3]), { median: 2.5, min: 1, max: 4, count: 4 });
  assert.equal(summarise([]), undefined);
});

test('writes a median with its range, and a lone run without one', () => {
  assert.equal(formatSummary(summarise([1.234, 1.1, 1.5])), '1.23 s (1.10–1.50)');
  assert.equal(formatSummary(summarise([24.56])), '24.6 s');
  assert.equal(formatSummary(undefined), '—');
});

test('states the cost of the excluded history as a signed percentage and the contrast as a ratio', () => {
  assert.equal(formatChange(summarise([2]), summarise([2.1])), '+5 %');
  assert.equal(formatChange(summarise([2]), summarise([1.9])), '−5 %');
  assert.equal(formatRatio(summarise([1.2]), summarise([25])), '21×');
  assert.equal(formatRatio(summarise([2]), summarise([5])), '2.5×');
});

test('the report names the machine, the date, the data volumes and every case with its check', () => {
  const text = renderReport(results());
  assert.match(text, /2026-01-01T00:00:00Z/);
  assert.match(text, /Test CPU, 2 cores, 4\.0 GiB, kernel 6\.1\.0/);
  assert.match(text, /70,123 rows in 69 replicated tables/);
  assert.match(text, /1,000,000 cel/);
  assert.match(text, /\| 1 \| config only \| 3 \| 1\.10 s \(1\.00–1\.20\) \| 0\.55 s \(0\.50–0\.60\) \| 70,123 \|/);
  assert.match(text, /\| 3 \| everything \| 2 \| 25\.0 s \(24\.0–26\.0\) \| — \| — \|/);
  assert.match(text, /change the replication time by \*\*\+9 %\*\*/);
  assert.match(text, /takes \*\*21×\*\* the time of case 2/);
  for (const id of ['1', '2', '3']) assert.match(text, new RegExp(`Case ${id}: equal\\.`));
});

test('the report leaves out the contrast sentence when case 3 was skipped', () => {
  const r = results();
  r.cases = r.cases.filter((c) => c.id !== '3');
  assert.doesNotMatch(renderReport(r), /takes \*\*/);
});
