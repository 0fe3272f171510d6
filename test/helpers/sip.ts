// A SIP OPTIONS probe sent from the runner itself, which sits on the lab's
// bridge (RUNNER_ADDRESS) like a phone on the LAN: it sees a cut link or a
// stopped responder exactly as a phone would. It replaces starting the
// python lab-sip client in a node through nsenter for every sample: the
// failover and maintenance tests sample both nodes every half second for
// minutes, and each such start cost about 0.1 s of CPU on 2 busy cores.
// lab-sip stays for what must be seen from a node (node-to-node SIP).

import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { findNode } from '../../src/lab/topology.js';

const SIP_PORT = 5060;

/** The OPTIONS request lab-sip sends (src/lab/assets/lab-sip), from this socket's address. */
function optionsRequest(host: string, me: string, myPort: number, callId: string): Buffer {
  const tag = randomBytes(4).toString('hex');
  const branch = randomBytes(6).toString('hex');
  return Buffer.from(
    [
      `OPTIONS sip:${host}:${SIP_PORT} SIP/2.0`,
      `Via: SIP/2.0/UDP ${me}:${myPort};branch=z9hG4bK${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:lab-probe@${me}>;tag=${tag}`,
      `To: <sip:lab-probe@${host}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS',
      `Contact: <sip:lab-probe@${me}:${myPort}>`,
      'User-Agent: xivo-ha-test',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

/**
 * True when `address` answers a SIP OPTIONS with 200 within timeoutMs. Each
 * probe uses a fresh socket and Call-ID, so a late answer to an earlier probe
 * is never taken for this one.
 */
export function sipOptionsAnswers(address: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const callId = `${randomBytes(12).toString('hex')}@xivo-ha-test`;
    let settled = false;
    const finish = (answered: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(false));
    socket.on('message', (msg) => {
      const text = msg.toString('utf8');
      if (text.includes(callId) && text.startsWith('SIP/2.0 200')) finish(true);
    });
    socket.connect(SIP_PORT, address, () => {
      const local = socket.address();
      socket.send(optionsRequest(address, local.address, local.port, callId), (err) => {
        if (err) finish(false);
      });
    });
  });
}

/** Whether lab node `node` answers SIP, seen from the runner on the lab bridge (no process started). */
export function nodeAnswersSip(node: string, timeoutSeconds = 1): Promise<boolean> {
  return sipOptionsAnswers(findNode(node).address, timeoutSeconds * 1000);
}
