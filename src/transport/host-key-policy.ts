// Strict host key checking, OpenSSH's way: a known key passes, an unknown one
// is refused unless --accept-new (then recorded), a changed or revoked one is
// always refused. The refusal is kept so the caller can report it instead of
// ssh2's generic "verification failed".

import { ConnectError } from '../core/errors.js';
import type { InventoryHost } from '../core/model.js';
import { checkHostKey, fingerprint, keyTypeOf, knownHostsName, loadKnownHosts, recordHostKey } from './known-hosts.js';
import { quoteArgv } from './shell.js';

/** Verifies (and with acceptNew records) the server's key; remembers why it refused. */
export function hostKeyVerifier(host: InventoryHost, knownHostsPath: string, acceptNew: boolean, onProblem: (p: ConnectError) => void) {
  const name = knownHostsName(host.address, host.port);
  return (blob: Buffer): boolean => {
    const verdict = checkHostKey(loadKnownHosts(knownHostsPath), name, blob);
    const offered = `${keyTypeOf(blob)} key ${fingerprint(blob)}`;
    switch (verdict.status) {
      case 'known':
        return true;
      case 'unknown':
        if (acceptNew) {
          recordHostKey(knownHostsPath, name, blob);
          return true;
        }
        onProblem(new ConnectError(host.name, 'host-key-unknown', `host key not known: ${name} offers the ${offered}`,
          `verify it out of band, then run again with --accept-new to record it in ${knownHostsPath}, or add the key there yourself`));
        return false;
      case 'revoked':
        onProblem(new ConnectError(host.name, 'host-key-mismatch', `host key REVOKED: ${name} offers the ${offered}, marked @revoked in ${knownHostsPath}:${verdict.line}`,
          'this key must not be trusted; find out why the host presents it'));
        return false;
      case 'mismatch':
        onProblem(new ConnectError(host.name, 'host-key-mismatch',
          `host key CHANGED: ${name} offers the ${offered}, but ${knownHostsPath}:${verdict.line} holds a different ${verdict.knownType} key`,
          'someone may be intercepting the connection, or the host was reinstalled. If you know why it changed, remove the old line ' +
            `(${quoteArgv(['ssh-keygen', '-R', name, '-f', knownHostsPath])}) and run again with --accept-new. --accept-new alone never replaces a changed key.`));
        return false;
    }
  };
}
