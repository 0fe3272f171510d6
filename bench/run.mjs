#!/usr/bin/env node
// npm run bench: the same playbook, the same inventory, the same hosts (the
// lab's two nodes, then N simulated hosts on loopback), for Ansible,
// Ansible+Mitogen and xivo-ha, alternating run by run; plus the SSH floor.
// Writes bench/results/<date>.md (and .json) after each host count, on
// Ctrl-C when something was measured, and at the end, when it also prints it.
// docs/bench.md explains what is measured and how to read the table.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupNow, onCleanup } from './lib/cleanup.mjs';
import { writeConfigs } from './lib/config.mjs';
import { Fleet } from './lib/fleet.mjs';
import { floorHandshake, floorKindOf, floorTarPush } from './lib/floor.mjs';
import { timedEnvironment } from './lib/environment.mjs';
import { ensurePackages, packagesFor } from './lib/install.mjs';
import { measure } from './lib/measure.mjs';
import { LAB, USAGE, parseOptions } from './lib/options.mjs';
import { COMPILE_CACHE_DIR, HOSTS_DIR, RENDERED_DIR, SNAPSHOT_DIR } from './lib/paths.mjs';
import { describeMachine, reportFileFor, writeReport } from './lib/report.mjs';
import { CASE_LABELS, TOOL_LABELS, budgetDrops, describeDrops, planRuns, runsFor } from './lib/schedule.mjs';
import { formatMegabytes, formatSeconds } from './lib/stats.mjs';
import { TOOLS, runDirFor, runDirPath, toolUnavailable } from './lib/tools.mjs';
import { diffTrees, snapshotTree } from './lib/trees.mjs';
import { loopbackTarget, startLabTarget, stopLab } from './lib/targets.mjs';
import { WORKLOAD, compareWithExpected, renderTrees } from './lib/workload.mjs';

const log = (text) => process.stderr.write(`bench: ${text}\n`);
// The environment of every timed command, tools and floor alike; set once by main().
let baseEnv;

async function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 1;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: run as root: it starts its own sshd listeners and logs in as root on them\n');
    return 1;
  }
  const t0 = process.hrtime.bigint();
  const environment = timedEnvironment(opts);
  baseEnv = environment.env;
  rmSync(COMPILE_CACHE_DIR, { recursive: true, force: true });
  if (opts.install) ensurePackages(packagesFor(opts.tools), log);

  const results = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: describeMachine(),
    options: `--hosts ${opts.hosts.join(',')} --runs ${opts.runs} --tools ${opts.tools.join(',')} --cases ${opts.cases.join(',')}${opts.full ? ' --full' : ` --budget ${opts.budgetMinutes}`}${opts.inheritEnv ? ' --inherit-env' : ''}`,
    environment: environment.description,
    measurements: [],
    floors: [],
    correctness: [],
    skipped: [],
    converges: [],
    // What each host count ran against: {n, count, description}.
    targets: [],
    // 'running' until the end; set to the reason when the bench is stopped.
    status: 'running',
  };
  // One file for the whole bench, rewritten as it goes: a stopped bench still leaves what it measured.
  const reportFile = reportFileFor(results.date);
  const save = () => {
    results.elapsedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return writeReport(results, reportFile);
  };
  onCleanup((reason) => {
    if (results.status !== 'running' || reason === undefined) return;
    results.status = reason === 'error' ? 'stopped by an error' : `stopped by ${reason}`;
    if (results.measurements.length === 0 && results.floors.length === 0) return;
    save();
    log(`partial report written to ${reportFile}`);
  });
  const tools = [];
  for (const tool of opts.tools) {
    const why = toolUnavailable(tool);
    if (why) {
      log(`${TOOL_LABELS[tool]} skipped: ${why}`);
      results.skipped.push({ what: TOOL_LABELS[tool], why });
    } else tools.push(tool);
  }

  const { planned, skipped } = planRuns(opts.hosts.map((n) => ({ n, hosts: n === LAB ? 2 : n })), opts.cases, tools, opts);
  for (const x of skipped) results.skipped.push({ what: `N=${x.n} ${CASE_LABELS[x.case]} ${TOOL_LABELS[x.tool]}`, why: x.why });
  const schedule = new Schedule(planned, opts.budgetMinutes, t0, results);

  const counts = opts.hosts.filter((n) => n !== LAB);
  const fleet = new Fleet(Math.max(0, ...counts));
  onCleanup(() => fleet.stop());
  if (counts.length) {
    log(`starting sshd listeners for ${fleet.count} hosts`);
    await fleet.start();
  }
  try {
    for (const n of opts.hosts) {
      if (n === LAB) await benchLab(schedule, tools, opts, results);
      else await benchHostCount(loopbackTarget(n), schedule, tools, opts, results);
      save();
      log(`report so far written to ${reportFile}`);
    }
  } finally {
    fleet.stop();
  }

  results.status = 'complete';
  const report = save();
  process.stdout.write(`${report}\n`);
  log(`written to ${reportFile}`);
  return results.measurements.every((m) => m.ok) && results.correctness.every((c) => c.ok) ? 0 : 1;
}

/**
 * The planned runs still to come and the time budget over them: before each
 * run, budgetDrops (bench/lib/schedule.mjs) decides from the figures measured
 * so far; what it drops is listed under "Not measured" with its estimate.
 */
class Schedule {
  constructor(planned, budgetMinutes, t0, results) {
    this.pending = planned;
    this.budgetSeconds = budgetMinutes === undefined ? undefined : budgetMinutes * 60;
    this.t0 = t0;
    this.results = results;
    // Every run's seconds, timed or converge: what the estimates are made of.
    this.samples = [];
  }

  /** The next run at host count n, after the budget has had its say; undefined when n has none left. */
  next(n, state) {
    if (this.pending[0]?.n !== n) return undefined;
    const elapsedSeconds = Number(process.hrtime.bigint() - this.t0) / 1e9;
    const { dropped, projected, after } = budgetDrops({ pending: this.pending, samples: this.samples, state, elapsedSeconds, budgetSeconds: this.budgetSeconds });
    if (dropped.length) {
      this.pending = this.pending.filter((p) => !dropped.some((d) => d.run === p));
      for (const entry of describeDrops(dropped, { elapsedSeconds, projected, after, budgetSeconds: this.budgetSeconds, samples: this.samples })) {
        this.results.skipped.push(entry);
        log(`${entry.what}: ${entry.why}`);
      }
    }
    return this.pending[0]?.n === n ? this.pending.shift() : undefined;
  }

  /** Drops every run left at n (its target could not be brought up). */
  abandon(n) {
    this.pending = this.pending.filter((p) => p.n !== n);
  }

  record(run, seconds) {
    this.samples.push({ n: run.n, hosts: run.hosts, tool: run.tool, seconds });
  }
}

/** The lab's 2-node real case: lab instance 6 up, the same cases, down again (also on Ctrl-C). */
async function benchLab(schedule, tools, opts, results) {
  // Up from the moment `lab up` starts (a half-started lab is taken down too) until taken down once.
  let up = true;
  const stop = () => {
    if (!up) return;
    up = false;
    stopLab(log);
  };
  onCleanup(stop);
  let target;
  try {
    target = await startLabTarget(log);
  } catch (err) {
    const why = `the lab could not come up: ${err.message.split('\n').slice(0, 4).join(' / ')}`;
    log(`N=${LAB} skipped: ${why}`);
    results.skipped.push({ what: `N=${LAB} (the lab's 2 nodes), every tool and case`, why });
    schedule.abandon(LAB);
    stop();
    return;
  }
  try {
    await benchHostCount(target, schedule, tools, opts, results);
  } finally {
    stop();
  }
}

async function benchHostCount(target, schedule, tools, opts, results) {
  const { n, hosts } = target;
  results.targets.push({ n, count: target.count, description: target.description });
  const configs = writeConfigs(target, { mitogen: tools.includes('mitogen') });
  const runs = runsFor(target.count, opts.runs);
  log(`--- N=${n}: ${target.description} (${runs} run${runs > 1 ? 's' : ''} per case planned); inventory ${configs.inventory}`);

  if (opts.floor) await benchFloor(target, runs, results);

  // What the hosts' trees hold now: 'converged' after a verified apply, 'drifted' after the drift, else 'unknown'.
  let state = 'unknown';
  const converge = async (tool) => {
    await target.reset();
    const res = await timedRun(tool, 'a', n, hosts, configs, 'converge');
    schedule.record({ n, hosts: target.count, tool }, res.seconds);
    results.converges.push({ n, tool, seconds: res.seconds, ok: res.ok });
    state = res.ok ? 'converged' : 'unknown';
  };

  /** Puts the hosts in the state the case starts from; returns why it could not, or undefined. */
  const prepare = async (caseId, tool) => {
    if (caseId === 'a') {
      await target.reset();
      return undefined;
    }
    if (state === 'unknown' || (caseId === 'b' && state === 'drifted')) await converge(tool);
    if (state === 'unknown') return `the hosts could not be brought to the converged state first (untimed apply failed, see ${join(runDirPath(n, 'a', tool, 'converge'), 'output.log')})`;
    if (caseId === 'c') await target.drift();
    return undefined;
  };

  const snapshots = [];
  for (let run = schedule.next(n, state); run; run = schedule.next(n, state)) {
    const { case: caseId, tool, run: r } = run;
    const unprepared = await prepare(caseId, tool);
    if (unprepared) {
      results.correctness.push({ n, what: `${CASE_LABELS[caseId]} ${TOOL_LABELS[tool]} run ${r} not timed`, ok: false, detail: unprepared });
      log(`N=${n} ${CASE_LABELS[caseId]} ${TOOL_LABELS[tool]} run ${r}: not timed: ${unprepared}`);
      continue;
    }
    const pairedFloor = opts.floor && tool === 'xivo-ha' && target.count <= PAIRED_FLOOR_MAX_HOSTS ? await floorBefore(target, caseId) : undefined;
    const m = await timedRun(tool, caseId, n, hosts, configs, r);
    if (pairedFloor !== undefined) m.pairedFloorSeconds = pairedFloor;
    schedule.record(run, m.seconds);
    results.measurements.push(m);
    log(`N=${n} ${CASE_LABELS[caseId]} ${TOOL_LABELS[tool]} run ${r}: ${formatSeconds(m.seconds)}, PSS ${formatMegabytes(m.peakPssBytes)}${m.ok ? '' : `  FAILED: ${m.detail}`}`);
    state = !m.ok ? 'unknown' : caseId === 'c' ? 'drifted' : 'converged';
    if (caseId === 'a' && m.ok && !snapshots.some((s) => s.tool === tool)) {
      snapshots.push(await checkFirstApply(target, tool, results));
      // At once, not after the case: a bench stopped later still reports it.
      if (snapshots.length > 1) compareTrees(n, snapshots[0], snapshots.at(-1), results);
    }
  }
}

async function timedRun(tool, caseId, n, hosts, configs, run) {
  const dir = runDirFor(n, caseId, tool, run);
  const logFile = join(dir, 'output.log');
  const { argv, env, adopt, cleanup } = TOOLS[tool].command(caseId, configs, dir, baseEnv);
  writeFileSync(join(dir, 'command'), `${argv.join(' ')}\n`);
  try {
    const res = await measure(argv, { env, logFile, adopt });
    const verdict = res.signal ? { ok: false, detail: `killed by ${res.signal}` } : TOOLS[tool].verify(logFile, hosts, caseId, WORKLOAD);
    return { n, case: caseId, tool, run, seconds: res.seconds, peakRssBytes: res.peakRssBytes, peakPssBytes: res.peakPssBytes, exitCode: res.code, ok: verdict.ok, detail: verdict.detail, log: logFile };
  } finally {
    cleanup();
  }
}

/** After a tool's first verified apply: its trees against the expected ones, and a snapshot to compare tools. */
async function checkFirstApply(target, tool, results) {
  const { n, hosts } = target;
  await target.fetchTrees();
  const expected = compareWithExpected(target.count);
  results.correctness.push({ n, what: `trees after ${TOOL_LABELS[tool]}'s first apply vs the expected trees (gen.py compare)`, ok: expected.ok, detail: expected.report.split('\n').slice(-3).join(' / ') });
  const dir = join(SNAPSHOT_DIR, `n${n}`, tool);
  for (const h of hosts) snapshotTree(join(HOSTS_DIR, h.hostname), join(dir, h.hostname));
  return { tool, dir };
}

function compareTrees(n, first, other, results) {
  const diffs = diffTrees(first.dir, other.dir, TOOL_LABELS[first.tool], TOOL_LABELS[other.tool]);
  results.correctness.push({
    n,
    what: `trees after ${TOOL_LABELS[first.tool]} vs after ${TOOL_LABELS[other.tool]} (all files, modes, contents; key pair and handler timestamp excepted)`,
    ok: diffs.length === 0,
    detail: diffs.length === 0 ? 'identical' : `${diffs.length} differences: ${diffs.slice(0, 8).join('; ')}`,
  });
}

/**
 * Up to this many hosts, each xivo-ha run is paired with a floor timed just
 * before it, and xivo-ha / floor is the median of those ratios: this
 * machine's speed drifts by up to a fifth over minutes (docs/bench.md, *The
 * SSH floor*), more than the floor's own spread. Above, one run per case
 * and a floor of many seconds: median over median.
 */
const PAIRED_FLOOR_MAX_HOSTS = 10;

/** The floor of a case (floorKindOf), timed now; undefined if it failed (the report then marks the case's ratio). */
async function floorBefore({ n, hosts, ssh }, caseId) {
  try {
    return floorKindOf(caseId) === 'tar' ? await floorTarPush(hosts, join(RENDERED_DIR, `n${n}`), ssh, baseEnv) : await floorHandshake(hosts, ssh, baseEnv);
  } catch (err) {
    log(`N=${n} floor before ${CASE_LABELS[caseId]}: ${err.message}`);
    return undefined;
  }
}

async function benchFloor({ n, count, hosts, ssh }, runs, results) {
  const rendered = join(RENDERED_DIR, `n${n}`);
  renderTrees(count, rendered);
  for (let r = 1; r <= runs; r++) {
    for (const [kind, fn] of [['handshake', () => floorHandshake(hosts, ssh, baseEnv)], ['tar', () => floorTarPush(hosts, rendered, ssh, baseEnv)]]) {
      try {
        const seconds = await fn();
        results.floors.push({ n, kind, run: r, seconds });
        log(`N=${n} floor ${kind} run ${r}: ${formatSeconds(seconds)}`);
      } catch (err) {
        results.correctness.push({ n, what: `floor ${kind} run ${r}`, ok: false, detail: err.message });
      }
    }
  }
}

main().then(
  (code) => {
    cleanupNow();
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    cleanupNow('error');
    process.exit(1);
  },
);
