import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scramMatches, scramVerifier } from '../../../src/ha/scram.js';

test('recognises the password a SCRAM verifier was made from, and only that one', () => {
  const v = scramVerifier('correct horse battery staple');
  assert.match(v, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  assert.equal(scramMatches(v, 'correct horse battery staple'), true);
  assert.equal(scramMatches(v, 'correct horse battery stapler'), false);
});

test('treats a missing or md5 password as not matching', () => {
  assert.equal(scramMatches(null, 'x'), false);
  assert.equal(scramMatches('md5abcdef0123456789', 'x'), false);
});

// That PostgreSQL accepts these verifiers is proven by the provisioning
// integration test, where the replication role logs in with its password.
test('keeps the salt and iteration count it is given', () => {
  const salt = Buffer.from('c2FsdHNhbHRzYWx0c2FsdA==', 'base64');
  const v = scramVerifier('xivo-ha-test', salt, 4096);
  assert.equal(scramMatches(v, 'xivo-ha-test'), true);
  assert.ok(v.startsWith('SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$'));
});
