// The per-host model of the PLANNED state. It starts as what the probes
// answered and, as the planner walks the tasks, absorbs every planned change:
// a later task that edits the same file sees the content an earlier task will
// have written, not what is on the host now. This is what lets several tasks
// share a file, and what makes "plan twice, the second plan is empty" a test.
//
// Ownership: steps carry owner and group NAMES (or numeric ids as strings),
// while FileFact has names and uid/gid. Names are authoritative in the model:
// a step that sets owner "www-data" updates `owner` and leaves `uid` as it was
// (the model cannot resolve names); a numeric owner ("33") sets both `owner`
// and `uid`. Modules compare ownership with `ownerMatches`/`groupMatches`
// (src/modules/shared/file-attrs.ts), which understand both forms.
//
// Defaults the executor (the agent) and Ansible share, and the model assumes:
// a new regular file is 0644 root:root (0666 & ~umask 022, written by root),
// a new directory 0755 root:root; a put/touch on an existing file keeps the
// attributes it does not set; mkdir creates missing parents with the same
// mode/owner/group as the leaf (Ansible's file state=directory does so).

import { createHash } from 'node:crypto';
import { dirname, posix } from 'node:path';
import { InternalError } from '../core/errors.js';
import type { Change, CommandFact, Facts, FileFact, GroupFact, Probe, Step, UnitFact, UserFact } from '../core/types.js';
import { probeKey } from '../core/types.js';
import type { FactValue } from '../transport/types.js';

export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_DIR_MODE = 0o755;
const DEFAULT_OWNER = 'root';

type ExistingFile = Extract<FileFact, { exists: true }>;

export class FactsModel implements Facts {
  private readonly values = new Map<string, FactValue>();
  private readonly unknown = new Set<string>();
  /** Directories the model created or emptied: every child not in `values` is known to be absent. */
  private readonly completeDirs = new Set<string>();
  /** Files whose entry comes from a planned change (not straight from a probe). */
  private readonly planned = new Set<string>();

  constructor(facts: Map<string, FactValue>) {
    this.addFacts(facts);
  }

  /** An independent copy (the runner's dry pass before apply plans on one). Fact values are never mutated, so sharing them is safe. */
  clone(): FactsModel {
    const copy = new FactsModel(new Map());
    for (const [k, v] of this.values) copy.values.set(k, v);
    for (const k of this.unknown) copy.unknown.add(k);
    for (const k of this.completeDirs) copy.completeDirs.add(k);
    for (const k of this.planned) copy.planned.add(k);
    return copy;
  }

  /** Answers from the host (probe results keyed by probeKey()). */
  addFacts(facts: Map<string, FactValue>): void {
    for (const [key, value] of facts) {
      this.unknown.delete(key);
      const current = this.values.get(key);
      // A planned file entry may lack the content (planned from a probe that
      // did not ask for it); a later content probe fills it in without undoing the plan.
      if (this.planned.has(key) && current && isRegular(current) && current.content === undefined) {
        if (isRegular(value) && value.content !== undefined && (current.sha256 === undefined || current.sha256 === value.sha256)) {
          this.values.set(key, { ...current, content: value.content, sha256: value.sha256, size: value.size });
        }
        continue;
      }
      this.values.set(key, value);
      this.planned.delete(key);
    }
  }

  /** True when the model can answer the probe without asking the host. */
  has(probe: Probe): boolean {
    const key = probeKey(probe);
    if (this.unknown.has(key)) return true;
    if (probe.kind !== 'file') return this.values.has(key);
    const fact = this.lookupFile(probe.path);
    if (fact === undefined) return false;
    // A file above the probe's contentMax is answered by hash alone: that answer is complete.
    if (probe.content && fact.exists && fact.type === 'file' && fact.content === undefined && !(probe.contentMax !== undefined && fact.size > probe.contentMax)) return false;
    return true;
  }

  isUnknown(probe: Probe): boolean {
    return this.unknown.has(probeKey(probe));
  }

  file(path: string): FileFact {
    const fact = this.lookupFile(normalise(path));
    if (fact === undefined) throw this.missing({ kind: 'file', path });
    return fact;
  }

  unit(unit: string): UnitFact {
    return this.get({ kind: 'unit', unit }) as UnitFact;
  }

  user(name: string): UserFact {
    return this.get({ kind: 'user', name }) as UserFact;
  }

  group(name: string): GroupFact {
    return this.get({ kind: 'group', name }) as GroupFact;
  }

  command(argv: string[], stdin?: string): CommandFact {
    return this.get(stdin === undefined ? { kind: 'command', argv } : { kind: 'command', argv, stdin }) as CommandFact;
  }

  /** Updates the model with what the change will have made true once applied. */
  applyChange(change: Change): void {
    for (const step of change.steps) this.applyStep(step);
    for (const assumption of change.assume ?? []) {
      const key = probeKey(assumption.probe);
      if ('unknown' in assumption) {
        this.values.delete(key);
        this.planned.delete(key);
        this.unknown.add(key);
      } else {
        this.unknown.delete(key);
        this.values.set(key, assumption.value);
        this.planned.add(key);
      }
    }
  }

  private get(probe: Probe): FactValue {
    const key = probeKey(probe);
    if (this.unknown.has(key)) throw new InternalError(`${key} is only known after apply; the planner should have deferred the task`);
    const value = this.values.get(key);
    if (value === undefined) throw this.missing(probe);
    return value;
  }

  private missing(probe: Probe): InternalError {
    return new InternalError(`no fact for ${probeKey(probe)}: the module asked for it without listing it in probes()`);
  }

  /** A file fact from the model, derived from an ancestor when one settles it; undefined when unknown. */
  private lookupFile(path: string): FileFact | undefined {
    const key = fileKey(path);
    if (this.unknown.has(key)) throw new InternalError(`${key} is only known after apply; the planner should have deferred the task`);
    const own = this.values.get(key);
    if (own !== undefined) return own as FileFact;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if (this.completeDirs.has(dir)) return { exists: false };
      const ancestor = this.values.get(fileKey(dir));
      // Nothing lives under a missing path or under a regular file.
      if (ancestor !== undefined && (!(ancestor as FileFact).exists || (ancestor as ExistingFile).type === 'file')) return { exists: false };
      if (dir === '/' || dir === '.') return undefined;
    }
  }

  private setFile(path: string, fact: FileFact): void {
    const key = fileKey(path);
    this.unknown.delete(key);
    this.values.set(key, fact);
    this.planned.add(key);
  }

  private applyStep(step: Step): void {
    if (step.kind !== 'exec' && step.kind !== 'attrs') this.noteUnitFile(normalise(step.path));
    switch (step.kind) {
      case 'put': {
        const path = normalise(step.path);
        const prev = this.known(path);
        if (prev?.type === 'directory') this.forgetBelow(path);
        this.setFile(path, {
          ...attributes(prev, DEFAULT_FILE_MODE, step),
          type: 'file',
          size: step.content.length,
          sha256: createHash('sha256').update(step.content).digest('hex'),
          content: step.content,
        });
        return;
      }
      case 'mkdir':
        this.applyMkdir(normalise(step.path), step);
        return;
      case 'remove': {
        const path = normalise(step.path);
        this.forgetBelow(path);
        this.setFile(path, { exists: false });
        return;
      }
      case 'symlink': {
        const path = normalise(step.path);
        const prev = this.known(path);
        if (prev?.type === 'directory') this.forgetBelow(path);
        const base = attributes(prev, 0o777, { owner: step.owner, group: step.group });
        this.setFile(path, { ...base, type: 'link', mode: 0o777, size: step.target.length, target: step.target });
        return;
      }
      case 'attrs': {
        let path = normalise(step.path);
        let fact = this.known(path);
        if (fact?.type === 'link' && step.follow && fact.target !== undefined) {
          path = posix.resolve(dirname(path), fact.target);
          fact = this.known(path);
        }
        // Attributes of a path the model never saw change nothing it can answer.
        if (fact === undefined) return;
        this.setFile(path, { ...fact, ...attributes(fact, fact.mode, step) });
        return;
      }
      case 'touch': {
        const path = normalise(step.path);
        const prev = this.known(path);
        if (prev === undefined) {
          this.setFile(path, { ...attributes(undefined, DEFAULT_FILE_MODE, step), type: 'file', size: 0, sha256: EMPTY_SHA256, content: Buffer.alloc(0) });
        } else {
          this.setFile(path, { ...prev, ...attributes(prev, prev.mode, step) });
        }
        return;
      }
      case 'exec':
        // What a command does is the module's to say, through `assume`.
        return;
    }
  }

  /**
   * A unit file written where systemd looks: a unit systemd did not know is
   * only known after apply (systemctl sees it then), so a later systemd task
   * on it is shown as "known after apply" instead of failing on a missing unit.
   */
  private noteUnitFile(path: string): void {
    const m = UNIT_FILE.exec(path);
    if (!m) return;
    const names = [m[1]!, ...(m[1]!.endsWith('.service') ? [m[1]!.slice(0, -'.service'.length)] : [])];
    for (const name of names) {
      const key = probeKey({ kind: 'unit', unit: name });
      const known = this.values.get(key) as UnitFact | undefined;
      if (known?.exists) continue;
      this.values.delete(key);
      this.unknown.add(key);
    }
  }

  private applyMkdir(path: string, step: { mode?: number; owner?: string; group?: string }): void {
    const created: string[] = [];
    for (let p = path; ; p = dirname(p)) {
      const fact = this.lookupFile(p);
      if (fact?.exists) {
        if (p === path) this.setFile(p, { ...fact, ...attributes(fact, fact.mode, step) });
        break;
      }
      // An ancestor nobody probed may well exist: leave it to the host to say.
      if (fact === undefined && p !== path) break;
      created.push(p);
      if (p === '/' || p === '.') break;
    }
    for (const p of created.reverse()) {
      this.setFile(p, { ...attributes(undefined, DEFAULT_DIR_MODE, step), type: 'directory', size: 4096 });
      this.completeDirs.add(p);
    }
  }

  /** The existing file at path, or undefined when absent or unknown. */
  private known(path: string): ExistingFile | undefined {
    const fact = this.lookupFile(path);
    return fact?.exists ? fact : undefined;
  }

  private forgetBelow(path: string): void {
    const prefix = `${fileKey(path)}/`;
    for (const key of [...this.values.keys()]) {
      if (key.startsWith(prefix)) {
        this.values.delete(key);
        this.planned.delete(key);
      }
    }
    for (const key of [...this.unknown]) if (key.startsWith(prefix)) this.unknown.delete(key);
    for (const dir of [...this.completeDirs]) if (dir === path || dir.startsWith(`${path}/`)) this.completeDirs.delete(dir);
    this.completeDirs.add(path);
  }
}

/**
 * Probes deduplicated by probeKey(), in first-seen order. Probes of one file
 * share a key whether or not they want the content: the merged probe asks for
 * the content when any asker does.
 */
export function mergeProbes(probes: Probe[]): Probe[] {
  const byKey = new Map<string, Probe>();
  for (const probe of probes) {
    const key = probeKey(probe);
    const seen = byKey.get(key);
    if (seen === undefined) byKey.set(key, probe);
    else if (seen.kind === 'file' && probe.kind === 'file' && probe.content && (!seen.content || seen.contentMax !== undefined)) {
      // The widest ask wins: no contentMax (whole content) over any limit, a bigger limit over a smaller one.
      const max = !seen.content ? probe.contentMax : probe.contentMax === undefined ? undefined : Math.max(probe.contentMax, seen.contentMax!);
      byKey.set(key, max === undefined ? { kind: 'file', path: seen.path, content: true } : { kind: 'file', path: seen.path, content: true, contentMax: max });
    }
  }
  return [...byKey.values()];
}

const UNIT_FILE = /^(?:\/etc|\/run|\/lib|\/usr\/lib)\/systemd\/system\/([^/]+\.(?:service|timer|socket|target|path|mount))$/;

const EMPTY_SHA256 = createHash('sha256').digest('hex');

function fileKey(path: string): string {
  return probeKey({ kind: 'file', path });
}

function normalise(path: string): string {
  const p = posix.normalize(path);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function isRegular(value: FactValue): value is ExistingFile {
  return 'exists' in value && value.exists === true && 'type' in value && value.type === 'file';
}

/** Mode, owner and group after a step: what it sets, else what was there, else the defaults. */
function attributes(
  prev: ExistingFile | undefined,
  defaultMode: number,
  set: { mode?: number | undefined; owner?: string | undefined; group?: string | undefined },
): Pick<ExistingFile, 'exists' | 'mode' | 'uid' | 'gid' | 'owner' | 'group'> {
  const owner = set.owner ?? prev?.owner ?? DEFAULT_OWNER;
  const group = set.group ?? prev?.group ?? DEFAULT_OWNER;
  return {
    exists: true,
    mode: set.mode ?? prev?.mode ?? defaultMode,
    owner,
    group,
    uid: idFor(set.owner, prev?.uid),
    gid: idFor(set.group, prev?.gid),
  };
}

function idFor(name: string | undefined, prev: number | undefined): number {
  if (name !== undefined && /^\d+$/.test(name)) return Number(name);
  if (name === DEFAULT_OWNER) return 0;
  return prev ?? 0;
}
