// Runs commands on the runner machine for the lab: argv arrays only, no shell.
// Failures become CommandError naming the argv, its exit code and stderr tail.

import { spawn } from 'node:child_process';
import { CommandError } from '../core/errors.js';

export interface LocalResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface LocalRunOptions {
  stdin?: string;
  /** Echo the command's output to our stderr as it comes (long builds). */
  inheritOutput?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function runLocal(argv: string[], options: LocalRunOptions = {}): Promise<LocalResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('runLocal: empty argv');
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (options.inheritOutput) process.stderr.write(d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (options.inheritOutput) process.stderr.write(d);
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like runLocal, but a non-zero exit throws CommandError (host "runner"). */
export async function runLocalOk(argv: string[], options: LocalRunOptions = {}): Promise<string> {
  const r = await runLocal(argv, options);
  if (r.code !== 0) throw new CommandError('runner', argv, r.code, tail(r.stderr || r.stdout));
  return r.stdout;
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
