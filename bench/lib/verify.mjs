// Correctness is checked, not assumed: each timed run's output must show the
// expected changes, per host. Ansible's text output goes through gen.py's
// reference parser; xivo-ha's JSON events are read here.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKLOAD_DIR } from './paths.mjs';
import { runSync } from './proc.mjs';

export const CASE_MODES = { a: 'apply', b: 'noop', c: 'check' };

export function verifyAnsibleLog(logFile, count, caseId) {
  try {
    const out = runSync(['/usr/bin/python3', join(WORKLOAD_DIR, 'gen.py'), 'verify', '--mode', CASE_MODES[caseId], '--hosts', String(count), logFile]);
    return { ok: true, detail: out.trim() };
  } catch (err) {
    return { ok: false, detail: err.message };
  }
}

/** Reads JSON event lines, ignoring anything else in the log (stderr shares it). */
export function parseEvents(text) {
  const events = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line);
      if (e && typeof e.type === 'string') events.push(e);
    } catch {
      // a human line that happens to start with '{'
    }
  }
  return events;
}

/**
 * Checks xivo-ha's events against the workload's expectations:
 * (a) every task and the handler changed, (b) nothing changed or pending,
 * (c) exactly the drifted tasks pending.
 */
export function checkXivoHaEvents(events, hostNames, caseId, workload) {
  const errors = [];
  const summaries = new Map(events.filter((e) => e.type === 'host_summary').map((e) => [e.host, e]));
  const results = events.filter((e) => e.type === 'task_result');
  const end = events.find((e) => e.type === 'run_end');
  if (!end) errors.push('no run_end event (did the run crash?)');
  else if (caseId === 'c' ? ![0, 2].includes(end.exit_code) : end.exit_code !== 0) errors.push(`exit code ${end.exit_code}`);
  for (const e of events) {
    if (e.type === 'host_unreachable') errors.push(`${e.host}: unreachable (${e.reason}): ${e.message}`);
    if (e.type === 'host_failed') errors.push(`${e.host}: failed: ${e.message}`);
    if (e.type === 'verify_drift') errors.push(`${e.host}: still pending after apply: ${e.task}`);
    if (e.type === 'message' && e.level === 'error') errors.push(`error: ${e.text}`);
  }
  for (const host of hostNames) {
    const s = summaries.get(host);
    if (!s) {
      errors.push(`${host}: no host_summary`);
      continue;
    }
    if (s.failed || s.unreachable) errors.push(`${host}: failed=${s.failed} unreachable=${s.unreachable}`);
    const mine = results.filter((r) => r.host === host);
    const changedTasks = mine.filter((r) => r.status === 'changed' && !r.handler).length;
    const changedHandlers = mine.filter((r) => r.status === 'changed' && r.handler).length;
    if (caseId === 'a') {
      const want = workload.expected.tasks_per_host;
      if (changedTasks !== want || changedHandlers !== 1) {
        errors.push(`${host}: ${changedTasks} tasks + ${changedHandlers} handler changed, want ${want} + 1`);
      }
    } else if (caseId === 'b') {
      if (s.changed !== 0 || s.pending !== 0) {
        const which = mine.filter((r) => r.status !== 'ok' && r.status !== 'skipped').map((r) => r.task);
        errors.push(`${host}: changed=${s.changed} pending=${s.pending}, want 0 (${which.join(', ')})`);
      }
    } else {
      const want = [...workload.drift.expected_changed_tasks].sort();
      // Tasks only: a plan may also list the handlers the drifted tasks notify
      // (they would run on apply); Ansible's check mode does not report them.
      const got = mine.filter((r) => r.status === 'pending' && !r.handler).map((r) => r.task).sort();
      if (JSON.stringify(got) !== JSON.stringify(want) || s.changed !== 0) {
        errors.push(`${host}: pending ${JSON.stringify(got)} changed=${s.changed}, want ${JSON.stringify(want)}`);
      }
    }
  }
  return errors;
}

export function verifyXivoHaLog(logFile, hostNames, caseId, workload) {
  const errors = checkXivoHaEvents(parseEvents(readFileSync(logFile, 'utf8')), hostNames, caseId, workload);
  if (errors.length === 0) return { ok: true, detail: `verify ${CASE_MODES[caseId]}: OK, ${hostNames.length} hosts` };
  const shown = errors.slice(0, 10).join('\n  ');
  return { ok: false, detail: `verify ${CASE_MODES[caseId]}: FAILED (${errors.length} errors)\n  ${shown}` };
}
