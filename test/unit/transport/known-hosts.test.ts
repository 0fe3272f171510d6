import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  checkHostKey,
  fingerprint,
  keyTypeOf,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  recordHostKey,
} from '../../../src/transport/known-hosts.js';

/** A fake SSH public key blob: string type, then some key bytes. */
function blob(type: string, seed: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(seed.padEnd(32, '.'))]);
}

function line(hosts: string, key: Buffer): string {
  return `${hosts} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

const ed = blob('ssh-ed25519', 'node-a');
const edOther = blob('ssh-ed25519', 'impostor');
const rsa = blob('ssh-rsa', 'node-a-rsa');
const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-kh-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('names a host as OpenSSH does: bare on port 22, [address]:port otherwise', () => {
  assert.equal(knownHostsName('198.18.0.11', 22), '198.18.0.11');
  assert.equal(knownHostsName('198.18.0.11', 2222), '[198.18.0.11]:2222');
});

test('finds a key listed by plain name among several names, skipping comments and blank lines', () => {
  const entries = parseKnownHosts(`# comment\n\nxivo-a,198.18.0.11 ${ed.toString('base64').replace(/^/, 'ssh-ed25519 ')}\n`);
  assert.equal(entries.length, 1);
  assert.deepEqual(checkHostKey(entries, '198.18.0.11', ed), { status: 'known', line: 3 });
});

test('matches a hashed |1|salt|hash entry, for a port-22 name and a [host]:port name', () => {
  const entries = parseKnownHosts([line(hashed('198.18.0.11'), ed), line(hashed('[198.18.0.12]:2222'), rsa)].join('\n'));
  assert.equal(checkHostKey(entries, '198.18.0.11', ed).status, 'known');
  assert.equal(checkHostKey(entries, '[198.18.0.12]:2222', rsa).status, 'known');
  assert.equal(checkHostKey(entries, '198.18.0.12', rsa).status, 'unknown', 'the port is part of the name');
});

test('reports a different key for a listed host as a mismatch, naming the line', () => {
  const entries = parseKnownHosts(['other ssh-ed25519 AAAA', line('[127.0.0.2]:2222', ed)].join('\n'));
  assert.deepEqual(checkHostKey(entries, '[127.0.0.2]:2222', edOther), { status: 'mismatch', line: 2, knownType: 'ssh-ed25519' });
});

test('treats a key of another type than the listed ones as a mismatch, not as new', () => {
  const entries = parseKnownHosts(line('node', ed));
  assert.equal(checkHostKey(entries, 'node', rsa).status, 'mismatch');
  assert.deepEqual(knownKeyTypes(entries, 'node'), ['ssh-ed25519']);
});

test('honours wildcards and negations in host patterns', () => {
  const entries = parseKnownHosts(line('198.18.0.*,!198.18.0.99', ed));
  assert.equal(checkHostKey(entries, '198.18.0.42', ed).status, 'known');
  assert.equal(checkHostKey(entries, '198.18.0.99', ed).status, 'unknown');
  assert.equal(checkHostKey(entries, '198.18.1.42', ed).status, 'unknown');
});

test('refuses a key marked @revoked and ignores @cert-authority lines', () => {
  const entries = parseKnownHosts([`@revoked ${line('*', edOther)}`, `@cert-authority ${line('node', rsa)}`, line('node', ed)].join('\n'));
  assert.equal(checkHostKey(entries, 'node', edOther).status, 'revoked');
  assert.equal(checkHostKey(entries, 'node', rsa).status, 'mismatch');
  assert.equal(checkHostKey(entries, 'node', ed).status, 'known');
});

test('records a key in a new file created 0600, and appends after a line without newline', () => {
  const fresh = join(dir, 'sub', 'known_hosts');
  recordHostKey(fresh, '[127.0.0.2]:2222', ed);
  assert.equal(statSync(fresh).mode & 0o777, 0o600);
  assert.equal(readFileSync(fresh, 'utf8'), `${line('[127.0.0.2]:2222', ed)}\n`);
  const existing = join(dir, 'existing');
  writeFileSync(existing, line('old', rsa));
  recordHostKey(existing, 'new', ed);
  assert.deepEqual(parseKnownHosts(readFileSync(existing, 'utf8')).map((e) => e.hosts[0]), ['old', 'new']);
});

test('prints fingerprints as ssh-keygen -l does', () => {
  assert.match(fingerprint(ed), /^SHA256:[A-Za-z0-9+/]{43}$/);
});
