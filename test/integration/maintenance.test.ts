// Issue 10 acceptance on the lab's master and slave (fast profile), the
// runner observing SIP on the lab bridge: pause/resume (1), a rolling upgrade with switchover while
// telephony is sampled (2), an upgrade killed half-way and run again (3),
// and the operations guide's commands (4, docs/operations.md).
// The upgrade is the lab's stand-in (test/fixtures/lab/xivo-upgrade): it
// bumps /usr/share/xivo/XIVO-VERSION and migrates the asterisk schema.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cutLink, ensureLab, execOk, execOn, nodeAnswersSip, provisionedPair, readNodeFile, replicateNow, resetNodes, revive, slaveMonitorState, standbyWithMasterAnswering, type MonitorState } from '../helpers/lab.js';
import { events, xivoHa } from '../helpers/xivo-ha-cli.js';
import { extractRunnableSnippets, type Snippet } from '../helpers/doc-snippets.js';
import { builtCli } from '../helpers/cli-path.js';
import { recordOutput } from '../helpers/suite-record.js';

const ROOT = join(import.meta.dirname, '..', '..');
const STANDIN = join(ROOT, 'test', 'fixtures', 'lab', 'xivo-upgrade');
const STATE_DIR = '/var/lib/xivo-ha';
const UPGRADE_LOG = '/var/log/xivo-ha-lab/xivo-upgrade.log';
const PSQL = ['runuser', '-u', 'postgres', '--', 'psql', '-XAtq', '-d', 'asterisk', '-c'];
const BOUND_MS = 120_000;

let inventory: string;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, boundMs = BOUND_MS): Promise<void> {
  const end = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${boundMs / 1000} s waiting for ${what}`);
    await pause(500);
  }
}

async function monitorState(): Promise<MonitorState> {
  const state = await slaveMonitorState();
  if (!state) throw new Error("the slave's monitor state file is missing or unreadable");
  return state;
}

async function exists(node: string, path: string): Promise<boolean> {
  return (await execOn(node, ['test', '-e', path])).code === 0;
}

async function unitActive(node: string, unit: string): Promise<string> {
  return (await execOn(node, ['systemctl', 'is-active', unit])).stdout.trim();
}

async function xivoVersion(node: string): Promise<string> {
  return (await readNodeFile(node, '/usr/share/xivo/XIVO-VERSION')).trim();
}

async function alembic(node: string): Promise<string> {
  return (await execOk(node, [...PSQL, 'SELECT version_num FROM alembic_version'])).trim();
}

async function waitStandbyWithMasterAnswering(): Promise<void> {
  await until('standby with the master answering SIP', async () => (await standbyWithMasterAnswering()) !== undefined);
}

/** Which nodes answer SIP, every ~0.5 s, until stopped. */
function watchTelephony(): () => Promise<Array<{ at: number; answering: string[] }>> {
  const seen: Array<{ at: number; answering: string[] }> = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      const at = Date.now();
      const answers = await Promise.all(['master', 'slave'].map(async (n) => ((await nodeAnswersSip(n, 0.4)) ? [n] : [])));
      seen.push({ at, answering: answers.flat() });
      await pause(Math.max(0, 500 - (Date.now() - at)));
    }
  })();
  return async () => {
    on = false;
    await loop;
    return seen;
  };
}

/** The replications the master's journal shows starting from `from`, up to `to` when given. */
async function replicationRunsBetween(from: Date, to?: Date): Promise<number> {
  // short-unix stamps each line to the microsecond: --since alone rounds to whole seconds.
  const journal = await execOk('master', ['journalctl', '-u', 'xivo-ha-replicate.service', '--since', `@${Math.floor(from.getTime() / 1000)}`, '-o', 'short-unix', '--no-pager']);
  return journal.split('\n').filter((l) => {
    const at = Number(l.split(' ')[0]) * 1000;
    return at >= from.getTime() && (to === undefined || at <= to.getTime()) && l.includes('copying') && l.includes('tables to');
  }).length;
}

/**
 * Waits, when the next hour is less than `marginMs` away, until just past it:
 * the replication timer fires at every :00, and a count of the replications
 * a command caused must not include that scheduled one.
 */
async function clearOfTheHour(marginMs: number): Promise<void> {
  const hour = 3_600_000;
  const toNextHour = hour - (Date.now() % hour);
  if (toNextHour < marginMs) await pause(toNextHour + 5_000); // the timer's AccuracySec is 1 s
}

before(async () => {
  await ensureLab(['master', 'slave']);
  inventory = await provisionedPair();
  for (const node of ['master', 'slave']) await installStandin(node);
  await replicateNow();
  await waitStandbyWithMasterAnswering();
});

after(async () => {
  await revive('master').catch(() => undefined);
  // The pair stays for the chain's next file, which checks it is at rest (the upgrades leave it on a new version).
});

test('1. pause: status shows who, when and why; a cut master link causes no takeover; resume replicates once and restores the timer and the monitor', async () => {
  const dry = await xivoHa(['pause', '-i', inventory, '--reason', 'night maintenance', '--dry-run']);
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  assert.match(dry.stdout, /pause: 3 steps would run/);
  assert.equal(await exists('master', `${STATE_DIR}/paused.json`), false, 'a dry run changes nothing');

  const paused = await xivoHa(['pause', '-i', inventory, '--reason', 'night maintenance']);
  assert.equal(paused.code, 0, paused.stdout + paused.stderr);
  assert.equal(await unitActive('master', 'xivo-ha-replicate.timer'), 'inactive');
  await until('the monitor seeing the pause', async () => (await monitorState()).paused === true, 30_000);
  const status = await xivoHa(['status', '-i', inventory]);
  assert.match(status.stdout, /PAUSED on master and slave since \S+ by \S+: night maintenance/);
  assert.match(status.stdout, /replication timer: inactive; monitor: paused/);
  const json = events((await xivoHa(['status', '-i', inventory, '--json'])).stdout).find((e) => e.type === 'cluster_status') as { status: { paused?: { reason: string; since: string } } } | undefined;
  assert.equal(json?.status.paused?.reason, 'night maintenance');

  const again = await xivoHa(['pause', '-i', inventory, '--reason', 'other']);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /already paused by .*: night maintenance/);

  const before = await monitorState();
  await cutLink('master');
  try {
    await pause(15_000); // five times the fast profile's failed rounds
    const during = await monitorState();
    assert.equal(during.state, 'standby');
    assert.equal(during.counters.takeovers, before.counters.takeovers);
    assert.equal(await nodeAnswersSip('slave'), false);
  } finally {
    await revive('master');
  }
  await waitStandbyWithMasterAnswering();

  // As if the pause had spanned a scheduled run: the Persistent timer's last
  // trigger two hours ago makes it replicate as soon as it starts again.
  await execOk('master', ['touch', '-d', '-2 hours', '/var/lib/systemd/timers/stamp-xivo-ha-replicate.timer']);
  await clearOfTheHour(60_000);
  const started = new Date();
  const resumed = await xivoHa(['resume', '-i', inventory]);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.equal(await exists('master', `${STATE_DIR}/paused.json`), false);
  assert.equal(await exists('slave', `${STATE_DIR}/paused.json`), false);
  assert.equal(await unitActive('master', 'xivo-ha-replicate.timer'), 'active');
  // A catch-up run the timer started after resume's own would show here.
  await pause(3_000);
  await until('no replication running', async () => (await unitActive('master', 'xivo-ha-replicate.service')) !== 'activating', 60_000);
  assert.equal(await replicationRunsBetween(started), 1, 'resume and the timer\'s catch-up replicated one after the other');
  await until('the monitor acting again', async () => (await monitorState()).paused === false, 30_000);
  const twice = await xivoHa(['resume', '-i', inventory]);
  assert.equal(twice.code, 0);
  assert.match(twice.stdout, /not paused: nothing to resume/);
});

test('resume is refused while the two schemas differ, and the pause stays', async () => {
  assert.equal((await xivoHa(['pause', '-i', inventory, '--reason', 'slave first'])).code, 0);
  await execOk('slave', ['xivo-upgrade', '--to', '2024.07.00']);
  const refused = await xivoHa(['resume', '-i', inventory]);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /master and slave schemas differ: alembic_version differs/);
  assert.equal(await exists('slave', `${STATE_DIR}/paused.json`), true);
  await execOk('master', ['xivo-upgrade', '--to', '2024.07.00']);
  const resumed = await xivoHa(['resume', '-i', inventory]);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
});

test('2. upgrade --switchover: telephony on exactly one node at every moment checked, no replication across differing schemas, both nodes on the new version, replicated, resumed', async () => {
  await waitStandbyWithMasterAnswering();
  const command = 'xivo-upgrade -f --to 2024.10.00';
  const dry = await xivoHa(['upgrade', '-i', inventory, '--command', command, '--switchover', '--dry-run']);
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  assert.match(dry.stdout, /upgrade: 13 steps would run/);
  assert.equal(await xivoVersion('slave'), '2024.07.00', 'a dry run changes nothing');

  const started = new Date();
  const stop = watchTelephony();
  const run = await xivoHa(['upgrade', '-i', inventory, '--command', command, '--switchover'], 15 * 60_000);
  await waitStandbyWithMasterAnswering();
  const seen = await stop();
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const both = seen.filter((s) => s.answering.length === 2);
  assert.deepEqual(both, [], 'both nodes answered SIP at once');
  assert.ok(seen.some((s) => s.answering.join() === 'slave'), 'the slave carried telephony during the master\'s upgrade');
  const gaps = seen.filter((s) => s.answering.length === 0).length;
  console.log(`upgrade --switchover: ${seen.length} samples, ${gaps} with no node answering (the stop → start of each switch), none with both`);

  assert.equal(await xivoVersion('master'), '2024.10.00');
  assert.equal(await xivoVersion('slave'), '2024.10.00');
  assert.equal(await alembic('master'), await alembic('slave'));
  const record = JSON.parse(await readNodeFile('master', `${STATE_DIR}/upgrade.json`)) as { started: string; finished?: string; steps: Array<{ id: string; status: string; at?: string }> };
  // Counted from the pause the upgrade took (record.started), not from the test's start: the hourly run at :00 may
  // come just before the pause (it then holds the HA lock, and the pause waits for it). And only up to the end of
  // the replicate step: the timer runs again from the step before it, and its :00 run may follow at any moment.
  assert.ok(new Date(record.started) >= started);
  const finishedAt = (id: string): Date => {
    const step = record.steps.find((s) => s.id === id);
    assert.ok(step?.at, `the upgrade record has no finished step ${id}`);
    return new Date(step.at);
  };
  assert.equal(await replicationRunsBetween(new Date(record.started), finishedAt('check-schemas')), 0, 'a replication ran before the schemas were compared');
  assert.equal(await replicationRunsBetween(new Date(record.started), finishedAt('replicate')), 1, 'one replication, at the end, once the schemas matched');
  assert.ok(record.finished);
  assert.ok(record.steps.every((s) => s.status === 'done'));
  assert.equal(await exists('slave', `${STATE_DIR}/paused.json`), false);
  assert.equal(await unitActive('master', 'xivo-ha-replicate.timer'), 'active');
});

test('3. an upgrade killed half-way and started again completes without repeating finished steps', async () => {
  await waitStandbyWithMasterAnswering();
  const command = 'xivo-upgrade -f --to 2025.01.00';
  const child = spawn(process.execPath, [builtCli(), 'upgrade', '-i', inventory, '--command', command, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Killed as the master's upgrade starts: the slave's is done and recorded.
      if (events(out).some((e) => e.type === 'maintenance_step' && e['id'] === 'upgrade-master' && e['status'] === 'running')) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`the upgrade ended before it could be killed:\n${out}`)));
  });
  await exited;
  recordOutput(['upgrade (killed)'], out, '');
  const record = JSON.parse(await readNodeFile('master', `${STATE_DIR}/upgrade.json`)) as { finished?: string; steps: Array<{ id: string; status: string }> };
  assert.equal(record.finished, undefined);
  assert.equal(record.steps.find((s) => s.id === 'upgrade-slave')?.status, 'done');

  const again = await xivoHa(['upgrade', '-i', inventory, '--command', command], 15 * 60_000);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /skip \(done .*\): upgrade the slave/);
  const slaveRuns = (await readNodeFile('slave', UPGRADE_LOG)).split('\n').filter((l) => l.includes('-> 2025.01.00'));
  assert.deepEqual(slaveRuns.map((l) => l.split(': ').pop()), ['applied'], 'the slave\'s upgrade ran once');
  assert.equal(await xivoVersion('master'), '2025.01.00');
  assert.equal(await alembic('master'), await alembic('slave'));
  await waitStandbyWithMasterAnswering();
});

test('4. every runnable command of docs/operations.md runs against the lab', async () => {
  const snippets = extractRunnableSnippets(readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8'));
  assert.ok(snippets.length >= 8, `only ${snippets.length} runnable snippets found`);
  for (const s of snippets) {
    if (s.lab) {
      await labDirective(s.lab);
      continue;
    }
    const r = await runSnippet(s);
    assert.equal(r.code, s.expectCode, `docs/operations.md:${s.line}: \`${s.text}\` exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  await waitStandbyWithMasterAnswering();
});

let latest: string | undefined;

/** `latest VERSION`: the stand-in's default target; `reset NODE`: a fresh disk (a replaced node), stand-in installed. */
async function labDirective(words: string): Promise<void> {
  const [verb, arg] = words.split(/\s+/);
  if (verb === 'latest' && arg) {
    latest = arg;
    for (const node of ['master', 'slave']) await execOk(node, ['sh', '-c', 'mkdir -p /etc/xivo-ha-lab && cat > /etc/xivo-ha-lab/xivo-latest'], { stdin: `${arg}\n` });
  } else if (verb === 'reset' && arg) {
    await resetNodes(arg);
    await installStandin(arg);
    if (latest) await execOk(arg, ['sh', '-c', 'mkdir -p /etc/xivo-ha-lab && cat > /etc/xivo-ha-lab/xivo-latest'], { stdin: `${latest}\n` });
  } else {
    throw new Error(`docs/operations.md: unknown lab directive "${words}"`);
  }
}

async function installStandin(node: string): Promise<void> {
  await execOk(node, ['sh', '-c', 'cat > /usr/local/sbin/xivo-upgrade && chmod 0755 /usr/local/sbin/xivo-upgrade'], { stdin: readFileSync(STANDIN, 'utf8') });
}

/** A guide's snippet: `xivo-ha …` runs the CLI with the lab inventory after `-i`; a block with `on=NODE` runs on that lab node. */
async function runSnippet(s: Snippet): Promise<{ code: number; stdout: string; stderr: string }> {
  if (s.on) {
    const r = await execOn(s.on, ['sh', '-c', s.text], { timeoutMs: 5 * 60_000 });
    return { code: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
  }
  const words = parseWords(s.text);
  if (words[0] !== 'xivo-ha') throw new Error(`docs/operations.md:${s.line}: a workstation snippet runs xivo-ha: ${s.text}`);
  return xivoHa(words.slice(1).map((w, i, all) => (all[i - 1] === '-i' ? inventory : w)), 15 * 60_000);
}

/** Shell-like words: single or double quotes group, nothing else is interpreted. */
function parseWords(text: string): string[] {
  return [...text.trim().matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}
