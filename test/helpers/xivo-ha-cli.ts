// Runs the xivo-ha CLI (the build, as an operator would) for the
// integration tests; every run's output is kept for the suite's secret scan.

import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { builtCli, packageRoot } from './cli-path.js';
import { recordOutput } from './suite-record.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function xivoHa(args: string[], timeoutMs = 180_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtCli(), ...args, '--no-color'], { cwd: packageRoot, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      recordOutput(args, stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

interface JsonEvent {
  type: string;
  [key: string]: unknown;
}

export function events(stdout: string): JsonEvent[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonEvent);
}

export interface TaskResultEvent {
  host: string;
  task: string;
  status: string;
  changes: { action: string; target: string; summary: string; diff?: string }[];
}

export function taskResults(stdout: string): TaskResultEvent[] {
  return events(stdout).filter((e) => e.type === 'task_result') as unknown as TaskResultEvent[];
}

/** Sum of `changed` over the hosts of an apply's --json output. */
export function changedCount(stdout: string): number {
  return events(stdout).filter((e) => e.type === 'host_summary').reduce((n, e) => n + Number(e['changed'] ?? 0), 0);
}

/** Applies, then applies again: the second run must change nothing. */
export async function applyTwice(inventory: string, extra: string[] = []): Promise<void> {
  const first = await xivoHa(['apply', '-i', inventory, '--json', ...extra]);
  assert.equal(first.code, 0, `first apply failed:\n${first.stderr}\n${failures(first.stdout)}`);
  const second = await xivoHa(['apply', '-i', inventory, '--json', ...extra]);
  assert.equal(second.code, 0, `second apply failed:\n${second.stderr}\n${failures(second.stdout)}`);
  const changed = taskResults(second.stdout).filter((r) => r.status === 'changed');
  assert.deepEqual(changed.map((r) => `${r.host}: ${r.task}`), [], 'the second apply changed something');
}

function failures(stdout: string): string {
  return events(stdout).filter((e) => e.type === 'task_result' && e['status'] === 'failed' || e.type === 'host_failed' || e.type === 'check_result' && e['ok'] === false).map((e) => JSON.stringify(e)).join('\n');
}
