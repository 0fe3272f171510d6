// Turns ssh2 and socket errors into ConnectError reasons an operator can act on.

import { ConnectError } from '../core/errors.js';
import type { InventoryHost } from '../core/model.js';

interface Context {
  timeoutS: number;
  /** Whether TCP connected before the failure (tells "nothing answers" from "not an SSH server"). */
  tcpConnected: boolean;
}

export function describeConnectFailure(host: InventoryHost, err: Error & { level?: string; code?: string }, ctx: Context): ConnectError {
  const where = `${host.address}:${host.port}`;
  const make = (reason: ConnectError['reason'], message: string, detail?: string) =>
    new ConnectError(host.name, reason, message, detail, { cause: err });
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make('dns', `cannot resolve ${host.address} (${err.code})`, 'check the address in the inventory and the DNS');
    case 'ECONNREFUSED':
      return make('refused', `connection refused by ${where}`, 'is sshd running there, on that port?');
    case 'ETIMEDOUT':
      return make('timeout', `no answer from ${where} (TCP connect timed out)`, 'is the host up and reachable? is a firewall dropping SSH?');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return make('other', `${where} is unreachable (${err.code})`, 'check the address and the routes to it');
    case 'ECONNRESET':
    case 'EPIPE':
      return make('closed', `connection to ${where} reset during the SSH handshake`);
  }
  if (err.level === 'client-timeout') {
    return ctx.tcpConnected
      ? make('timeout', `${where} accepted the connection but did not complete an SSH handshake within ${ctx.timeoutS} s`,
          'is it an SSH server? an overloaded sshd (MaxStartups) can also stall; raise ssh.connect_timeout if the host is slow')
      : make('timeout', `no answer from ${where} within ${ctx.timeoutS} s`, 'is the host up and reachable? is a firewall dropping SSH?');
  }
  if (err.level === 'client-authentication') {
    return make('auth', `${host.user}@${where} refused every key offered (${err.message})`,
      `check that the public key of the identity file is in ~${host.user}/.ssh/authorized_keys on the node`);
  }
  return make('other', `SSH to ${where} failed: ${err.message}`);
}
