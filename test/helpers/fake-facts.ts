// Planned-state models for module table tests, built from a tiny description
// of a host (files with content/mode/owner, directories, links, units,
// users), and `planTwice`: plan, apply the changes to the model, plan again
// and check that the second plan is empty (commands that always run aside).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { FileFact, Module, ModuleContext, ModulePlan, Probe, UnitFact, UserFact } from '../../src/core/types.js';
import { probeKey } from '../../src/core/types.js';
import { FactsModel, mergeProbes } from '../../src/facts/model.js';
import type { FactValue } from '../../src/transport/types.js';

export interface FakeFile {
  content?: string | Buffer;
  mode?: number;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  type?: 'file' | 'directory' | 'link';
  /** For links. */
  target?: string;
}

export interface FakeWorld {
  /** Path → content (a regular file 0644 root:root) or a full description. Parents exist as 0755 root:root directories. */
  files?: Record<string, string | FakeFile>;
  /** Existing directories (0755 root:root), besides the parents of files. */
  dirs?: string[];
  units?: Record<string, Partial<UnitFact>>;
  /** Users besides root (uid 0, home /root). */
  users?: Record<string, { uid: number; gid: number; home?: string }>;
}

/** Answers probes as a host described by `world` would. */
export function answerProbes(world: FakeWorld, probes: Probe[]): Map<string, FactValue> {
  const out = new Map<string, FactValue>();
  for (const p of mergeProbes(probes)) out.set(probeKey(p), answer(world, p));
  return out;
}

function answer(world: FakeWorld, p: Probe): FactValue {
  switch (p.kind) {
    case 'file':
      return fileFact(world, posix.normalize(p.path), Boolean(p.content), p.contentMax);
    case 'unit': {
      const u = world.units?.[p.unit];
      return u ? { exists: true, active: 'inactive', enabled: 'disabled', ...u } : { exists: false, active: 'inactive', enabled: '' };
    }
    case 'user': {
      if (p.name === 'root') return { exists: true, uid: 0, gid: 0, home: '/root', shell: '/bin/bash' };
      const u = world.users?.[p.name];
      return u ? ({ exists: true, uid: u.uid, gid: u.gid, home: u.home ?? `/home/${p.name}`, shell: '/bin/sh' } satisfies UserFact) : { exists: false };
    }
    case 'group':
      return p.name === 'root' ? { exists: true, gid: 0 } : { exists: false };
    case 'command':
      return { rc: 0, stdout: '', stderr: '' };
  }
}

function fileFact(world: FakeWorld, path: string, withContent: boolean, contentMax = Infinity): FileFact {
  const entry = world.files?.[path];
  const isParent = (p: string) => p === '/' || (world.dirs ?? []).some((d) => d === p || d.startsWith(`${p}/`)) || Object.keys(world.files ?? {}).some((f) => f.startsWith(`${p}/`));
  if (entry === undefined) {
    if (!isParent(path)) return { exists: false };
    return { exists: true, type: 'directory', mode: 0o755, uid: 0, gid: 0, owner: 'root', group: 'root', size: 4096 };
  }
  const f: FakeFile = typeof entry === 'string' ? { content: entry } : entry;
  const type = f.type ?? 'file';
  const base = {
    exists: true as const,
    type,
    mode: f.mode ?? (type === 'directory' ? 0o755 : type === 'link' ? 0o777 : 0o644),
    uid: f.uid ?? 0,
    gid: f.gid ?? 0,
    owner: f.owner ?? 'root',
    group: f.group ?? 'root',
  };
  if (type === 'link') return { ...base, size: f.target?.length ?? 0, target: f.target ?? '' };
  if (type === 'directory') return { ...base, size: 4096 };
  const content = Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content ?? '', 'utf8');
  const sha256 = createHash('sha256').update(content).digest('hex');
  return withContent && content.length <= contentMax ? { ...base, size: content.length, sha256, content } : { ...base, size: content.length, sha256 };
}

/** A model answering exactly the probes given (as the runner's gather would). */
export function fakeFacts(world: FakeWorld, probes: Probe[]): FactsModel {
  return new FactsModel(answerProbes(world, probes));
}

export interface ContextOptions {
  /** Controller-side files for copy's src. */
  localFiles?: Record<string, string | Buffer>;
  /** Rendered template output by src. */
  templates?: Record<string, string>;
  /** Text that counts as secret. */
  secrets?: string[];
}

export function fakeContext(options: ContextOptions = {}): ModuleContext {
  return {
    host: 'test-host',
    readLocalFile(path) {
      const f = options.localFiles?.[path];
      if (f === undefined) throw new Error(`could not find or access '${path}'`);
      return Buffer.isBuffer(f) ? f : Buffer.from(f, 'utf8');
    },
    renderTemplateFile(path) {
      const t = options.templates?.[path];
      if (t === undefined) throw new Error(`could not find template '${path}'`);
      return t;
    },
    containsSecret: (text) => (options.secrets ?? []).some((s) => text.includes(s)),
  };
}

export interface TwoPlans {
  first: ModulePlan;
  /** 'deferred' when a probe of the second plan is only known after apply (the runner shows "known after apply"). */
  second: ModulePlan | 'deferred';
  /** The planned state after the first plan's changes. */
  model: FactsModel;
}

/**
 * Plans against `world` (or a given model), applies the changes to the model,
 * plans again, and asserts the second plan has no change other than commands
 * that always run. Facts the second plan needs and the model lacks are read
 * from `world`, as the runner reads them from the host.
 */
export function planTwice(module: Module, args: Record<string, unknown>, world: FakeWorld | FactsModel, ctx: ModuleContext = fakeContext()): TwoPlans {
  const host: FakeWorld = world instanceof FactsModel ? {} : world;
  const model = world instanceof FactsModel ? world : new FactsModel(new Map());
  const gather = () => {
    const probes = module.probes(args, ctx);
    const missing = mergeProbes(probes).filter((p) => !model.has(p));
    if (missing.length > 0) model.addFacts(answerProbes(host, missing));
    return probes;
  };
  gather();
  const first = module.plan(args, model, ctx);
  for (const change of first.changes) model.applyChange(change);
  const probes = gather();
  if (probes.some((p) => model.isUnknown(p))) return { first, second: 'deferred', model };
  const second = module.plan(args, model, ctx);
  const left = second.changes.filter((c) => !c.alwaysRuns);
  assert.deepEqual(
    left.map((c) => c.summary),
    [],
    `the second plan must be empty, but it has: ${left.map((c) => c.summary).join('; ')}`,
  );
  if (first.failed === undefined) assert.equal(second.failed, undefined, `the second plan failed: ${second.failed}`);
  return { first, second, model };
}
