// Plain lines for people: what each task does on each host, diffs indented,
// a per-host summary at the end. Dry-run wording "would …", applied wording
// past tense. Everything printed goes through redact().

import type { ChangeView, RunEvent } from '../../core/events.js';
import { actionSymbol } from '../../core/types.js';
import { redact } from '../../core/secret.js';
import { formatDiagnostic } from '../../core/errors.js';
import type { Palette } from './colors.js';
import { renderClusterStatus } from './status-view.js';
import { renderMaintenancePlan, renderMaintenanceStep } from './maintenance-view.js';

export interface HumanViewOptions {
  write: (text: string) => void;
  colors: Palette;
  /** Show tasks that changed nothing (with their reason). */
  verbose: boolean;
}

export function createHumanView(o: HumanViewOptions): (event: RunEvent) => void {
  const c = o.colors;
  let dryRun = false;
  const out = (s: string) => o.write(redact(s) + '\n');
  return (event) => {
    switch (event.type) {
      case 'run_start':
        dryRun = event.dry_run;
        out(c.bold(`${dryRun ? 'Planning' : 'Applying'} ${event.playbooks.join(', ')} on ${event.hosts.length} host(s)`));
        return;
      case 'diagnostic':
        out(c.red(formatDiagnostic(event.diagnostic)));
        return;
      case 'host_connected':
        if (o.verbose) out(c.dim(`${event.host}: connected in ${event.duration_ms} ms`));
        return;
      case 'host_unreachable':
        out(c.red(`${event.host}: UNREACHABLE (${event.reason}): ${event.message}`));
        return;
      case 'play_start':
        out('');
        out(c.bold(`PLAY ${event.play}`) + c.dim(` [${event.hosts.join(', ') || 'no hosts'}]`));
        return;
      case 'task_result': {
        const who = `${event.host}: ${event.handler ? 'handler ' : ''}${event.task}`;
        if (event.status === 'failed') {
          out(c.red(`${who}: FAILED: ${event.error ?? ''}`));
          return;
        }
        for (const m of event.messages ?? []) out(`${who}: ${m}`);
        if (event.status === 'ok' || event.status === 'skipped') {
          if (o.verbose) out(c.dim(`${who}: ${event.status}${event.note ? ` (${event.note})` : ''}`));
          return;
        }
        for (const change of event.changes) out(renderChange(event.host, change, dryRun, c));
        if (event.note && event.changes.some((ch) => ch.knownAfterApply)) out(c.dim(`    ${event.note}`));
        return;
      }
      case 'handlers_resumed':
        out(c.yellow(`${event.host}: firing handlers owed by an earlier failed run: ${event.handlers.join(', ')}`));
        return;
      case 'verify_drift':
        out(c.red(`${event.host}: BUG: task "${event.task}" still has changes after apply (please report):`));
        for (const change of event.changes) out(renderChange(event.host, change, true, c));
        return;
      case 'host_failed':
        out(c.red(`${event.host}: FAILED: ${event.message}`));
        return;
      case 'host_summary': {
        const counts = dryRun
          ? `ok=${event.ok} pending=${event.pending} skipped=${event.skipped} failed=${event.failed}`
          : `ok=${event.ok} changed=${event.changed} skipped=${event.skipped} failed=${event.failed}`;
        const state = event.unreachable ? c.red(' unreachable') : '';
        out(`${event.host.padEnd(16)} ${counts}${state}`);
        return;
      }
      case 'message': {
        const tone = event.level === 'error' ? c.red : event.level === 'warning' ? c.yellow : (s: string) => s;
        out(tone(`${event.host ? `${event.host}: ` : ''}${event.text}`));
        return;
      }
      case 'check_result': {
        const label = event.skipped ? c.yellow('SKIP') : event.ok ? c.green('OK  ') : c.red('FAIL');
        out(`${label} ${event.name.padEnd(24)} ${event.message}`);
        if (!event.ok && event.fix) out(`     ${''.padEnd(24)} ${c.dim(`fix: ${event.fix}`)}`);
        return;
      }
      case 'table_verdict': {
        if (event.status === 'identical') {
          if (o.verbose) out(`${c.green('same')} ${event.table} (${event.master_rows} rows)`);
        } else if (event.status === 'excluded') {
          if (o.verbose) out(c.dim(`skip ${event.table} (excluded from replication)`));
        } else if (event.status === 'missing') {
          out(c.red(`MISSING ${event.table} on the ${event.missing_on}`));
        } else {
          out(c.red(`DIFFERS ${event.table}: master ${event.master_rows} rows, slave ${event.slave_rows} rows`));
        }
        return;
      }
      case 'cluster_status':
        out(renderClusterStatus(event.status, c));
        return;
      case 'maintenance_plan':
        out(renderMaintenancePlan(event.plan, event.dry_run));
        return;
      case 'maintenance_step':
        out(renderMaintenanceStep(event, c));
        return;
      case 'run_end':
        out(c.dim(`done in ${(event.duration_ms / 1000).toFixed(1)} s, exit ${event.exit_code}`));
        return;
    }
  };
}

function renderChange(host: string, change: ChangeView, dryRun: boolean, c: Palette): string {
  const symbol = actionSymbol[change.action];
  const tone = change.action === 'delete' ? c.red : change.action === 'create' ? c.green : c.yellow;
  const verb = dryRun ? `would ${change.summary}` : pastTense(change.summary);
  const lines = [`${tone(symbol)} ${host}: ${verb}${change.knownAfterApply ? c.dim(' (known after apply)') : ''}`];
  if (change.diff) {
    for (const line of change.diff.split('\n')) {
      const colored = line.startsWith('+') && !line.startsWith('+++') ? c.green(line) : line.startsWith('-') && !line.startsWith('---') ? c.red(line) : c.dim(line);
      lines.push(`    ${colored}`);
    }
  }
  return lines.join('\n');
}

const irregular: Record<string, string> = { run: 'ran', set: 'set', write: 'wrote', make: 'made', put: 'put', send: 'sent', get: 'got' };

/** "create /etc/x" → "created /etc/x"; summaries are imperative by convention. */
export function pastTense(summary: string): string {
  const [verb = '', ...rest] = summary.split(' ');
  let past: string;
  if (irregular[verb]) past = irregular[verb]!;
  else if (verb.endsWith('e')) past = `${verb}d`;
  else if (/[^aeiou]y$/.test(verb)) past = `${verb.slice(0, -1)}ied`;
  else if (/^(stop|drop|plan)$/.test(verb)) past = `${verb}${verb.slice(-1)}ed`;
  else past = `${verb}ed`;
  return [past, ...rest].join(' ');
}
