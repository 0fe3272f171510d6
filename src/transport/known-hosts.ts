// OpenSSH known_hosts files: parse, look a host's key up, record a new one.
// Understands plain and hashed (|1|salt|hash) host fields, [host]:port,
// wildcards and negation, and the @revoked marker (@cert-authority lines are
// skipped: we do not do host certificates).

import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, fstatSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field, split on commas: names, patterns or one |1|salt|hash. */
  hosts: string[];
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { status: 'known'; line: number }
  | { status: 'unknown' }
  /** The host is listed, but with other keys: a changed key (or a different type we refuse to trust silently). */
  | { status: 'mismatch'; line: number; knownType: string }
  | { status: 'revoked'; line: number };

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]?.startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key || !/^[A-Za-z0-9+/]+=*$/.test(key)) return; // OpenSSH skips lines it cannot read, too
    entries.push({ line: i + 1, marker, hosts: hosts.split(','), keyType, key: Buffer.from(key, 'base64') });
  });
  return entries;
}

/** The name OpenSSH looks up: the address, or [address]:port when the port is not 22. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function globMatches(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function hashedMatches(field: string, name: string): boolean {
  const [, magic, salt, hash] = field.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  let matched = false;
  for (const field of entry.hosts) {
    if (field.startsWith('|')) {
      if (hashedMatches(field, name)) matched = true;
    } else if (field.startsWith('!')) {
      if (globMatches(field.slice(1), name)) return false;
    } else if (globMatches(field, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The key type named inside an SSH public key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('ascii');
}

/** As `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function checkHostKey(entries: KnownHostEntry[], name: string, blob: Buffer): HostKeyVerdict {
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, name));
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key.equals(blob));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const listed = mine.filter((e) => e.marker === undefined);
  const same = listed.find((e) => e.key.equals(blob));
  if (same) return { status: 'known', line: same.line };
  const other = listed.find((e) => e.keyType === keyTypeOf(blob)) ?? listed[0];
  return other ? { status: 'mismatch', line: other.line, knownType: other.keyType } : { status: 'unknown' };
}

/** Key types known for a host, to ask the server for those first (as OpenSSH does). */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  return [...new Set(entries.filter((e) => e.marker === undefined && entryMatches(e, name)).map((e) => e.keyType))];
}

export function loadKnownHosts(path: string): KnownHostEntry[] {
  return existsSync(path) ? parseKnownHosts(readFileSync(path, 'utf8')) : [];
}

export function formatKnownHostsLine(name: string, blob: Buffer): string {
  return `${name} ${keyTypeOf(blob)} ${blob.toString('base64')}`;
}

/** Appends the host's key (plain host field), creating the file 0600 and its directory 0700. */
export function recordHostKey(path: string, name: string, blob: Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a+', 0o600);
  try {
    const size = fstatSync(fd).size;
    let lead = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) lead = '\n';
    }
    appendFileSync(fd, `${lead}${formatKnownHostsLine(name, blob)}\n`);
  } finally {
    closeSync(fd);
  }
}
