// An in-memory host for unit tests of the runner: a tiny filesystem, systemd
// units and users, answering probes and executing steps like the agent does.
// Integration tests use real hosts; this one makes runner tests cheap.

import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { CommandFact, FileFact, Probe, Step, StepResult, UnitFact } from '../../src/core/types.js';
import { probeKey } from '../../src/core/types.js';
import type { FactValue, HostConnection } from '../../src/transport/types.js';
import { LockError } from '../../src/core/errors.js';

export interface FakeNode {
  type: 'file' | 'directory' | 'link';
  content?: Buffer;
  target?: string;
  mode: number;
  owner: string;
  group: string;
}

export type ExecHandler = (argv: string[], host: FakeHost, stdin?: Buffer) => CommandFact;

export class FakeHost implements HostConnection {
  readonly files = new Map<string, FakeNode>();
  readonly units = new Map<string, UnitFact>();
  readonly execLog: string[][] = [];
  probeRoundTrips = 0;
  applyRoundTrips = 0;
  lockedBy?: string;
  /** Makes the nth apply request (1-based) fail at its first step. */
  failApplyAt?: number;
  closed = false;

  constructor(
    readonly host: string,
    private readonly onExec: ExecHandler = () => ({ rc: 0, stdout: '', stderr: '' }),
  ) {
    this.files.set('/', { type: 'directory', mode: 0o755, owner: 'root', group: 'root' });
    for (const dir of ['/etc', '/root', '/tmp', '/var/lib']) this.mkdirs(dir);
  }

  writeFile(path: string, content: string, mode = 0o644, owner = 'root', group = 'root'): this {
    this.mkdirs(dirname(path));
    this.files.set(path, { type: 'file', content: Buffer.from(content), mode, owner, group });
    return this;
  }

  readFile(path: string): string | undefined {
    return this.files.get(path)?.content?.toString('utf8');
  }

  private mkdirs(path: string, mode = 0o755, owner = 'root', group = 'root'): void {
    if (this.files.has(path)) return;
    this.mkdirs(dirname(path));
    this.files.set(path, { type: 'directory', mode, owner, group });
  }

  async probe(probes: Probe[]): Promise<Map<string, FactValue>> {
    this.probeRoundTrips++;
    const out = new Map<string, FactValue>();
    for (const p of probes) out.set(probeKey(p), this.answer(p));
    return out;
  }

  private answer(p: Probe): FactValue {
    switch (p.kind) {
      case 'file':
        return this.fileFact(p.path, Boolean(p.content));
      case 'unit':
        return this.units.get(p.unit) ?? { exists: false, active: 'inactive', enabled: '' };
      case 'user':
        return p.name === 'root' ? { exists: true, uid: 0, gid: 0, home: '/root', shell: '/bin/bash' } : { exists: false };
      case 'group':
        return p.name === 'root' ? { exists: true, gid: 0 } : { exists: false };
      case 'command':
        return this.onExec(p.argv, this, p.stdin === undefined ? undefined : Buffer.from(p.stdin));
    }
  }

  private fileFact(path: string, withContent: boolean): FileFact {
    const n = this.files.get(path);
    if (!n) return { exists: false };
    const base = { exists: true as const, type: n.type, mode: n.mode, uid: 0, gid: 0, owner: n.owner, group: n.group, size: n.content?.length ?? 0 };
    if (n.type === 'link') return { ...base, target: n.target! };
    if (n.type === 'file') {
      const sha256 = createHash('sha256').update(n.content!).digest('hex');
      return withContent ? { ...base, sha256, content: n.content! } : { ...base, sha256 };
    }
    return base;
  }

  async apply(steps: Step[]): Promise<StepResult[]> {
    this.applyRoundTrips++;
    const results: StepResult[] = [];
    if (this.failApplyAt === this.applyRoundTrips) return [{ ok: false, error: 'injected failure' }];
    for (const step of steps) {
      const r = this.execute(step);
      results.push(r);
      if (!r.ok) break;
    }
    return results;
  }

  private execute(step: Step): StepResult {
    switch (step.kind) {
      case 'put': {
        if (!this.files.has(dirname(step.path))) return { ok: false, error: `no such directory: ${dirname(step.path)}` };
        const old = this.files.get(step.path);
        this.files.set(step.path, {
          type: 'file',
          content: step.content,
          mode: step.mode ?? old?.mode ?? 0o644,
          owner: step.owner ?? old?.owner ?? 'root',
          group: step.group ?? old?.group ?? 'root',
        });
        return { ok: true };
      }
      case 'mkdir':
        this.mkdirs(step.path, step.mode, step.owner, step.group);
        return { ok: true };
      case 'remove':
        for (const p of [...this.files.keys()]) if (p === step.path || p.startsWith(`${step.path}/`)) this.files.delete(p);
        return { ok: true };
      case 'symlink':
        this.files.set(step.path, { type: 'link', target: step.target, mode: 0o777, owner: step.owner ?? 'root', group: step.group ?? 'root' });
        return { ok: true };
      case 'attrs':
      case 'touch': {
        let n = this.files.get(step.path);
        if (!n && step.kind === 'touch') {
          n = { type: 'file', content: Buffer.alloc(0), mode: 0o644, owner: 'root', group: 'root' };
          this.files.set(step.path, n);
        }
        if (!n) return { ok: false, error: `no such file: ${step.path}` };
        if (step.mode !== undefined) n.mode = step.mode;
        if (step.owner !== undefined) n.owner = step.owner;
        if (step.group !== undefined) n.group = step.group;
        return { ok: true };
      }
      case 'exec': {
        this.execLog.push(step.argv);
        const r = this.onExec(step.argv, this, step.stdin);
        const ok = (step.okCodes ?? [0]).includes(r.rc);
        return { ok, rc: r.rc, stdout: r.stdout, stderr: r.stderr };
      }
    }
  }

  async exec(argv: string[]): Promise<CommandFact> {
    return this.onExec(argv, this);
  }

  lockPath?: string;

  async lock(holder: string, path = '/var/lib/xivo-ha/lock'): Promise<void> {
    this.lockPath = path;
    if (this.lockedBy && this.lockedBy !== holder) throw new LockError(`${this.host}: locked by ${this.lockedBy}`);
    this.lockedBy = holder;
    this.holdsLock = true;
  }

  /** Like the agent's flock, the lock goes with the connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.holdsLock) this.lockedBy = undefined;
    this.holdsLock = false;
  }

  private holdsLock = false;
}
