// Small helpers shared by the exec() of every connection.

import { constants } from 'node:os';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** argv run with extra environment variables through env(1): sshd drops most client-sent variables. */
export function execArgvWithEnv(argv: string[], env: Record<string, string> = {}): string[] {
  const pairs = Object.entries(env);
  if (pairs.length === 0) return argv;
  for (const [name] of pairs) if (!ENV_NAME.test(name)) throw new TypeError(`not an environment variable name: ${JSON.stringify(name)}`);
  return ['env', ...pairs.map(([k, v]) => `${k}=${v}`), ...argv];
}

/** A shell's view of how a process ended: its code, or 128 + the signal's number. */
export function exitCode(code: number | null, signal?: string | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal.replace(/^(SIG)?/, 'SIG') as keyof typeof constants.signals] : undefined;
  return 128 + (number ?? 127);
}
