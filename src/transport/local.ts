// A HostConnection to this machine: the same agent.py, as a local child
// process with the same framing. Used for `ansible_connection: local` hosts
// and by the agent's unit tests.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ConnectError, UserError } from '../core/errors.js';
import type { CommandFact, Probe, Step, StepResult } from '../core/types.js';
import { AgentClient, DEFAULT_LOCK_PATH } from './agent-client.js';
import { agentArgv, supervisedArgv } from './agent-source.js';
import { exitCode } from './exec-argv.js';
import type { ExecOptions, FactValue, HostConnection } from './types.js';

export interface LocalOptions {
  /** Name used in messages and events; default "localhost". */
  host?: string;
  python?: string;
  /** The run lock's path (tests use a temp dir). */
  lockPath?: string;
  /** Default timeout of command probes and exec steps without their own. */
  commandTimeoutMs?: number;
  /** Environment of the agent process (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export class LocalConnection implements HostConnection {
  readonly host: string;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #agent: AgentClient;
  readonly #options: LocalOptions;
  /** Resolves with the agent's exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;

  constructor(options: LocalOptions = {}) {
    this.#options = options;
    this.host = options.host ?? 'localhost';
    const [cmd, ...args] = agentArgv(options.python);
    this.#child = spawn(cmd!, args, { stdio: 'pipe', env: options.env ?? process.env });
    this.exited = new Promise((resolve) => this.#child.on('close', (code) => resolve(code)));
    this.#child.on('error', (e) => this.#agent.fail(new ConnectError(this.host, 'other', `cannot start the agent: ${e.message}`, undefined, { cause: e })));
    this.#agent = new AgentClient(this.host, this.#child, (stderr) =>
      new ConnectError(this.host, 'closed', 'the agent exited', stderr ? `agent stderr: ${stderr}` : undefined),
    );
  }

  /** The agent's process id (to kill it in tests). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Resolves once the agent answers; fails with why it could not start. */
  async ready(): Promise<this> {
    await this.#agent.ping();
    return this;
  }

  probe(probes: Probe[]): Promise<Map<string, FactValue>> {
    return this.#agent.probe(probes, this.#options.commandTimeoutMs);
  }

  apply(steps: Step[]): Promise<StepResult[]> {
    return this.#agent.apply(steps, this.#options.commandTimeoutMs);
  }

  lock(holder: string, path?: string): Promise<void> {
    return this.#agent.lock(holder, path ?? this.#options.lockPath ?? DEFAULT_LOCK_PATH);
  }

  exec(argv: string[], options: ExecOptions = {}): Promise<CommandFact> {
    if (argv.length === 0) return Promise.reject(new UserError(`${this.host}: empty command`));
    // The same supervisor as over SSH: the command's process group dies with
    // a timeout, or with this process (its stdout pipe closes).
    const [cmd, ...args] = supervisedArgv(argv, options.timeoutMs, this.#options.python);
    return new Promise((resolve, reject) => {
      const child = spawn(cmd!, args, { stdio: 'pipe', env: { ...process.env, ...options.env } });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
      }, options.timeoutMs);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.stdin.on('error', () => undefined);
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new UserError(`${this.host}: cannot run ${argv.join(' ')}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(new UserError(`${this.host}: timed out after ${options.timeoutMs! / 1000} s: ${argv.join(' ')}`,
            'the command did not finish in time; it and its process group were killed'));
          return;
        }
        resolve({ rc: exitCode(code, signal), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      child.stdin.end(options.stdin ?? '');
    });
  }

  async close(): Promise<void> {
    this.#agent.end();
    await this.exited;
  }
}

export async function connectLocal(options: LocalOptions = {}): Promise<LocalConnection> {
  const conn = new LocalConnection(options);
  try {
    return await conn.ready();
  } catch (e) {
    await conn.close().catch(() => undefined);
    throw e;
  }
}
