// The harness's pure parts: statistics, schedule, /proc parsing, the
// xivo-ha event check, tree comparison and the sshd configuration.

import { spawn } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, summarise, formatSeconds, formatRatio } from '../lib/stats.mjs';
import { rotate, runsFor, toolsFor } from '../lib/schedule.mjs';
import { FULL_SCAN_EVERY, parseStat, readSubtrees, TreeTracker } from '../lib/measure.mjs';
import { checkXivoHaEvents, parseEvents } from '../lib/verify.mjs';
import { diffTrees } from '../lib/trees.mjs';
import { renderSshdConfig } from '../lib/fleet.mjs';
import { renderInventory } from '../lib/config.mjs';
import { parseOptions } from '../lib/options.mjs';
import { floorRatio, renderReport } from '../lib/report.mjs';
import { LAB_SSH, labHosts, parseLabUp } from '../lib/targets.mjs';
import { floorHandshake, floorKindOf, sshArgv } from '../lib/floor.mjs';
import { DEBIAN_ROOT_PATH, timedEnvironment } from '../lib/environment.mjs';
import { TOOLS } from '../lib/tools.mjs';

const workload = {
  expected: { tasks_per_host: 2 },
  drift: { expected_changed_tasks: ['t2'] },
};

test('median of an even count is the mean of the middle two', () => {
  assert.equal(median([3, 1, 4, 2]), 2.5);
  assert.deepEqual(summarise([5, 1, 3]), { median: 3, min: 1, max: 5, count: 3 });
  assert.equal(summarise([]), undefined);
});

test('formats seconds with at most three significant digits and ratios with an x', () => {
  assert.equal(formatSeconds(0.1534), '0.15 s');
  assert.equal(formatSeconds(12.34), '12.3 s');
  assert.equal(formatSeconds(339.2), '339 s');
  assert.equal(formatRatio(16, 0.5), '32x');
  assert.equal(formatRatio(3, 2), '1.5x');
  assert.equal(formatRatio(undefined, 2), '—');
});

test('alternates which tool runs first from one run to the next', () => {
  const tools = ['ansible', 'mitogen', 'xivo-ha'];
  assert.deepEqual(rotate(tools, 1), tools);
  assert.deepEqual(rotate(tools, 2), ['mitogen', 'xivo-ha', 'ansible']);
  assert.deepEqual(rotate(tools, 4), tools);
});

test('keeps only xivo-ha above 10 hosts unless --full, and above 50 hosts always', () => {
  const all = ['ansible', 'mitogen', 'xivo-ha'];
  assert.deepEqual(toolsFor(200, 'a', all, { full: true }).tools, ['xivo-ha']);
  assert.deepEqual(toolsFor(50, 'a', all, { full: false }).tools, ['xivo-ha']);
  assert.match(toolsFor(50, 'b', all, { full: false }).skipped[0].why, /20-minute budget/);
  assert.deepEqual(toolsFor(50, 'a', all, { full: true }).tools, all);
  assert.deepEqual(toolsFor(10, 'c', all, { full: false }).tools, all);
  assert.equal(runsFor(10, 3), 3);
  assert.equal(runsFor(50, 3), 1);
});

test('rejects an unknown tool name in --tools', () => {
  assert.throws(() => parseOptions(['--tools', 'ansible,chef']), /unknown value 'chef'/);
  assert.deepEqual(parseOptions(['--cases', 'c,a']).cases, ['a', 'c']);
});

test('reads ppid and rss from a stat line whose command holds spaces and parentheses', () => {
  const line = '1234 (ssh: /tmp/x (y) [mux]) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 12345678 321 18446744073709551615';
  assert.deepEqual(parseStat(line), { ppid: 1, start: '98765', rssBytes: 321 * 4096 });
});

test('counts a daemonised descendant until it exits, and adopts orphans the predicate claims', () => {
  const t = new TreeTracker(10, (pid) => pid === 30);
  const p = (ppid, rss, start = 's') => ({ ppid, rssBytes: rss, start });
  assert.equal(t.sample(new Map([[10, p(1, 100)], [11, p(10, 10)], [12, p(11, 1)]])), 111);
  // 12 was re-parented to init: still ours. 20 is a stranger; 30 an orphan we adopt.
  assert.equal(t.sample(new Map([[10, p(1, 100)], [12, p(1, 1)], [20, p(1, 1000)], [30, p(1, 5)]])), 106);
  // pid 12 reused by another process (new start time): no longer counted.
  assert.equal(t.sample(new Map([[10, p(1, 100)], [12, p(1, 7, 'other')]])), 100);
  assert.equal(t.peakRssBytes, 111);
});

test('samples a real process tree from its children lists alone, grandchildren included', async () => {
  // sh starts a sleeping grandchild through a subshell, then waits.
  const child = spawn('/bin/sh', ['-c', '(sleep 30 & wait) & wait'], { stdio: 'ignore', detached: true });
  try {
    let table;
    for (let i = 0; i < 50; i++) {
      table = readSubtrees([child.pid]);
      if (table.size === 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(table.size, 3, 'sh, its subshell and sleep');
    assert.ok(!table.has(process.pid) && !table.has(1), 'nothing outside the tree');
    const tracker = new TreeTracker(child.pid);
    for (let i = 0; i < 2 * FULL_SCAN_EVERY; i++) tracker.sampleNow();
    assert.equal(tracker.tracked.size, 3);
    assert.ok(tracker.peakRssBytes > 0);
    assert.equal(tracker.fullScans, 0, 'no adopt predicate: /proc is never read whole');
    const adopting = new TreeTracker(child.pid, () => false);
    for (let i = 0; i < 2 * FULL_SCAN_EVERY; i++) adopting.sampleNow();
    assert.equal(adopting.fullScans, 2, 'with one: every FULL_SCAN_EVERY samples, to find detached descendants');
  } finally {
    process.kill(-child.pid, 'SIGTERM');
  }
});

const ev = (o) => JSON.stringify({ time: 't', ...o });
const summary = (host, o = {}) => ({ type: 'host_summary', host, ok: 0, changed: 0, pending: 0, skipped: 0, failed: 0, unreachable: false, ...o });
const result = (host, task, status, handler = false) => ({ type: 'task_result', host, play: 'p', task, module: 'file', status, handler, changes: [], duration_ms: 1 });

test('reads JSON event lines and ignores human lines mixed into the log', () => {
  const text = ['warning: something', ev({ type: 'run_end', exit_code: 0, duration_ms: 5 }), '{not json', ''].join('\n');
  assert.deepEqual(parseEvents(text).map((e) => e.type), ['run_end']);
});

test('accepts a first apply where every task and the handler changed on every host', () => {
  const events = ['h1', 'h2'].flatMap((h) => [result(h, 't1', 'changed'), result(h, 't2', 'changed'), result(h, 'reload', 'changed', true), summary(h, { changed: 3 })]);
  events.push({ type: 'run_end', exit_code: 0 });
  assert.deepEqual(checkXivoHaEvents(events, ['h1', 'h2'], 'a', workload), []);
});

test('rejects a first apply where the handler did not run on one host', () => {
  const events = [result('h1', 't1', 'changed'), result('h1', 't2', 'changed'), summary('h1', { changed: 2 }), { type: 'run_end', exit_code: 0 }];
  assert.match(checkXivoHaEvents(events, ['h1'], 'a', workload)[0], /h1: 2 tasks \+ 0 handler changed, want 2 \+ 1/);
});

test('rejects a no-op apply that changed something, naming the task', () => {
  const events = [result('h1', 't1', 'ok'), result('h1', 't2', 'changed'), summary('h1', { changed: 1 }), { type: 'run_end', exit_code: 0 }];
  assert.match(checkXivoHaEvents(events, ['h1'], 'b', workload)[0], /changed=1 .*\(t2\)/);
});

test('accepts a dry run reporting exactly the drifted tasks pending, with exit code 2', () => {
  const events = [result('h1', 't1', 'ok'), result('h1', 't2', 'pending'), summary('h1', { pending: 1 }), { type: 'run_end', exit_code: 2 }];
  assert.deepEqual(checkXivoHaEvents(events, ['h1'], 'c', workload), []);
});

test('accepts a dry run that also lists the handler the drifted tasks notify', () => {
  const events = [result('h1', 't2', 'pending'), result('h1', 'reload', 'pending', true), summary('h1', { pending: 2 }), { type: 'run_end', exit_code: 0 }];
  assert.deepEqual(checkXivoHaEvents(events, ['h1'], 'c', workload), []);
});

test('rejects a dry run that reports a task beyond the drifted ones', () => {
  const events = [result('h1', 't1', 'pending'), result('h1', 't2', 'pending'), summary('h1', { pending: 2 }), { type: 'run_end', exit_code: 0 }];
  assert.match(checkXivoHaEvents(events, ['h1'], 'c', workload)[0], /pending \["t1","t2"\]/);
});

test('reports a host missing from the summaries and an unreachable host', () => {
  const events = [{ type: 'host_unreachable', host: 'h2', reason: 'refused', message: 'x' }, summary('h1'), { type: 'run_end', exit_code: 3 }];
  const errors = checkXivoHaEvents(events, ['h1', 'h2'], 'b', workload);
  assert.ok(errors.some((e) => /exit code 3/.test(e)));
  assert.ok(errors.some((e) => /h2: unreachable/.test(e)));
  assert.ok(errors.some((e) => /h2: no host_summary/.test(e)));
});

test('finds trees identical except the generated key pair and the handler timestamp', () => {
  const root = mkdtempSync(join(tmpdir(), 'bench-trees-'));
  try {
    for (const [side, stamp, key] of [['left', '1700000000', 'k1'], ['right', '1700000042', 'k2']]) {
      mkdirSync(join(root, side, 'xivo01/root/.ssh'), { recursive: true });
      mkdirSync(join(root, side, 'xivo01/var/log/xivo-ha'), { recursive: true });
      writeFileSync(join(root, side, 'xivo01/root/.ssh/id_ed25519'), key);
      writeFileSync(join(root, side, 'xivo01/var/log/xivo-ha/handler.log'), `${stamp} units changed on xivo01\n`);
      writeFileSync(join(root, side, 'xivo01/conf'), 'same\n');
    }
    assert.deepEqual(diffTrees(join(root, 'left'), join(root, 'right'), 'L', 'R'), []);
    chmodSync(join(root, 'right', 'xivo01/conf'), 0o600);
    writeFileSync(join(root, 'right', 'xivo01/extra'), '');
    assert.deepEqual(diffTrees(join(root, 'left'), join(root, 'right'), 'L', 'R'), ['xivo01/conf: mode 644 after L, 600 after R', 'xivo01/extra: only after R']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('points sshd at the bench key and a stock home, never root\'s dotfiles', () => {
  const conf = renderSshdConfig(['127.0.0.2', '127.0.0.3'], '/tmp/p.pid');
  assert.match(conf, /^ListenAddress 127\.0\.0\.3:2222$/m);
  assert.match(conf, /^AuthorizedKeysFile \/tmp\/bench\/ssh\/authorized_keys$/m);
  assert.match(conf, /^SetEnv HOME=\/tmp\/bench\/home$/m);
  for (const line of ['UsePAM no', 'UseDNS no', 'MaxStartups 200', 'PermitUserRC no']) assert.ok(conf.includes(`${line}\n`), line);
});

test('writes one inventory with every template variable and the bench known_hosts', () => {
  const inv = renderInventory([{ hostname: 'xivo01', address: '127.0.0.2', remote_tmp: '/r', base: '/b', node_type: 'master', peer_name: 'xivo02', local_address: 'l', remote_address: 'r', cluster_id: 'ha01' }]);
  assert.match(inv, /ansible_ssh_common_args: -o UserKnownHostsFile=\/tmp\/bench\/ssh\/known_hosts/);
  assert.match(inv, /xivo_ha_known_hosts: \/tmp\/bench\/ssh\/known_hosts/);
  assert.match(inv, /xivo_ha_lock_path: \/tmp\/bench\/state\/xivo01\/lock/);
  for (const v of ['base: /b', 'node_type: master', 'peer_name: xivo02', 'cluster_id: ha01', 'hostname: xivo01', 'ansible_host: 127.0.0.2']) assert.ok(inv.includes(v), v);
});

test('marks a report written before the end as partial, with the reason, and keeps what was measured', () => {
  const m = { n: 2, case: 'b', tool: 'xivo-ha', run: 1, seconds: 0.9, peakRssBytes: 1, peakPssBytes: 1, ok: true };
  const base = { date: 'd', machine: {}, options: '', measurements: [m], floors: [], correctness: [{ n: 2, what: 'trees after A vs after B', ok: true, detail: 'identical' }], skipped: [], elapsedSeconds: 60 };
  const stopped = renderReport({ ...base, status: 'stopped by SIGINT' });
  assert.match(stopped, /\*\*Partial report\*\*: the bench was stopped by SIGINT after 60\.0 s/);
  assert.match(stopped, /\| 2 \| \(b\) no-op apply \| — \| — \| 0\.90 s \|/);
  assert.match(stopped, /✓ N=2 trees after A vs after B: identical/);
  assert.doesNotMatch(renderReport({ ...base, status: 'complete' }), /Partial/);
});

test('writes the lab\'s inventory with the same host variables, each host at its node\'s address, port 22, the lab\'s key and known_hosts', () => {
  const hosts = labHosts(parseLabUp('master\t198.18.6.11\tmaster\nslave\t198.18.6.12\tslave\n'));
  assert.deepEqual(hosts.map((h) => [h.hostname, h.node, h.address, h.base]), [
    ['xivo01', 'master', '198.18.6.11', '/tmp/bench/hosts/xivo01'],
    ['xivo02', 'slave', '198.18.6.12', '/tmp/bench/hosts/xivo02'],
  ]);
  const inv = renderInventory(hosts, LAB_SSH);
  for (const line of ['ansible_port: 22', 'ansible_ssh_private_key_file: /var/lib/xivo-ha-lab6/id_ed25519', 'ansible_ssh_common_args: -o UserKnownHostsFile=/var/lib/xivo-ha-lab6/known_hosts', 'xivo_ha_known_hosts: /var/lib/xivo-ha-lab6/known_hosts', 'ansible_host: 198.18.6.12', 'node_type: slave', 'peer_name: xivo01']) {
    assert.ok(inv.includes(line), line);
  }
  assert.throws(() => labHosts(parseLabUp('master\t198.18.6.11\tmaster\n')), /did not report node slave/);
});

test('points the floor\'s ssh at the target\'s port, key and known_hosts, checking host keys', () => {
  const argv = sshArgv('198.18.6.11', ['true'], LAB_SSH);
  assert.deepEqual(argv.slice(-5), ['-p', '22', 'root@198.18.6.11', '--', 'true']);
  for (const word of ['/var/lib/xivo-ha-lab6/id_ed25519', 'UserKnownHostsFile=/var/lib/xivo-ha-lab6/known_hosts', 'StrictHostKeyChecking=yes', 'KexAlgorithms=curve25519-sha256']) assert.ok(argv.includes(word), word);
  assert.ok(sshArgv('127.0.0.2', ['true']).includes('UserKnownHostsFile=/tmp/bench/ssh/known_hosts'));
});

test('takes the lab as a host count, first, and refuses other words', () => {
  assert.deepEqual(parseOptions([]).hosts, ['lab', 2, 10, 50, 200]);
  assert.deepEqual(parseOptions(['--hosts', '10,lab']).hosts, ['lab', 10]);
  assert.throws(() => parseOptions(['--hosts', '2,labs']), /'labs' is neither 'lab' nor a host count/);
  assert.throws(() => parseOptions(['--full', '--budget', '5']), /--full runs the whole schedule/);
});

test("times every tool in a root login's environment, without the caller's exports, unless --inherit-env", () => {
  const caller = { ...process.env, NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', PATH: `/root/.pyenv/shims:${DEBIAN_ROOT_PATH}` };
  const { env, description } = timedEnvironment(parseOptions([]), caller);
  assert.deepEqual(Object.keys(env).sort(), ['HOME', 'LANG', 'LOGNAME', 'PATH', 'SHELL', 'USER']);
  assert.equal(env.PATH, DEBIAN_ROOT_PATH);
  assert.match(description, /root login/);
  const configs = { inventory: '/tmp/inventory.yml', ansibleCfg: '/tmp/ansible.cfg', mitogenCfg: '/tmp/mitogen.cfg' };
  const runDir = mkdtempSync(join(tmpdir(), 'bench-env-'));
  try {
    for (const tool of Object.values(TOOLS)) {
      const command = tool.command('b', configs, runDir, env);
      command.cleanup();
      // The base environment plus only the tool's own settings.
      const added = Object.keys(command.env).filter((name) => !(name in env));
      assert.deepEqual(added.filter((name) => !/^(ANSIBLE_[A-Z_]+|NO_COLOR|XIVO_HA_COMPILE_CACHE)$/.test(name)), [], tool.id);
      assert.equal(command.env.PATH, DEBIAN_ROOT_PATH, tool.id);
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
  const inherited = timedEnvironment(parseOptions(['--inherit-env']), caller);
  assert.equal(inherited.env.NODE_EXTRA_CA_CERTS, caller.NODE_EXTRA_CA_CERTS);
});

test('runs the floor\'s ssh in the environment it is given, nothing more', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-floor-env-'));
  try {
    // A stand-in ssh that records the environment it was started with.
    writeFileSync(join(dir, 'ssh'), `#!/bin/sh\n/usr/bin/env > "${dir}/env-$$"\n`);
    chmodSync(join(dir, 'ssh'), 0o755);
    const seconds = await floorHandshake([{ address: '127.0.0.2' }], { port: 2222, key: '/k', knownHosts: '/kh' }, { PATH: `${dir}:/usr/bin:/bin`, ONLY_THIS: '1' });
    assert.ok(seconds > 0);
    const recorded = readdirSync(dir).filter((f) => f.startsWith('env-')).map((f) => readFileSync(join(dir, f), 'utf8'));
    assert.equal(recorded.length, 1);
    const names = recorded[0].trim().split('\n').map((line) => line.split('=')[0]).filter((n) => n !== 'PWD' && n !== '_' && n !== 'SHLVL');
    assert.deepEqual(names.sort(), ['ONLY_THIS', 'PATH']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("xivo-ha / floor is the median of each run's ratio to the floor timed just before it, when every run has one", () => {
  // The machine slowed down between runs: each run and its own floor slowed together.
  const runs = [{ seconds: 0.6, pairedFloorSeconds: 0.24 }, { seconds: 0.8, pairedFloorSeconds: 0.32 }, { seconds: 0.62, pairedFloorSeconds: 0.25 }];
  const paired = floorRatio(runs, { median: 0.22 });
  assert.equal(paired.floorSeconds, 0.25);
  assert.ok(Math.abs(paired.ratio - 2.5) < 1e-9, String(paired.ratio));
  // Without a floor for every run: median over the separate floor runs' median.
  const unpaired = floorRatio([{ seconds: 0.6 }, { seconds: 0.8, pairedFloorSeconds: 0.32 }, { seconds: 0.62 }], { median: 0.2 });
  assert.deepEqual(unpaired, { floorSeconds: 0.2, ratio: 0.62 / 0.2, unpairedRuns: 2 });
  assert.deepEqual(floorRatio([{ seconds: 0.5 }], { median: 0.25 }), { floorSeconds: 0.25, ratio: 2 }, 'a case never paired (N > 10) is not marked');
  assert.deepEqual(floorRatio([], undefined), { floorSeconds: undefined, ratio: undefined });
  const report = renderReport({ date: 'd', machine: {}, options: '', floors: [{ n: 2, kind: 'handshake', run: 1, seconds: 0.22 }], correctness: [], skipped: [], elapsedSeconds: 1, status: 'complete',
    measurements: runs.map((r, i) => ({ n: 2, case: 'b', tool: 'xivo-ha', run: i + 1, peakRssBytes: 1, peakPssBytes: 1, ok: true, ...r })) });
  assert.match(report, /\| 2 \| \(b\) no-op apply \| — \| — \| 0\.62 s \(0\.60–0\.80 s\) \| 0\.25 s \| — \| — \| 2\.5x \|/);
  assert.doesNotMatch(report, /†/);
  // A run whose paired floor failed: the case falls back to median over median, and the report says so.
  const lost = renderReport({ date: 'd', machine: {}, options: '', floors: [{ n: 2, kind: 'handshake', run: 1, seconds: 0.2 }], correctness: [], skipped: [], elapsedSeconds: 1, status: 'complete',
    measurements: runs.map((r, i) => ({ n: 2, case: 'b', tool: 'xivo-ha', run: i + 1, peakRssBytes: 1, peakPssBytes: 1, ok: true, ...r, ...(i === 1 ? { pairedFloorSeconds: undefined } : {}) })) });
  assert.match(lost, /\| 0\.20 s \| — \| — \| 3\.1x † \|/);
  assert.match(lost, /† The floor timed before some xivo-ha runs failed .*N=2 \(b\) no-op apply: 1 run\(s\)/);
});

test('each case is measured against its floor: the tar push for the first apply, the handshake for the runs that only read', () => {
  assert.deepEqual(['a', 'b', 'c'].map(floorKindOf), ['tar', 'handshake', 'handshake']);
});
