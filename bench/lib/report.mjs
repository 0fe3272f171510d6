// The results as markdown: times (median and min–max), ratios, memory,
// correctness, and the machine they came from.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { spawnSync } from 'node:child_process';
import { RESULTS_DIR } from './paths.mjs';
import { floorKindOf } from './floor.mjs';
import { CASE_LABELS, CASES, TOOL_LABELS } from './schedule.mjs';
import { formatMegabytes, formatRatio, formatSeconds, median, summarise } from './stats.mjs';

function firstLine(argv) {
  const res = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return res.status === 0 ? `${res.stdout}${res.stderr}`.trim().split('\n')[0] : undefined;
}

function osName() {
  try {
    return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export function describeMachine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memory: formatMegabytes(totalmem()),
    kernel: firstLine(['uname', '-r']),
    os: osName(),
    node: process.version,
    ansible: firstLine(['ansible-playbook', '--version']),
    mitogen: firstLine(['dpkg-query', '-W', '-f', '${Version}', 'ansible-mitogen']),
    openssh: firstLine(['ssh', '-V']),
    commit: firstLine(['git', 'rev-parse', '--short', 'HEAD']),
  };
}

function cell(s, failed) {
  if (!s) return '—';
  const range = s.count > 1 ? ` (${formatSeconds(s.min).replace(' s', '')}–${formatSeconds(s.max)})` : '';
  return `${formatSeconds(s.median)}${range}${failed ? ' ✗' : ''}`;
}

/**
 * xivo-ha / floor of one case: when every xivo-ha run has the floor timed
 * just before it, the median of the runs' own ratios (and of those floors);
 * else xivo-ha's median over the floor runs' median.
 */
export function floorRatio(xivoHaRuns, separateFloor) {
  const paired = xivoHaRuns.filter((m) => m.pairedFloorSeconds > 0).length;
  if (xivoHaRuns.length > 0 && paired === xivoHaRuns.length) {
    return { floorSeconds: median(xivoHaRuns.map((m) => m.pairedFloorSeconds)), ratio: median(xivoHaRuns.map((m) => m.seconds / m.pairedFloorSeconds)) };
  }
  const x = summarise(xivoHaRuns.map((m) => m.seconds));
  const result = { floorSeconds: separateFloor?.median, ratio: x && separateFloor ? x.median / separateFloor.median : undefined };
  // Some runs were paired, others lost their floor (the log says why): the report must say the ratio is not paired.
  return paired > 0 ? { ...result, unpairedRuns: xivoHaRuns.length - paired } : result;
}

/** results: {date, machine, measurements[], floors[], correctness[], skipped[], options} */
export function renderReport(results) {
  const { measurements, floors } = results;
  // The lab's 2-node case (n = 'lab') first, then the loopback counts.
  const counts = [...new Set([...measurements.map((m) => m.n), ...floors.map((f) => f.n)])].sort((a, b) => (typeof a === 'string' ? -1 : typeof b === 'string' ? 1 : a - b));
  const hostCount = (n) => results.targets?.find((t) => t.n === n)?.count ?? n;
  const times = (n, caseId, tool) => summarise(measurements.filter((m) => m.n === n && m.case === caseId && m.tool === tool).map((m) => m.seconds));
  const failed = (n, caseId, tool) => measurements.some((m) => m.n === n && m.case === caseId && m.tool === tool && !m.ok);
  const floor = (n, kind) => summarise(floors.filter((f) => f.n === n && f.kind === kind).map((f) => f.seconds));
  const m = results.machine;
  const out = [];
  out.push(`# xivo-ha vs Ansible: provisioning benchmark, ${results.date}`, '');
  out.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memory} RAM, kernel ${m.kernel}, ${m.os ?? ''}`);
  out.push(`Tools: ${m.ansible ?? 'ansible: not installed'}; ansible-mitogen ${m.mitogen ?? '—'}; xivo-ha ${m.commit ?? ''} on Node ${m.node}; ${m.openssh ?? ''}`);
  out.push(`Options: ${results.options}`);
  if (results.environment) out.push(`Environment of every timed command: ${results.environment}.`);
  out.push('');
  if (results.status !== 'complete') {
    const state = results.status === 'running' ? 'still running when this was written' : results.status;
    out.push(`**Partial report**: the bench was ${state} after ${formatSeconds(results.elapsedSeconds)}; below is what it had measured by then, the rest of its schedule was not run.`, '');
  }
  for (const t of results.targets ?? []) out.push(`N=${t.n}: ${t.description}.`);
  if (results.targets?.length) out.push('');
  out.push('Wall time, median (min–max) over the runs; ✗ = a run failed its correctness check. Floor: handshake for (b) and (c), tar push for (a); where each xivo-ha run had a floor timed just before it (N ≤ 10), the floor column is the median of those and xivo-ha / floor the median of the runs\' own ratios, else median over median.', '');
  out.push('| N | case | Ansible | Ansible+Mitogen | xivo-ha | floor | Ansible / xivo-ha | Mitogen / xivo-ha | xivo-ha / floor |');
  out.push('|---|---|---|---|---|---|---|---|---|');
  const unpaired = [];
  for (const n of counts) {
    for (const c of CASES) {
      const [a, g, x] = ['ansible', 'mitogen', 'xivo-ha'].map((t) => times(n, c, t));
      if (!a && !g && !x) continue;
      const { floorSeconds, ratio, unpairedRuns } = floorRatio(measurements.filter((m) => m.n === n && m.case === c && m.tool === 'xivo-ha'), floor(n, floorKindOf(c)));
      if (unpairedRuns) unpaired.push(`N=${n} ${CASE_LABELS[c]}: ${unpairedRuns} run(s)`);
      out.push(`| ${n} | ${CASE_LABELS[c]} | ${cell(a, failed(n, c, 'ansible'))} | ${cell(g, failed(n, c, 'mitogen'))} | ${cell(x, failed(n, c, 'xivo-ha'))} | ${floorSeconds !== undefined ? formatSeconds(floorSeconds) : '—'} | ${formatRatio(a?.median, x?.median)} | ${formatRatio(g?.median, x?.median)} | ${formatRatio(ratio, 1)}${unpairedRuns ? ' †' : ''} |`);
    }
  }
  if (unpaired.length > 0) out.push('', `† The floor timed before some xivo-ha runs failed (the bench log says why): median over median instead (${unpaired.join('; ')}).`);
  out.push('', '## SSH floor', '', '| N | handshake (curve25519), all hosts in parallel | tar push of every final tree |', '|---|---|---|');
  for (const n of counts) {
    const h = floor(n, 'handshake');
    const t = floor(n, 'tar');
    if (h || t) out.push(`| ${n} | ${cell(h)} | ${cell(t)} |`);
  }
  out.push('', '## Peak memory', '', 'The tool\'s whole local process tree (controller, forks, ssh clients, ControlPersist masters), sampled from /proc: PSS sum every 300 ms (shared pages split among sharers: the real total), RSS sum every 100 ms (counts pages shared by forked workers once per process: an upper bound). Remote processes not included. Highest over runs and cases.', '');
  out.push('| N | tool | peak PSS | PSS per host | peak RSS sum |', '|---|---|---|---|---|');
  for (const n of counts) {
    for (const tool of ['ansible', 'mitogen', 'xivo-ha']) {
      const mine = measurements.filter((x) => x.n === n && x.tool === tool);
      if (mine.length === 0) continue;
      const pss = Math.max(...mine.map((x) => x.peakPssBytes));
      const rss = Math.max(...mine.map((x) => x.peakRssBytes));
      out.push(`| ${n} | ${TOOL_LABELS[tool]} | ${formatMegabytes(pss)} | ${(pss / hostCount(n) / 1048576).toFixed(1)} MB | ${formatMegabytes(rss)} |`);
    }
  }
  out.push('', '## Correctness', '');
  const bad = measurements.filter((x) => !x.ok);
  out.push(`${measurements.length - bad.length} of ${measurements.length} timed runs showed exactly the expected changes on every host.`);
  for (const x of bad) out.push(`- ✗ N=${x.n} ${CASE_LABELS[x.case]} ${TOOL_LABELS[x.tool]} run ${x.run}: ${x.detail.split('\n').join(' / ')} (log: ${x.log})`);
  for (const c of results.correctness) out.push(`- ${c.ok ? '✓' : '✗'} N=${c.n} ${c.what}: ${c.detail}`);
  if (results.skipped.length) {
    out.push('', '## Not measured', '');
    for (const s of results.skipped) out.push(`- ${s.what}: ${s.why}`);
  }
  out.push('', `Total bench time: ${formatSeconds(results.elapsedSeconds)}.`, '');
  return out.join('\n');
}

/** bench/results/<date>.md; the date is the bench's start, with ':' made '-' for file systems that refuse it. */
export function reportFileFor(date) {
  return join(RESULTS_DIR, `${date.replace(/:/g, '-')}.md`);
}

/** Writes the report and, beside it, the raw figures (.json); returns the report. */
export function writeReport(results, file) {
  const report = renderReport(results);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(file, report);
  writeFileSync(file.replace(/\.md$/, '.json'), JSON.stringify(results, null, 1));
  return report;
}
