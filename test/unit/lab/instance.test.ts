import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabInstance } from '../../../src/lab/instance.js';
import { UserError } from '../../../src/core/errors.js';

test('an unset or empty XIVO_HA_LAB_INSTANCE is the default lab 0', () => {
  assert.equal(parseLabInstance(undefined), 0);
  assert.equal(parseLabInstance(''), 0);
});

test('a digit selects that lab instance', () => {
  assert.equal(parseLabInstance('3'), 3);
});

test('anything but one digit is refused with the accepted range', () => {
  for (const bad of ['10', '-1', 'a', ' 1']) {
    assert.throws(() => parseLabInstance(bad), (e: unknown) => e instanceof UserError && /0 .* to 9/.test(String((e as UserError).detail)));
  }
});
