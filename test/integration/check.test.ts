// Issue 4 acceptance 4: `xivo-ha check` passes in a correct lab and names
// the reason of each broken prerequisite; `apply` refuses while one fails
// unless it is skipped by name. Each scenario restores what it broke.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { RUNNER_ADDRESS, addressPattern as re, ensureLab, execOk, nodeAddress, provisionedPair } from '../helpers/lab.js';
import { events, xivoHa } from '../helpers/xivo-ha-cli.js';

let inventory: string;

interface CheckEvent {
  name: string;
  group: string;
  ok: boolean;
  skipped: boolean;
  message: string;
  fix?: string;
}

async function check(): Promise<{ code: number; results: Map<string, CheckEvent> }> {
  const r = await xivoHa(['check', '-i', inventory, '--json'], 60_000);
  const results = new Map(events(r.stdout).filter((e) => e.type === 'check_result').map((e) => [e['name'] as string, e as unknown as CheckEvent]));
  return { code: r.code, results };
}

/** Breaks something, checks that exactly that check fails with its reason, restores. */
async function brokenPrerequisite(name: string, breakIt: () => Promise<unknown>, restore: () => Promise<unknown>, reason: RegExp): Promise<void> {
  await breakIt();
  try {
    const { code, results } = await check();
    assert.notEqual(code, 0);
    const result = results.get(name);
    assert.ok(result, `no result for ${name}`);
    assert.equal(result.ok, false, `${name} passed: ${result.message}`);
    assert.match(result.message, reason);
    assert.ok(result.fix, `${name} says what to do`);
  } finally {
    await restore();
  }
}

const psqlOn = (node: string, sql: string) => execOk(node, ['runuser', '-u', 'postgres', '--', 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', 'asterisk', '-c', sql]);

before(async () => {
  await ensureLab(['master', 'slave']);
  inventory = await provisionedPair();
});

test('check passes every prerequisite and health item in a correct lab', async () => {
  const { code, results } = await check();
  assert.deepEqual([...results.values()].filter((r) => !r.ok), []);
  assert.deepEqual([...results.keys()], ['ssh', 'same-subnet', 'slave-pings-master', 'sip-expiry', 'slave-no-provd-plugins', 'same-version', 'master-reaches-slave-db', 'replication-key']);
  assert.equal(code, 0);
});

test('names a node whose address is in another subnet', async () => {
  // The master's address on a /30 (.8-.11 of the lab's subnet): the slave's .12 is outside. A host route keeps the runner reachable.
  const ip = (...args: string[]) => execOk('master', ['ip', ...args]);
  await brokenPrerequisite(
    'same-subnet',
    async () => {
      await ip('addr', 'add', `${nodeAddress('master')}/30`, 'dev', 'eth0', 'noprefixroute');
      await ip('addr', 'del', `${nodeAddress('master')}/24`, 'dev', 'eth0');
      await ip('route', 'add', `${RUNNER_ADDRESS}/32`, 'dev', 'eth0');
    },
    async () => {
      await ip('addr', 'add', `${nodeAddress('master')}/24`, 'dev', 'eth0');
      await ip('addr', 'del', `${nodeAddress('master')}/30`, 'dev', 'eth0');
      await execOk('master', ['sh', '-c', `ip route del ${RUNNER_ADDRESS}/32 dev eth0 || true`]);
    },
    new RegExp(`slave \\(${re(nodeAddress('slave'))}\\) is outside master's subnet ${re(nodeAddress('master'))}/30`),
  );
});

test('names ICMP dropped between the slave and the master', async () => {
  await brokenPrerequisite(
    'slave-pings-master',
    async () => {
      await execOk('master', ['nft', 'add', 'table', 'inet', 'xivo_ha_check_test']);
      await execOk('master', ['nft', 'add chain inet xivo_ha_check_test input { type filter hook input priority 0; }']);
      await execOk('master', ['nft', 'add', 'rule', 'inet', 'xivo_ha_check_test', 'input', 'ip', 'protocol', 'icmp', 'drop']);
    },
    () => execOk('master', ['nft', 'delete', 'table', 'inet', 'xivo_ha_check_test']),
    new RegExp(`slave gets no ICMP echo reply from ${re(nodeAddress('master'))}`),
  );
});

test('names a trunk registration expiry of 600 s, and the setting it read', async () => {
  const sql = (value: number) => `UPDATE staticsip SET var_val = '${value}' WHERE filename = 'sip.conf' AND category = 'general' AND var_name = 'defaultexpiry'`;
  await brokenPrerequisite('sip-expiry', () => psqlOn('master', sql(600)), () => psqlOn('master', sql(240)), /defaultexpiry \(staticsip, sip\.conf \[general\]\) is 600 s/);
});

test('names a provisioning plugin on the slave, and apply refuses until it is skipped by name', async () => {
  const plugin = '/var/lib/xivo-provd/plugins/xivo-aastra-4.3.0';
  await execOk('slave', ['mkdir', '-p', plugin]);
  try {
    const { results } = await check();
    assert.match(results.get('slave-no-provd-plugins')!.message, /slave has provisioning plugins: xivo-aastra-4\.3\.0/);

    const refused = await xivoHa(['apply', '-i', inventory]);
    const refusedText = refused.stdout + refused.stderr;
    assert.equal(refused.code, 1);
    assert.match(refusedText, /FAIL slave-no-provd-plugins/);
    assert.match(refusedText, /apply refused: 1 prerequisite check\(s\) failed \(slave-no-provd-plugins\); nothing was changed/);

    const skipped = await xivoHa(['apply', '-i', inventory, '--skip-check', 'slave-no-provd-plugins']);
    const skippedText = skipped.stdout + skipped.stderr;
    assert.equal(skipped.code, 0, skippedText);
    assert.match(skippedText, /prerequisite check "slave-no-provd-plugins" SKIPPED on request/);

    const typo = await xivoHa(['apply', '-i', inventory, '--skip-check', 'no-such-check']);
    assert.equal(typo.code, 1);
    assert.match(typo.stdout + typo.stderr, /--skip-check no-such-check: no such prerequisite check/);
  } finally {
    await execOk('slave', ['rm', '-rf', plugin]);
  }
});

test('names a database schema version that differs between master and slave', async () => {
  const original = (await psqlOn('slave', 'SELECT version_num FROM alembic_version')).trim();
  await brokenPrerequisite(
    'same-version',
    () => psqlOn('slave', `UPDATE alembic_version SET version_num = 'ffff00000000'`),
    () => psqlOn('slave', `UPDATE alembic_version SET version_num = '${original}'`),
    new RegExp(`master: XiVO [^;]+, schema ${original}; slave: XiVO [^;]+, schema ffff00000000`),
  );
});
