import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadInventory } from '../../../src/load/inventory.js';
import { Secret } from '../../../src/core/secret.js';
import { inventoryProblems, problems, Workdir, MINIMAL_INVENTORY } from './helpers.js';

const w = new Workdir();
after(() => w.remove());

const examples = join(import.meta.dirname, '..', '..', '..', 'inventories');
process.env['XIVO_HA_TURN_SECRET'] = 'example-turn-secret';

for (const name of ['xivo', 'cc', 'cc-edge', 'xds', 'ansible-example']) {
  test(`loads the example inventory ${name}.yml`, () => {
    const inv = loadInventory(join(examples, `${name}.yml`));
    assert.ok(inv.hosts.size >= 2);
  });
}

test('derives groups and host variables of a cc cluster as the interfaces doc lists them', () => {
  const inv = loadInventory(join(examples, 'cc-edge.yml'));
  assert.equal(inv.kind, 'xivo');
  assert.deepEqual(inv.groups.get('xivo'), ['master', 'slave']);
  assert.deepEqual(inv.groups.get('cc_master'), ['cc-master']);
  assert.deepEqual(inv.groups.get('cc_slave'), ['cc-slave']);
  assert.deepEqual(inv.groups.get('edge'), ['edge']);
  assert.deepEqual(inv.hosts.get('cc-slave')!.groups, ['all', 'cc', 'cc_slave']);
  const master = inv.hosts.get('master')!.vars;
  assert.equal(master['peer_address'], '198.18.0.12');
  assert.equal(master['xivo_ha_node_type'], 'master');
  assert.equal(master['cc_slave_address'], '198.18.0.22');
  assert.equal(master['edge_address'], '198.18.0.41');
  assert.equal(master['ansible_port'], 22);
  const cc = inv.hosts.get('cc-slave')!.vars;
  assert.equal(cc['paired_xivo_address'], '198.18.0.12');
  assert.equal(cc['peer_address'], undefined);
  assert.equal(cc['xivo_ha_role'], 'cc');
  assert.equal(inv.cluster!.nodes.find((n) => n.name === 'cc-slave')!.pairsWith, 'slave');
});

test('applies SSH defaults, expands ~ and resolves relative paths from the inventory directory', () => {
  const inv = loadInventory(join(examples, 'xivo.yml'));
  const h = inv.hosts.get('master')!;
  assert.equal(h.user, 'root');
  assert.equal(h.port, 22);
  assert.equal(h.connectTimeoutS, 10);
  assert.equal(h.identityFile, join(homedir(), '.ssh/id_ed25519'));
  assert.equal(h.knownHosts, join(examples, 'known_hosts'));
});

test('resolves the default HA profile to numbers with the replication and action defaults', () => {
  const inv = loadInventory(w.write('ha.yml', MINIMAL_INVENTORY));
  const ha = inv.cluster!.ha as any;
  assert.deepEqual(ha.monitor, { profile: 'default', interval: 60, probes_per_round: 3, probe_spacing: 10, rounds_to_takeover: 1, stable_period: 120, probe_timeout: 2, active_probe_interval: 10, failback_grace: 120, lock_timeout: 60, max_rounds_to_takeover: 2, flap_memory: 3600, sip_port: 5060 });
  assert.equal(ha.enabled, true);
  assert.equal(ha.replication.on_calendar, '*-*-* *:00:00');
  assert.equal(ha.replication.directories.length, 7);
  assert.ok(ha.replication.exclude_tables.includes('netiface'));
  assert.deepEqual(ha.actions.takeover[2], ['xivo-agentd-cli', '-c', 'relog all']);
  assert.deepEqual(inv.hosts.get('slave')!.vars['ha'], ha);
});

test('lets a monitor field override the fast profile and extends the excluded tables', () => {
  const inv = loadInventory(
    w.write('fast.yml', MINIMAL_INVENTORY + 'ha:\n  enabled: false\n  monitor: {profile: fast, stable_period: 30}\n  replication: {extra_exclude_tables: [agent_login_status]}\n'),
  );
  const ha = inv.cluster!.ha as any;
  assert.deepEqual([ha.monitor.interval, ha.monitor.probes_per_round, ha.monitor.probe_spacing, ha.monitor.rounds_to_takeover, ha.monitor.stable_period], [1, 1, 0, 3, 30]);
  assert.equal(ha.replication.exclude_tables.at(-1), 'agent_login_status');
  assert.equal(inv.hosts.get('master')!.vars['xivo_ha_node_type'], 'disabled');
});

test('reads YAML 1.1 scalars: 0644 is octal and yes is true', () => {
  const inv = loadInventory(w.write('yaml11.yml', MINIMAL_INVENTORY + '  mode: 0644\n  flag: yes\n'));
  assert.equal(inv.hosts.get('master')!.vars['mode'], 0o644);
  assert.equal(inv.hosts.get('master')!.vars['flag'], true);
});

test('locates bad YAML', () => {
  assert.match(inventoryProblems(w, 'cluster: t\nnodes: [a, b\n')[0]!, /^inv\.yml:3:1 error: invalid YAML/);
});

test('locates a wrong type at the value, with the field path', () => {
  const p = inventoryProblems(w, MINIMAL_INVENTORY + 'ssh: {port: twenty}\n');
  assert.deepEqual(p, ['inv.yml:8:13 error: ssh.port: must be an integer, got string "twenty"']);
});

test('points an unknown key at the key itself and suggests the right one', () => {
  const p = inventoryProblems(w, MINIMAL_INVENTORY.replace('  slave: {role: slave,', '  slave: {rol: slave, role: slave,'));
  assert.deepEqual(p, ['inv.yml:5:11 error: nodes.slave.rol: unknown key "rol" (did you mean "role"?)']);
});

test('lists the allowed values of a bad enum', () => {
  const p = inventoryProblems(w, MINIMAL_INVENTORY.replace('deployment: xivo', 'deployment: xivocc'));
  assert.deepEqual(p, ['inv.yml:2:13 error: deployment: must be one of "xivo", "cc", "xds", got "xivocc"']);
});

test('reports a missing secret environment variable at its reference', () => {
  delete process.env['XIVO_HA_TEST_UNSET'];
  const p = inventoryProblems(w, MINIMAL_INVENTORY + 'secrets:\n  db_password: {env: XIVO_HA_TEST_UNSET}\n');
  assert.deepEqual(p, ['inv.yml:9:22 error: secrets.db_password.env: secret "db_password": environment variable XIVO_HA_TEST_UNSET is not set']);
});

test('reads a secret file relative to the inventory, and reports an unreadable one', () => {
  w.write('secret.txt', 'file-secret-value\n');
  const inv = loadInventory(w.write('sec.yml', MINIMAL_INVENTORY + 'secrets:\n  api_key: {file: secret.txt}\n'));
  const s = inv.secrets.get('api_key')!;
  assert.ok(s instanceof Secret);
  assert.equal(s.reveal(), 'file-secret-value');
  assert.equal(inv.hosts.get('master')!.vars['api_key'], s);
  assert.ok(!inspect(inv).includes('file-secret-value'));
  const p = inventoryProblems(w, MINIMAL_INVENTORY + 'secrets:\n  api_key: {file: nowhere.txt}\n');
  assert.match(p[0]!, /^inv\.yml:9:19 error: secrets\.api_key\.file: secret "api_key": cannot read .*nowhere\.txt \(ENOENT\)$/);
});

test('refuses an inline secret value', () => {
  const p = inventoryProblems(w, MINIMAL_INVENTORY + 'secrets:\n  api_key: hunter22\n');
  assert.deepEqual(p, ['inv.yml:9:12 error: secrets.api_key: must be an object, got string "hunter22"']);
});

test('reports a duplicate address at the second node', () => {
  const p = inventoryProblems(w, MINIMAL_INVENTORY.replace('198.18.0.12', '198.18.0.11'));
  assert.deepEqual(p, ['inv.yml:5:33 error: nodes.slave.address: node slave: address 198.18.0.11 is already used by node master']);
});

test('reports a second master at its role', () => {
  const p = inventoryProblems(w, MINIMAL_INVENTORY.replace('role: slave', 'role: master'));
  assert.deepEqual(p, [
    'inv.yml:3:1 error: nodes: the cluster needs exactly one node with role "slave", found none',
    'inv.yml:5:17 error: nodes.slave.role: node slave: a second "master" (master is already the master); the cluster needs exactly one',
  ]);
});

test('requires a cc node for each XiVO node in a cc deployment', () => {
  const p = inventoryProblems(w, MINIMAL_INVENTORY.replace('deployment: xivo', 'deployment: cc').replace('vars:', '  cc-a: {role: cc, pairs_with: master, address: 198.18.0.21}\nvars:'));
  assert.deepEqual(p, ['inv.yml:5:3 error: nodes.slave: node slave: a "cc" deployment needs one cc node with pairs_with: slave, found none']);
});

test('rejects roles that are invalid for the deployment', () => {
  const p = inventoryProblems(w, MINIMAL_INVENTORY.replace('vars:', '  mds1: {role: mds, address: 198.18.0.31}\nvars:'));
  assert.deepEqual(p, ['inv.yml:6:16 error: nodes.mds1.role: node mds1: role "mds" is not valid in a "xivo" deployment (allowed: master, slave, edge)']);
});

test('reports every problem of the inventory at once', () => {
  const p = inventoryProblems(w, 'cluster: T\ndeployment: xivo\nnodes:\n  master: {role: master, address: 198.18.0.11, colour: red}\n  slave: {role: slave}\n');
  assert.equal(p.length, 3);
  assert.match(p[0]!, /^inv\.yml:1:10 error: cluster: "T" does not match/);
  assert.match(p[1]!, /^inv\.yml:4:48 error: nodes\.master\.colour: unknown key "colour"/);
  assert.match(p[2]!, /^inv\.yml:5:10 error: nodes\.slave: missing required key "address"/);
});

test('merges Ansible inventory vars as Ansible does: child group over parent, host over group', () => {
  const inv = loadInventory(join(examples, 'ansible-example.yml'));
  assert.equal(inv.kind, 'ansible');
  assert.deepEqual(inv.groups.get('all'), ['web1', 'db1', 'db2']);
  assert.deepEqual(inv.groups.get('db'), ['db1', 'db2']);
  assert.deepEqual(inv.groups.get('ungrouped'), ['web1']);
  assert.equal(inv.hosts.get('web1')!.vars['motd'], 'managed by xivo-ha');
  assert.equal(inv.hosts.get('db1')!.vars['motd'], 'database server');
  assert.equal(inv.hosts.get('db2')!.vars['motd'], 'database replica');
  assert.equal(inv.hosts.get('db1')!.address, '198.18.0.61');
  assert.equal(inv.hosts.get('db1')!.identityFile, join(homedir(), '.ssh/id_ed25519'));
  assert.deepEqual(inv.hosts.get('db1')!.groups, ['all', 'db']);
});

test('merges sibling groups in the order of their names as Python compares them, as Ansible does: B before a', () => {
  const work = new Workdir();
  try {
    // Ansible sorts a host's groups by (depth, priority, name): 'B' < 'a' in
    // code points, so a's value wins; a locale-aware order would let B win.
    const path = work.write('inv.yml', [
      'all:',
      '  children:',
      '    a: {hosts: {h1: {ansible_host: 198.18.0.9}}, vars: {color: from-a}}',
      '    B: {hosts: {h1: {}}, vars: {color: from-B}}',
    ].join('\n'));
    const h1 = loadInventory(path).hosts.get('h1')!;
    assert.equal(h1.vars['color'], 'from-a');
    assert.deepEqual(h1.groups, ['all', 'B', 'a']);
  } finally {
    work.remove();
  }
});

test('places extra vars above every inventory variable', () => {
  const inv = loadInventory(join(examples, 'ansible-example.yml'), { extraVars: { motd: 'from -e' } });
  assert.equal(inv.hosts.get('db2')!.vars['motd'], 'from -e');
});

test('locates a bad port in an Ansible inventory', () => {
  const path = w.write('ans.yml', 'all:\n  hosts:\n    h1: {ansible_port: 99999}\n');
  assert.deepEqual(problems(() => loadInventory(path), w.dir), ['ans.yml:3:24 error: all.hosts.h1.ansible_port: ansible_port must be an integer from 1 to 65535, got 99999']);
});
