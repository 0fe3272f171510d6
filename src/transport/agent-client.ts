// The runner's side of the agent protocol (docs/agent.md), over any pair of
// pipes: an SSH exec channel or a local child process. Requests are written
// as soon as they are made and answered in order, so callers may pipeline.

import type { Readable, Writable } from 'node:stream';
import { LockError, UserError } from '../core/errors.js';
import type { FileFact, Probe, Step, StepResult } from '../core/types.js';
import { probeKey } from '../core/types.js';
import { agentPreamble } from './agent-source.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import type { FactValue } from './types.js';

export const DEFAULT_LOCK_PATH = '/var/lib/xivo-ha/lock';

export interface AgentPipes {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
}

type Answer = Record<string, unknown> & { ok: boolean; error?: string };

interface Pending {
  id: number;
  op: string;
  resolve(answer: Answer): void;
  reject(error: Error): void;
}

interface LockHolder {
  holder?: string;
  pid?: number;
  user?: string;
  sudo_user?: string | null;
  ssh_client?: string | null;
  since?: string;
}

const STDERR_TAIL = 2000;

export class AgentClient {
  readonly #pending: Pending[] = [];
  readonly #decoder = new FrameDecoder();
  #nextId = 1;
  #failure: Error | undefined;
  #stderr = '';

  /**
   * @param whenClosed builds the error pending and later requests fail with
   *   once the pipes close (it gets the agent's stderr tail).
   */
  constructor(
    readonly host: string,
    private readonly pipes: AgentPipes,
    private readonly whenClosed: (stderrTail: string) => Error,
  ) {
    pipes.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    pipes.stdout.on('end', () => this.fail(this.whenClosed(this.stderrTail)));
    pipes.stdout.on('error', (e: Error) => this.fail(e));
    pipes.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    // A write after the agent died reports EPIPE here; the 'end' above says why.
    pipes.stdin.on('error', () => undefined);
    pipes.stdin.write(agentPreamble());
  }

  get stderrTail(): string {
    return this.#stderr.trim();
  }

  /** Fails every pending and future request with this error (first one wins). */
  fail(error: Error): void {
    this.#failure ??= error;
    for (const p of this.#pending.splice(0)) p.reject(this.#failure);
  }

  async ping(): Promise<{ pid: number; uid: number; python: string }> {
    const a = await this.#request({ op: 'ping' });
    return { pid: Number(a.pid), uid: Number(a.uid), python: String(a.python) };
  }

  async probe(probes: Probe[], timeoutMs?: number): Promise<Map<string, FactValue>> {
    const facts = new Map<string, FactValue>();
    if (probes.length === 0) return facts;
    const a = await this.#request({ op: 'probe', probes, timeoutMs });
    const answers = a.facts as Record<string, unknown>[];
    probes.forEach((probe, i) => {
      const fact = answers[i] ?? { error: 'no answer' };
      if (typeof fact.error === 'string') throw new UserError(`${this.host}: cannot read ${describeProbe(probe)}: ${fact.error}`);
      facts.set(probeKey(probe), probe.kind === 'file' ? fileFactFromWire(fact) : (fact as unknown as FactValue));
    });
    return facts;
  }

  async apply(steps: Step[], timeoutMs?: number): Promise<StepResult[]> {
    if (steps.length === 0) return [];
    const a = await this.#request({ op: 'apply', steps: steps.map(stepToWire), timeoutMs });
    return a.results as StepResult[];
  }

  async lock(holder: string, path = DEFAULT_LOCK_PATH): Promise<void> {
    const a = await this.#request({ op: 'lock', holder, path }, true);
    if (a.ok) return;
    if (a.error !== 'locked') throw new UserError(`${this.host}: cannot take the run lock ${path}: ${a.error}`);
    const h = (a.holder ?? {}) as LockHolder;
    const from = h.ssh_client ? ` (connected from ${h.ssh_client})` : '';
    throw new LockError(
      `${this.host}: locked by ${h.holder || 'an unknown run'}`,
      `agent pid ${h.pid ?? '?'} on ${this.host} holds ${path} since ${h.since ?? '?'}${from}. ` +
        `Wait for that run to finish: the lock goes away when it exits. ` +
        `If that run is gone but its agent lingers on the node, end it there with: kill ${h.pid ?? 'PID'}`,
    );
  }

  async unlock(): Promise<void> {
    await this.#request({ op: 'unlock' });
  }

  /** Ends the agent: it exits on stdin EOF, releasing its lock. */
  end(): void {
    this.pipes.stdin.end();
  }

  #request(message: Record<string, unknown>, failureIsData = false): Promise<Answer> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const op = String(message.op);
    return new Promise<Answer>((resolve, reject) => {
      this.#pending.push({ id, op, resolve, reject });
      this.pipes.stdin.write(encodeFrame({ ...message, id }));
    }).then((a) => {
      if (!a.ok && !failureIsData) throw new UserError(`${this.host}: the agent could not ${op}: ${a.error ?? 'unknown error'}`);
      return a;
    });
  }

  #onData(chunk: Buffer): void {
    let bodies: Buffer[];
    try {
      bodies = this.#decoder.push(chunk);
    } catch (e) {
      this.fail(new UserError(`${this.host}: the agent's output is not the xivo-ha protocol: ${(e as Error).message}`, this.stderrTail || undefined));
      return;
    }
    for (const body of bodies) {
      const waiting = this.#pending.shift();
      if (!waiting) continue;
      let answer: Answer;
      try {
        answer = JSON.parse(body.toString('utf8')) as Answer;
      } catch (e) {
        waiting.reject(new UserError(`${this.host}: the agent answered something that is not JSON: ${(e as Error).message}`));
        continue;
      }
      // An answer without our id is the agent rejecting a frame it could not parse.
      if (answer.id !== undefined && answer.id !== waiting.id) {
        this.fail(new UserError(`${this.host}: the agent answered request ${String(answer.id)} while ${waiting.id} was expected`));
        return;
      }
      waiting.resolve(answer);
    }
  }
}

function describeProbe(p: Probe): string {
  switch (p.kind) {
    case 'file':
      return `file ${p.path}`;
    case 'unit':
      return `unit ${p.unit}`;
    case 'user':
      return `user ${p.name}`;
    case 'group':
      return `group ${p.name}`;
    case 'command':
      return `the output of ${p.argv.join(' ')}`;
  }
}

function fileFactFromWire(fact: Record<string, unknown>): FileFact {
  if (!fact.exists) return { exists: false };
  const { content, ...rest } = fact;
  const out = rest as unknown as FileFact & { exists: true };
  return typeof content === 'string' ? { ...out, content: Buffer.from(content, 'base64') } : out;
}

function stepToWire(step: Step): Record<string, unknown> {
  switch (step.kind) {
    case 'put':
      return { ...step, content: step.content.toString('base64') };
    case 'exec':
      return step.stdin === undefined ? { ...step } : { ...step, stdin: step.stdin.toString('base64') };
    default:
      return { ...step };
  }
}
