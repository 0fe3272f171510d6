import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryHost } from '../../../src/core/model.js';
import { describeConnectFailure } from '../../../src/transport/connect-errors.js';
import { exitCode, execArgvWithEnv } from '../../../src/transport/exec-argv.js';

const host: InventoryHost = { name: 'master', address: '198.18.0.11', port: 22, user: 'root', connectTimeoutS: 10, vars: {}, groups: [] };

function failure(props: { code?: string; level?: string; message?: string }, tcpConnected = false) {
  const err = Object.assign(new Error(props.message ?? 'x'), props);
  return describeConnectFailure(host, err, { timeoutS: 10, tcpConnected });
}

test('names the reason an operator can act on for each socket and ssh2 failure', () => {
  const table: [Parameters<typeof failure>[0], boolean, string, RegExp][] = [
    [{ code: 'ENOTFOUND' }, false, 'dns', /cannot resolve 198.18.0.11/],
    [{ code: 'EAI_AGAIN' }, false, 'dns', /cannot resolve/],
    [{ code: 'ECONNREFUSED' }, false, 'refused', /refused by 198.18.0.11:22/],
    [{ code: 'ETIMEDOUT' }, false, 'timeout', /TCP connect timed out/],
    [{ level: 'client-timeout' }, false, 'timeout', /no answer from 198.18.0.11:22 within 10 s/],
    [{ level: 'client-timeout' }, true, 'timeout', /accepted the connection but did not complete an SSH handshake within 10 s/],
    [{ level: 'client-authentication', message: 'All configured authentication methods failed' }, true, 'auth', /root@198.18.0.11:22 refused every key/],
    [{ code: 'ECONNRESET' }, true, 'closed', /reset/],
    [{ level: 'protocol', message: 'Bad packet length' }, true, 'other', /Bad packet length/],
  ];
  for (const [props, tcp, reason, message] of table) {
    const e = failure(props, tcp);
    assert.equal(e.reason, reason, JSON.stringify(props));
    assert.match(e.message, message);
    assert.match(e.message, /^master: /);
  }
});

test('passes environment variables through env(1) and refuses names a shell would misread', () => {
  assert.deepEqual(execArgvWithEnv(['psql'], { PGAPPNAME: 'xivo ha' }), ['env', 'PGAPPNAME=xivo ha', 'psql']);
  assert.deepEqual(execArgvWithEnv(['true']), ['true']);
  assert.throws(() => execArgvWithEnv(['true'], { 'A B': '1' }), /not an environment variable name/);
});

test('reports a process killed by a signal as 128 + its number, like a shell', () => {
  assert.equal(exitCode(3), 3);
  assert.equal(exitCode(null, 'KILL'), 137);
  assert.equal(exitCode(null, 'SIGTERM'), 143);
});
