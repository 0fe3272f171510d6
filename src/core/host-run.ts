// One host through one play: gather once, then walk the tasks in order,
// planning each against the planned-state model and, when applying, handing
// its steps to the executor (the host's agent) before deciding the next.
//
// Apply first plans the whole play for the host (every template rendered,
// every argument checked) and only then executes: a rendering error fails
// the host before anything is written.

import type { InventoryHost, PlaySpec, TaskSpec, Vars } from './model.js';
import type { Change, Module, Probe, Step, StepResult } from './types.js';
import type { HostConnection } from '../transport/types.js';
import type { RunEvent, TaskStatus, ChangeView } from './events.js';
import { FactsModel, mergeProbes } from '../facts/model.js';
import { findModule } from '../modules/index.js';
import { InternalError, TaskError, UserError } from './errors.js';
import { isUnknown, Unknown } from './unknown.js';
import { taskVars } from './vars.js';
import { decideItem, evaluateWhen, probesDespiteUnknowns, probesFor, type ItemDecision } from './task-plan.js';
import { viewChange } from './change-view.js';
import { evaluateCondition, templateValue } from '../template/index.js';
import { redact } from './secret.js';
import { becomeUserOf, stepsAsUser } from './become.js';

/** Modules that only read: a deferred one writes nothing later tasks could depend on. */
const READ_ONLY_MODULES = new Set(['stat', 'slurp', 'assert', 'debug']);

/**
 * Modules whose `check_mode: false` makes them run in a dry run too: a command
 * the author declares read-only (Ansible runs it under --check). Any other
 * module is only planned: a plan never writes.
 */
const RUN_IN_DRY_RUN = new Set(['command', 'shell']);

export type RunMode = 'plan' | 'apply' | 'verify';

export interface HostRunOptions {
  host: InventoryHost;
  play: PlaySpec;
  playVars: Vars;
  extraVars: Vars;
  mode: RunMode;
  conn: HostConnection;
  model: FactsModel;
  tags: string[];
  emit: (event: RunEvent) => void;
  /** Handlers owed from an earlier failed run (names). */
  owedHandlers: string[];
  /** What earlier plays registered on this host; updated in place (Ansible keeps registered values across plays). */
  registered: Vars;
  /** The check apply makes before its first write: runs nothing, not even check_mode: false commands. */
  dryPass?: boolean;
}

export interface HostPlayOutcome {
  ok: number;
  changed: number;
  pending: number;
  skipped: number;
  failed: number;
  /** Set when the host failed: the rest of its run is skipped. */
  failure?: string;
  /** verify mode: changes still pending after apply (module bugs). */
  drift: { task: string; changes: ChangeView[] }[];
  /** Handlers notified (for persistence when the host fails before running them). */
  notified: string[];
}

interface ItemOutcome {
  status: TaskStatus;
  changes: ChangeView[];
  note?: string;
  error?: string;
  messages?: string[];
  result: Record<string, unknown> | Unknown;
}

export class HostRun {
  private readonly registered: Vars;
  private notified = new Set<string>();
  private readonly outcome: HostPlayOutcome = { ok: 0, changed: 0, pending: 0, skipped: 0, failed: 0, drift: [], notified: [] };

  constructor(private readonly o: HostRunOptions) {
    this.registered = o.registered;
    for (const h of o.owedHandlers) this.notified.add(h);
  }

  async run(): Promise<HostPlayOutcome> {
    const tasks = this.o.play.tasks.filter((t) => this.selectedByTags(t));
    await this.gatherUpFront(tasks);
    if (this.o.mode === 'apply') {
      // Dry pass first: everything that can fail does so before the first write.
      const dry = new HostRun({ ...this.o, mode: 'plan', dryPass: true, model: this.o.model.clone(), registered: { ...this.o.registered }, emit: () => undefined });
      const dryOutcome = await dry.run();
      if (dryOutcome.failure) {
        return { ...dryOutcome, ok: 0, changed: 0, pending: 0, skipped: 0, failure: `nothing was changed on this host: ${dryOutcome.failure}` };
      }
    }
    for (const task of tasks) {
      if (await this.runTask(task, false)) break;
    }
    if (!this.outcome.failure) await this.runHandlers();
    this.outcome.notified = [...this.notified];
    return this.outcome;
  }

  private selectedByTags(task: TaskSpec): boolean {
    if (this.o.tags.length === 0) return !task.tags.includes('never');
    if (task.tags.includes('always')) return true;
    return task.tags.some((t) => this.o.tags.includes(t));
  }

  /** One round trip for every probe we can compute before running anything. */
  private async gatherUpFront(tasks: TaskSpec[]): Promise<void> {
    const probes: Probe[] = [];
    for (const task of [...tasks, ...this.o.play.handlers]) {
      const module = this.moduleOf(task);
      for (const item of this.itemsOrEmpty(task)) {
        const vars = this.varsFor(task, item);
        try {
          const p = probesFor(module, task, this.o.host.name, this.o.play, vars);
          if (!isUnknown(p)) probes.push(...p);
        } catch {
          // Errors surface with their position when the task is planned.
        }
      }
    }
    await this.ensureFacts(probes);
  }

  private itemsOrEmpty(task: TaskSpec): Array<{ name: string; item: unknown } | undefined> {
    if (task.loop === undefined) return [undefined];
    try {
      const items = this.loopItems(task, this.baseVars());
      return isUnknown(items) ? [] : items.map((item) => ({ name: task.loopVar, item }));
    } catch {
      return [];
    }
  }

  /**
   * Probes of a task whose arguments were unknown up front (they use a value
   * an earlier task registered): fetched before the module decides, since
   * plan() may read any fact its probes() listed. A task whose condition is
   * false or not yet known asks nothing; errors surface in decideItem.
   */
  private async gatherLateProbes(module: Module, task: TaskSpec, vars: Vars): Promise<void> {
    let probes: Probe[] | Unknown;
    try {
      if (evaluateWhen(task, vars) !== true) return;
      probes = probesFor(module, task, this.o.host.name, this.o.play, vars);
    } catch {
      return;
    }
    if (isUnknown(probes)) return;
    if (probes.some((p) => !this.o.model.has(p) || (this.o.mode === 'apply' && this.o.model.isUnknown(p)))) await this.ensureFacts(probes);
  }

  private async ensureFacts(probes: Probe[]): Promise<void> {
    const missing = mergeProbes(probes).filter((p) => !this.o.model.has(p) || (this.o.mode !== 'plan' && this.o.model.isUnknown(p)));
    if (missing.length === 0) return;
    const facts = await this.o.conn.probe(missing);
    this.o.model.addFacts(facts);
  }

  private baseVars(): Vars {
    return { ...this.o.playVars, ...this.registered, ...this.o.extraVars };
  }

  private varsFor(task: TaskSpec, loop?: { name: string; item: unknown }): Vars {
    const base = { ...this.o.playVars };
    const own = templateValue(task.vars, { ...base, ...this.registered, ...this.o.extraVars }) as Vars;
    return taskVars(base, this.registered, own, this.o.extraVars, loop);
  }

  private loopItems(task: TaskSpec, vars: Vars): unknown[] | Unknown {
    const value = templateValue(task.loop, vars);
    if (isUnknown(value)) return value;
    if (!Array.isArray(value)) throw new TaskError(this.o.host.name, task.name, `loop must be a list, got ${typeof value}`, task.position);
    return value;
  }

  private moduleOf(task: TaskSpec): Module {
    const module = findModule(task.module);
    if (!module) throw new InternalError(`module ${task.module} passed validation but is not registered`);
    return module;
  }

  /** Returns true when the host failed (and the play must stop for it). */
  private async runTask(task: TaskSpec, handler: boolean): Promise<boolean> {
    const started = Date.now();
    const module = this.moduleOf(task);
    const outcomes: ItemOutcome[] = [];
    let failure: string | undefined;
    try {
      const items = task.loop === undefined ? [undefined] : this.loopItems(task, this.varsFor(task));
      if (isUnknown(items)) {
        outcomes.push(this.deferredOutcome(task, `loop depends on ${items.reason}`));
      } else {
        for (const item of items) {
          const loop = item === undefined && task.loop === undefined ? undefined : { name: task.loopVar, item };
          const outcome = await this.runItem(task, module, loop);
          outcomes.push(outcome);
          if (outcome.status === 'failed' && !task.ignoreErrors) break;
        }
      }
    } catch (err) {
      failure = describeError(err);
      outcomes.push({ status: 'failed', changes: [], error: failure, result: { failed: true, msg: failure } });
    }
    const status = combineStatus(outcomes);
    if (task.register) {
      this.registered[task.register] = outcomes.length === 1 && task.loop === undefined ? outcomes[0]!.result : loopResult(outcomes);
    }
    if (status === 'changed' || status === 'pending') for (const n of task.notify) this.notified.add(n);
    this.count(status);
    const error = outcomes.map((o) => o.error).filter(Boolean).join('; ') || undefined;
    if (this.o.mode !== 'verify') {
      this.o.emit({
        type: 'task_result',
        host: this.o.host.name,
        play: this.o.play.name,
        task: task.name,
        module: task.module,
        status,
        handler,
        changes: outcomes.flatMap((o) => o.changes),
        ...joinNotes(outcomes),
        ...(error ? { error: redact(error) } : {}),
        ...(outcomes.some((o) => o.messages) ? { messages: outcomes.flatMap((o) => o.messages ?? []).map(redact) } : {}),
        duration_ms: Date.now() - started,
      });
    } else {
      const pending = outcomes.flatMap((o) => o.changes).filter((c) => !c.knownAfterApply);
      // check_mode: true never applies, so what it plans is no module bug.
      if (status === 'pending' && pending.length > 0 && task.checkMode !== true) this.outcome.drift.push({ task: task.name, changes: pending });
    }
    if (status === 'failed' && !task.ignoreErrors) {
      this.outcome.failure = `task "${task.name}" failed: ${error ?? 'unknown error'}`;
      return true;
    }
    return false;
  }

  /**
   * A task decided only after apply may write what its probes name (a template
   * whose text uses a registered stdout): later tasks on those paths must be
   * known after apply too, not planned against the host as it is now (a link
   * to the template's file would otherwise fail as "src does not exist").
   */
  private forgetWhatDeferredTaskTouches(module: Module, task: TaskSpec, vars: Vars): void {
    if (READ_ONLY_MODULES.has(module.name)) return;
    const all = probesDespiteUnknowns(module, task, this.o.host.name, this.o.play, vars);
    // Parent directories are probed to see whether the target can be made, not
    // because the task rewrites them: forgetting them would defer every sibling.
    // Modules list their target first; its ancestors are the directories meant.
    const target = all[0]?.kind === 'file' ? all[0].path : undefined;
    const probes = all.filter((p) => p.kind !== 'file' || target === undefined || !target.startsWith(`${p.path.replace(/\/$/, '')}/`));
    if (probes.length === 0) return;
    this.o.model.applyChange({ action: 'run', target: task.name, summary: `decide "${task.name}"`, steps: [], assume: probes.map((probe) => ({ probe, unknown: true as const })) });
  }

  private deferredOutcome(task: TaskSpec, reason: string): ItemOutcome {
    return {
      status: 'pending',
      changes: [{ action: 'run', target: task.name, summary: `decide "${task.name}"`, knownAfterApply: true }],
      note: `known after apply: ${reason}`,
      result: new Unknown(`the result of "${task.name}"`),
    };
  }

  private async runItem(task: TaskSpec, module: Module, loop?: { name: string; item: unknown }): Promise<ItemOutcome> {
    const vars = this.varsFor(task, loop);
    await this.gatherLateProbes(module, task, vars);
    let decision: ItemDecision = decideItem(module, task, this.o.host.name, this.o.play, vars, this.o.model);
    if (decision.kind === 'planned' || decision.kind === 'deferred') {
      // Facts a probe asked for may be missing (arguments known only now): fetch and decide again.
      const probes = probesFor(module, task, this.o.host.name, this.o.play, vars);
      if (!isUnknown(probes) && probes.some((p) => !this.o.model.has(p) || (this.o.mode === 'apply' && this.o.model.isUnknown(p)))) {
        await this.ensureFacts(probes);
        decision = decideItem(module, task, this.o.host.name, this.o.play, vars, this.o.model);
      }
    }
    if (decision.kind === 'skipped') return { status: 'skipped', changes: [], note: decision.note, result: { changed: false, skipped: true, skip_reason: decision.note } };
    if (decision.kind === 'deferred') {
      if (this.o.mode === 'apply') {
        return { status: 'failed', changes: [], error: `a value is still unknown while applying: ${decision.reason}`, result: { failed: true } };
      }
      this.forgetWhatDeferredTaskTouches(module, task, vars);
      return this.deferredOutcome(task, decision.reason);
    }
    const { args, plan } = decision;
    if (plan.failed !== undefined) {
      return { status: 'failed', changes: [], error: plan.failed, result: { failed: true, msg: plan.failed, ...(plan.result ?? {}) } };
    }
    const executes = this.executes(task, module, plan.changes);
    // Commands that always run are not drift: verify looks only at what should
    // have converged (it still runs a check_mode: false command for its output).
    let changes = this.o.mode === 'verify' && !executes ? plan.changes.filter((c) => !c.alwaysRuns) : plan.changes;
    // changed_when: false marks a task that only reads (a query whose output is registered).
    const neverChanges = task.changedWhen?.length === 1 && isLiteralFalse(task.changedWhen[0]!);
    let stepResults: StepResult[] = [];
    if (executes) {
      for (const change of changes) {
        const results = await this.o.conn.apply(stepsAsUser(withTaskTimeout(change.steps, task.timeoutS), becomeUserOf(task, this.o.play)));
        stepResults = stepResults.concat(results);
        const bad = results.find((r) => !r.ok);
        if (bad || results.length < change.steps.length) {
          const why = bad?.error ?? (bad?.stderr ? `exit ${bad.rc}: ${bad.stderr.trim().split('\n').slice(-3).join(' / ')}` : `exit ${bad?.rc}`);
          const partial = module.resultAfterApply?.(args, stepResults) ?? {};
          if (!task.failedWhen) {
            return { status: 'failed', changes: [viewChange(change)], error: `${change.summary}: ${why}`, result: { ...partial, failed: true, msg: why } };
          }
        }
        this.o.model.applyChange(change);
      }
    } else {
      for (const change of changes) this.o.model.applyChange(change);
    }
    let result: Record<string, unknown> | Unknown;
    const ran = changes.some((c) => c.steps.some((s) => s.kind === 'exec'));
    if (plan.result) result = { changed: changes.length > 0, ...plan.result };
    else if (executes && module.resultAfterApply && ran) result = { ...module.resultAfterApply(args, stepResults), changed: changes.length > 0 };
    else if (ran) result = new Unknown(`the output of "${task.name}"`);
    else result = { changed: changes.length > 0, failed: false };

    if (this.o.mode === 'verify') changes = changes.filter((c) => !c.alwaysRuns);
    let changed = changes.length > 0;
    let noteAfterApply: string | undefined;
    if (executes && ran && changed && module.changedAfterApply) {
      ({ changed, note: noteAfterApply } = module.changedAfterApply(args, stepResults));
    }
    if (task.changedWhen && !isUnknown(result)) {
      const v = this.evalOn(task.changedWhen, task, result, loop);
      if (!isUnknown(v)) changed = v;
    } else if (neverChanges) changed = false;
    if (task.failedWhen && !isUnknown(result)) {
      const v = this.evalOn(task.failedWhen, task, result, loop);
      if (v === true) return { status: 'failed', changes: changes.map((c) => viewChange(c)), error: `failed_when is true: ${task.failedWhen.join(' and ')}`, result: { ...result, failed: true } };
    }
    if (!isUnknown(result)) result = { ...result, changed };
    if (!changed) changes = [];
    const status: TaskStatus = changes.length === 0 ? 'ok' : this.o.mode === 'apply' && executes ? 'changed' : 'pending';
    const views = changes.map((c) => viewChange(c));
    const out: ItemOutcome = { status, changes: views, result };
    if (noteAfterApply) out.note = noteAfterApply;
    else if (plan.note) out.note = plan.note;
    else if (task.checkMode === true && changes.length > 0) out.note = 'check_mode: true: planned only, never applied';
    else if (executes && this.o.mode !== 'apply') out.note = 'ran during plan (check_mode: false): its result is real';
    else if (neverChanges && changes.length === 0 && this.o.mode !== 'apply') out.note = 'runs during apply; never reports a change (changed_when: false)';
    if (plan.messages) out.messages = plan.messages;
    return out;
  }

  /**
   * Whether the task's steps run now rather than being only planned. Apply
   * runs everything but check_mode: true tasks; plan and verify run nothing
   * but check_mode: false commands, so what later tasks plan from their
   * registered output is real (Ansible's own answer under --check).
   */
  private executes(task: TaskSpec, module: Module, changes: Change[]): boolean {
    if (this.o.mode === 'apply') return task.checkMode !== true;
    if (task.checkMode !== false || this.o.dryPass || !RUN_IN_DRY_RUN.has(module.name)) return false;
    return changes.every((c) => c.steps.every((s) => s.kind === 'exec'));
  }

  private evalOn(exprs: string[], task: TaskSpec, result: Record<string, unknown>, loop?: { name: string; item: unknown }): boolean | Unknown {
    const vars = { ...this.varsFor(task, loop), ...(task.register ? { [task.register]: result } : {}) };
    for (const e of exprs) {
      const v = evaluateCondition(e, vars);
      if (isUnknown(v)) return v;
      if (!v) return false;
    }
    return true;
  }

  /**
   * Notified handlers in definition order; a handler that changes may notify
   * others (the loader rejects cycles), which run in a further pass. Every
   * handler listening to a notified topic runs, as in Ansible: the topics due
   * are taken once per pass, not consumed by the first handler that answers.
   */
  private async runHandlers(): Promise<void> {
    while (this.notified.size > 0) {
      const due = new Set(this.notified);
      this.notified.clear();
      const toRun = this.o.play.handlers.filter((h) => [h.name, ...h.listen].some((n) => due.has(n)));
      if (toRun.length === 0) return;
      for (const [i, handler] of toRun.entries()) {
        // Notified by name by an earlier handler of this pass: this run serves it.
        this.notified.delete(handler.name);
        if (await this.runTask(handler, true)) {
          // Still owed (this one and those after it): recorded on the host for the next run.
          for (const owed of toRun.slice(i)) this.notified.add(owed.name);
          return;
        }
      }
    }
  }

  private count(status: TaskStatus): void {
    switch (status) {
      case 'ok':
        this.outcome.ok++;
        break;
      case 'changed':
        this.outcome.changed++;
        break;
      case 'pending':
        this.outcome.pending++;
        break;
      case 'skipped':
        this.outcome.skipped++;
        break;
      case 'failed':
        this.outcome.failed++;
        break;
    }
  }
}

/** Ansible's task `timeout`: every command the task runs gets it, unless the module set its own. */
function withTaskTimeout(steps: Step[], timeoutS: number | undefined): Step[] {
  if (timeoutS === undefined) return steps;
  return steps.map((s) => (s.kind === 'exec' && s.timeoutMs === undefined ? { ...s, timeoutMs: timeoutS * 1000 } : s));
}

function isLiteralFalse(expr: string): boolean {
  return /^\s*(false|False|no)\s*$/.test(expr);
}

function combineStatus(outcomes: ItemOutcome[]): TaskStatus {
  const order: TaskStatus[] = ['failed', 'changed', 'pending', 'ok', 'skipped'];
  for (const s of order) if (outcomes.some((o) => o.status === s)) return s;
  return 'skipped';
}

function joinNotes(outcomes: ItemOutcome[]): { note?: string } {
  const notes = [...new Set(outcomes.map((o) => o.note).filter((n): n is string => Boolean(n)))];
  return notes.length ? { note: redact(notes.join('; ')) } : {};
}

function loopResult(outcomes: ItemOutcome[]): Record<string, unknown> | Unknown {
  const unknown = outcomes.find((o) => isUnknown(o.result));
  if (unknown) return unknown.result;
  return {
    changed: outcomes.some((o) => o.status === 'changed' || o.status === 'pending'),
    results: outcomes.map((o) => o.result),
  };
}

export function describeError(err: unknown): string {
  if (err instanceof UserError) return err.detail ? `${err.message} (${err.detail})` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

