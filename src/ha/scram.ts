// PostgreSQL's SCRAM-SHA-256 password verifier (RFC 5802/7677), as stored in
// pg_authid.rolpassword. Computing it here lets us (1) tell whether a role's
// password already matches without changing it, and (2) send PostgreSQL the
// verifier instead of the password, so no plain password reaches its logs.

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 4096;

export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** True when `verifier` (from pg_authid) was made from `password`. */
export function scramMatches(verifier: string | null | undefined, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier ?? '');
  if (!m) return false;
  const expected = scramVerifier(password, Buffer.from(m[2]!, 'base64'), Number(m[1]));
  const a = Buffer.from(expected);
  const b = Buffer.from(verifier!);
  return a.length === b.length && timingSafeEqual(a, b);
}
