import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionError, parseOptions } from '../options.js';

test('defaults to 3000 users, a million CEL rows, 5 runs and 3 contrast runs', () => {
  assert.deepEqual(parseOptions([]), { users: 3000, celRows: 1_000_000, runs: 5, runs2016: 3, seed: 1, help: false });
});

test('reads numbers given as separate words or after =, with _ separators', () => {
  const opts = parseOptions(['--users', '500', '--cel=2_000_000', '--runs-2016', '0', '--seed=7']);
  assert.equal(opts.users, 500);
  assert.equal(opts.celRows, 2_000_000);
  assert.equal(opts.runs2016, 0);
  assert.equal(opts.seed, 7);
});

test('rejects unknown options, missing numbers and values below the minimum, naming the option', () => {
  assert.throws(() => parseOptions(['--fast']), (e: unknown) => e instanceof OptionError && /unknown option --fast/.test(e.message));
  assert.throws(() => parseOptions(['--runs']), /--runs needs a number/);
  assert.throws(() => parseOptions(['--runs', '0']), /--runs 0: expected an integer >= 1/);
  assert.throws(() => parseOptions(['--users', '1.5']), /--users 1\.5/);
});
