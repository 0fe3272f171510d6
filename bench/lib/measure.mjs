// Runs one timed command: wall time with process.hrtime, and the peak memory
// of its whole local process tree (the tool, its forks, its ssh clients and
// the ControlPersist masters that detach from it), sampled from /proc.
// The sampler runs beside the tool it times, so it must stay cheap: each
// sample reads only the tree (the tracked processes and their children
// lists); the whole of /proc, ~100x dearer with a booted lab on the machine,
// is read only for a tool whose detached descendants must be adopted, and
// then every FULL_SCAN_EVERY samples.
// Two sums: RSS (cheap, every sample; counts pages shared by forked workers
// once per process, so it overstates) and PSS (shared pages split among the
// processes sharing them: the honest total, read less often because the
// kernel walks page tables for it).

import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { onCleanup, ownProcess, releaseProcess } from './cleanup.mjs';

const PAGE_SIZE = 4096;
export const SAMPLE_INTERVAL_MS = 100;
export const PSS_EVERY_N_SAMPLES = 3;
/** A detached ControlPersist master lives until the run ends: a scan every 0.5 s finds it in time. */
export const FULL_SCAN_EVERY = 5;

/** proc(5)'s per-thread children lists (CONFIG_PROC_CHILDREN); without them every sample reads all of /proc. */
const CHILDREN_LISTS = existsSync(`/proc/self/task/${process.pid}/children`);

/** pid -> {ppid, rssBytes, start} for every process we can read. */
export function readProcessTable() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat) table.set(Number(entry), stat);
  }
  return table;
}

/** One process's stat, or undefined when it is gone (exited while we looked). */
function readStat(pid) {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

/** The pids of pid's children, from every one of its threads' children lists. */
function readChildren(pid) {
  let threads;
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // exited meanwhile
  }
  const children = [];
  for (const tid of threads) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) if (child) children.push(Number(child));
    } catch {
      // the thread ended meanwhile
    }
  }
  return children;
}

/** pid -> stat for the given processes and all their descendants still attached to them. */
export function readSubtrees(pids) {
  const table = new Map();
  const queue = [...pids];
  while (queue.length) {
    const pid = queue.pop();
    if (table.has(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    table.set(pid, stat);
    queue.push(...readChildren(pid));
  }
  return table;
}

/** Fields after the command name (which may hold spaces and parentheses): see proc(5). */
export function parseStat(stat) {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, starttime field 22, rss field 24.
  return { ppid: Number(fields[1]), start: fields[19], rssBytes: Number(fields[21]) * PAGE_SIZE };
}

export function readPssBytes(pid) {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0; // exited meanwhile
  }
}

/** The process's command line, as ps shows it (NULs as spaces). */
export function readCmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/**
 * Tracks the descendants of one process, also those re-parented to init
 * (ssh ControlPersist masters daemonise): once seen as a descendant, a
 * process counts until it exits. Identity is pid + start time.
 */
export class TreeTracker {
  /**
   * adopt(pid): whether an orphan (ppid 1) we never saw is ours anyway; a
   * short-lived ssh client can fork its ControlPersist master and exit
   * between two samples.
   */
  constructor(rootPid, adopt) {
    this.tracked = new Map([[rootPid, undefined]]);
    this.adoptsOrphans = adopt !== undefined;
    this.adopt = adopt ?? (() => false);
    this.strangers = new Set();
    this.peakRssBytes = 0;
    this.peakPssBytes = 0;
    this.samples = 0;
    this.fullScans = 0;
  }

  /** One sample, reading only the tree unless a full scan is due (see the head of this file). */
  sampleNow() {
    const full = !CHILDREN_LISTS || (this.adoptsOrphans && this.samples % FULL_SCAN_EVERY === 0);
    if (full) this.fullScans++;
    return this.sample(full ? readProcessTable() : readSubtrees(this.tracked.keys()));
  }

  /** Samples table (pid -> {ppid, rssBytes, start}): all of /proc, or only the tree. */
  sample(table) {
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, p] of table) {
        if (this.tracked.has(pid) || this.strangers.has(pid)) continue;
        if (this.tracked.has(p.ppid)) {
          this.tracked.set(pid, p.start);
          grew = true;
        } else if (p.ppid === 1) {
          if (this.adopt(pid)) this.tracked.set(pid, p.start);
          else this.strangers.add(pid);
        }
      }
    }
    let rss = 0;
    for (const [pid, start] of this.tracked) {
      const p = table.get(pid);
      if (!p || (start !== undefined && p.start !== start)) {
        this.tracked.delete(pid);
        continue;
      }
      if (start === undefined) this.tracked.set(pid, p.start);
      rss += p.rssBytes;
    }
    this.peakRssBytes = Math.max(this.peakRssBytes, rss);
    if (this.samples++ % PSS_EVERY_N_SAMPLES === 0) {
      let pss = 0;
      for (const pid of this.tracked.keys()) pss += readPssBytes(pid);
      this.peakPssBytes = Math.max(this.peakPssBytes, pss);
    }
    return rss;
  }

  /** Descendants still alive (e.g. ControlPersist masters), by pid; orphans are asked adopt() afresh. */
  survivors(rootPid) {
    const table = readProcessTable();
    const alive = [...this.tracked].filter(([pid, start]) => pid !== rootPid && table.get(pid)?.start === start).map(([pid]) => pid);
    for (const [pid, p] of table) if (p.ppid === 1 && !this.tracked.has(pid) && this.adopt(pid)) alive.push(pid);
    return alive;
  }
}

function stopSurvivors(tracker, rootPid) {
  for (const pid of tracker.survivors(rootPid)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
}

// On Ctrl-C during a run, the run's detached descendants (ssh masters) go too.
let active;
onCleanup(() => active && stopSurvivors(active.tracker, active.pid));

/**
 * Runs argv; stdout and stderr go to logFile. Returns {code, signal, seconds, peakRssBytes, peakPssBytes}.
 * Descendants left running afterwards are stopped by PID. adopt: see TreeTracker.
 */
export function measure(argv, { env, cwd, logFile, adopt, timeoutMs = 30 * 60 * 1000 }) {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile);
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    ownProcess(child.pid, argv[0]);
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const tracker = new TreeTracker(child.pid, adopt);
    active = { tracker, pid: child.pid };
    tracker.sampleNow();
    const sampler = setInterval(() => tracker.sampleNow(), SAMPLE_INTERVAL_MS);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearInterval(sampler);
      clearTimeout(timer);
      releaseProcess(child.pid);
      log.end();
      reject(new Error(`cannot start ${argv[0]}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      clearInterval(sampler);
      clearTimeout(timer);
      releaseProcess(child.pid);
      tracker.sampleNow();
      stopSurvivors(tracker, child.pid);
      active = undefined;
      // 'exit' can precede the end of the pipes: wait for them before closing the log.
      let open = 2;
      const done = () => {
        if (--open > 0) return;
        log.end(() => resolve({ code, signal, seconds, peakRssBytes: tracker.peakRssBytes, peakPssBytes: tracker.peakPssBytes }));
      };
      if (child.stdout.readableEnded) done();
      else child.stdout.once('end', done);
      if (child.stderr.readableEnded) done();
      else child.stderr.once('end', done);
    });
  });
}
