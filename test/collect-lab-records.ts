// Run by test/run.mjs before a lab goes down (with that lab's
// XIVO_HA_LAB_INSTANCE and the suite's XIVO_HA_TEST_RECORD_DIR): registers
// the secrets still on the running nodes and copies each node's logs (its
// journal and the text logs under /var/log, PostgreSQL's included) into the
// record directory, for the whole suite's secret scan (test/secret-scan.mjs).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execOn, registerNodeSecrets } from './helpers/lab.js';
import { labStatus } from '../src/lab/lab.js';

const NODE_LOGS = `journalctl -o short-iso --no-pager 2>/dev/null
find /var/log -type f -name '*.log*' ! -name '*.gz' -exec sh -c 'echo "##### $1"; cat "$1"' _ {} \\; 2>/dev/null`;

const recordDir = process.env['XIVO_HA_TEST_RECORD_DIR'];
if (!recordDir) throw new Error('XIVO_HA_TEST_RECORD_DIR is not set: test/run.mjs sets it');
const instance = process.env['XIVO_HA_LAB_INSTANCE'] ?? '0';
const running = ((await labStatus()) ?? []).filter((n) => n.running).map((n) => n.name);
await registerNodeSecrets(running);
for (const node of running) {
  const logs = await execOn(node, ['sh', '-c', NODE_LOGS], { timeoutMs: 120_000 });
  writeFileSync(join(recordDir, `node-logs-${instance}-${node}.log`), logs.stdout, { mode: 0o600 });
}
process.stdout.write(`lab instance ${instance}: the secrets and logs of ${running.length} running node(s) collected\n`);
