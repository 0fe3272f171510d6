// The machine, the statistics and the markdown table of one bench run.

import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import type { RunTiming } from './cases.js';

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  kernel: string;
  os: string;
  postgresql: string;
  python: string;
  node: string;
  commit: string;
  /** 1-minute load average when the bench started: other work on the machine shows here. */
  load: string;
}

export interface Dataset {
  users: number;
  seed: number;
  replicatedTables: number;
  configRows: number;
  celRows: number;
  callLogRows: number;
  queueLogRows: number;
  replicatedBytes: number;
  excludedBytes: number;
  generateConfigSeconds: number;
  generateHistorySeconds: number;
}

export interface CaseResult {
  id: string;
  label: string;
  runs: RunTiming[];
  /** What was checked after each run, in words. */
  verified: string;
}

export interface BenchResults {
  date: string;
  machine: Machine;
  options: string;
  dataset: Dataset;
  cases: CaseResult[];
  totalSeconds: number;
}

function firstLine(argv: [string, ...string[]]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim() || 'unknown';
}

export function describeMachine(pgBin: string): Machine {
  const cpu = cpus();
  const os = spawnSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'], { encoding: 'utf8' }).stdout.trim();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: firstLine(['uname', '-r']),
    os: os || 'unknown',
    postgresql: firstLine([`${pgBin}/postgres`, '--version']),
    python: firstLine(['python3', '--version']),
    node: process.version,
    commit: firstLine(['git', 'rev-parse', '--short', 'HEAD']),
    load: loadavg().map((l) => l.toFixed(1)).join(' '),
  };
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  count: number;
}

export function summarise(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, count: s.length };
}

/** 0.153 → "0.15", 12.34 → "12.3", 339.2 → "339": three significant digits at most. */
export function formatSeconds(s: number): string {
  if (s >= 100) return s.toFixed(0);
  if (s >= 10) return s.toFixed(1);
  return s.toFixed(2);
}

/** "1.23 s (1.10–1.40)", or "—" without values. */
export function formatSummary(summary: Summary | undefined): string {
  if (!summary) return '—';
  const range = summary.count > 1 ? ` (${formatSeconds(summary.min)}–${formatSeconds(summary.max)})` : '';
  return `${formatSeconds(summary.median)} s${range}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MB`;
}

/** "+3 %" / "−12 %": how much longer b's median is than a's. */
export function formatChange(a: Summary | undefined, b: Summary | undefined): string {
  if (!a || !b || a.median <= 0) return '—';
  const pct = ((b.median - a.median) / a.median) * 100;
  const rounded = Math.round(pct);
  return `${rounded >= 0 ? '+' : '−'}${Math.abs(rounded)} %`;
}

export function formatRatio(a: Summary | undefined, b: Summary | undefined): string {
  if (!a || !b || a.median <= 0) return '—';
  const r = b.median / a.median;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;
}

export function caseSummary(c: CaseResult | undefined): Summary | undefined {
  return c ? summarise(c.runs.map((r) => r.seconds)) : undefined;
}

export function renderReport(results: BenchResults): string {
  const { machine: m, dataset: d } = results;
  const byId = new Map(results.cases.map((c) => [c.id, c]));
  const one = caseSummary(byId.get('1'));
  const two = caseSummary(byId.get('2'));
  const three = caseSummary(byId.get('3'));
  const out: string[] = [];
  out.push(`# Replication benchmark — ${results.date}`, '');
  out.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memory}, kernel ${m.kernel} (${m.os}); load average at start ${m.load}.`);
  out.push(`Software: ${m.postgresql}, ${m.python}, Node ${m.node}, xivo-ha ${m.commit}. Options: \`${results.options}\`.`, '');
  out.push('## Data (master)', '');
  out.push(`- Configuration: ${formatCount(d.users)} users (seed ${d.seed}), **${formatCount(d.configRows)} rows in ${d.replicatedTables} replicated tables**, ${formatMegabytes(d.replicatedBytes)} on disk; generated in ${formatSeconds(d.generateConfigSeconds)} s.`);
  out.push(`- History (excluded): **${formatCount(d.celRows)} cel**, ${formatCount(d.callLogRows)} call_log, ${formatCount(d.queueLogRows)} queue_log rows, ${formatMegabytes(d.excludedBytes)} on disk with indexes; generated in ${formatSeconds(d.generateHistorySeconds)} s.`, '');
  out.push('## Times', '');
  out.push('| case | what the run copies | runs | wall time, median (min–max) | DB step (status file) | rows copied |');
  out.push('|---|---|---:|---:|---:|---:|');
  for (const c of results.cases) {
    const wall = summarise(c.runs.map((r) => r.seconds));
    const dbTimes = c.runs.flatMap((r) => (r.dbSeconds === undefined ? [] : [r.dbSeconds]));
    const rows = c.runs.find((r) => r.rows !== undefined)?.rows;
    out.push(`| ${c.id} | ${c.label} | ${c.runs.length} | ${formatSummary(wall)} | ${formatSummary(summarise(dbTimes))} | ${rows === undefined ? '—' : formatCount(rows)} |`);
  }
  out.push('');
  out.push(`- ${formatCount(d.celRows)} CEL rows of excluded history change the replication time by **${formatChange(one, two)}** (case 2 against case 1, medians).`);
  if (three) out.push(`- Copying the history too, as a pipeline without the exclusion would, takes **${formatRatio(two, three)}** the time of case 2.`);
  out.push('');
  out.push('## Checked after every run', '');
  for (const c of results.cases) out.push(`- Case ${c.id}: ${c.verified}.`);
  out.push('', `Whole bench: ${formatSeconds(results.totalSeconds)} s.`);
  return `${out.join('\n')}\n`;
}
