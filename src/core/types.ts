// The vocabulary shared by facts, modules, the planner and the executor.
// Plans are data: a module reads facts and returns changes made of steps;
// only the executor turns steps into side effects on a host.

/** What a module wants to know about a host before it decides. Read-only. */
export type Probe =
  /**
   * `contentMax`: the content only up to that size; a bigger file answers
   * sha256 and size only (copy and template compare whole files by hash).
   */
  | { kind: 'file'; path: string; content?: boolean; contentMax?: number }
  | { kind: 'unit'; unit: string }
  | { kind: 'user'; name: string }
  | { kind: 'group'; name: string }
  /** A read-only command (e.g. `psql -At -c 'select …'`). Never something that changes the host. */
  | { kind: 'command'; argv: string[]; stdin?: string };

export type FileType = 'file' | 'directory' | 'link' | 'other';

export type FileFact =
  | { exists: false }
  | {
      exists: true;
      type: FileType;
      /** Permission bits only (mode & 0o7777). */
      mode: number;
      uid: number;
      gid: number;
      owner: string;
      group: string;
      size: number;
      /** sha256 hex of a regular file's content. */
      sha256?: string;
      /** The content of a regular file, when the probe asked for it. */
      content?: Buffer;
      /** Where a symbolic link points (not followed). */
      target?: string;
    };

export interface UnitFact {
  /** False when systemd does not know the unit (LoadState=not-found). */
  exists: boolean;
  /** ActiveState: active, inactive, failed, activating, … */
  active: string;
  /** UnitFileState: enabled, disabled, static, masked, … ('' when unknown). */
  enabled: string;
}

export type UserFact = { exists: false } | { exists: true; uid: number; gid: number; home: string; shell: string };
export type GroupFact = { exists: false } | { exists: true; gid: number };

export interface CommandFact {
  rc: number;
  stdout: string;
  stderr: string;
}

/**
 * What is known of one host: answered probes plus what earlier planned
 * changes will have made true. Asking for something nobody probed is a bug
 * in the module (it forgot to list the probe) and throws InternalError.
 */
export interface Facts {
  file(path: string): FileFact;
  unit(unit: string): UnitFact;
  user(name: string): UserFact;
  group(name: string): GroupFact;
  command(argv: string[], stdin?: string): CommandFact;
  /** True when a fact will only be known after apply (e.g. written by a command that has not run yet). */
  isUnknown(probe: Probe): boolean;
}

/**
 * `asUser` (Ansible's become_user) on a filesystem step: the agent does it
 * with that user's identity (effective uid, gid and groups), so what it
 * creates is that user's and what the user may not do fails, as in Ansible.
 */
interface FsStepBase {
  asUser?: string;
}

/** One unit of work for the executor. Every file write is atomic: temp file beside the target, attributes, rename. */
export type Step =
  | ({ kind: 'put'; path: string; content: Buffer; mode?: number; owner?: string; group?: string } & FsStepBase)
  | ({ kind: 'mkdir'; path: string; mode?: number; owner?: string; group?: string } & FsStepBase)
  | ({ kind: 'remove'; path: string; recursive?: boolean } & FsStepBase)
  | ({ kind: 'symlink'; path: string; target: string; owner?: string; group?: string } & FsStepBase)
  | ({ kind: 'attrs'; path: string; mode?: number; owner?: string; group?: string; follow?: boolean } & FsStepBase)
  | ({ kind: 'touch'; path: string; mode?: number; owner?: string; group?: string } & FsStepBase)
  | {
      kind: 'exec';
      argv: string[];
      stdin?: Buffer;
      env?: Record<string, string>;
      cwd?: string;
      /** Exit codes that count as success; default [0]. */
      okCodes?: number[];
      timeoutMs?: number;
    };

export interface StepResult {
  ok: boolean;
  rc?: number;
  stdout?: string;
  stderr?: string;
  error?: string;
}

/** Terraform's action vocabulary; the symbol is what views print before the target. */
export type ChangeAction = 'create' | 'update' | 'delete' | 'run' | 'restart';
export const actionSymbol: Record<ChangeAction, string> = {
  create: '+',
  update: '~',
  delete: '-',
  run: '!',
  restart: '↻',
};

export interface Diff {
  before: string;
  after: string;
  /** Labels for the unified diff header, e.g. the path. */
  beforeHeader?: string;
  afterHeader?: string;
  /** A sensitive diff is never printed; views show "(sensitive content hidden)". */
  sensitive?: boolean;
  /** Shown instead of a text diff too large to print, e.g. "content differs (N bytes -> M bytes)". */
  omitted?: string;
}

/** A fact the planned-state model should believe once a change is applied, beyond what put/mkdir/remove/symlink/attrs imply. */
export type Assumption =
  | { probe: Probe; value: FileFact | UnitFact | UserFact | GroupFact | CommandFact }
  /** The value exists only after apply (e.g. a key another command generates). */
  | { probe: Probe; unknown: true };

export interface Change {
  action: ChangeAction;
  /** What changes: a path, a unit, a user@host key… */
  target: string;
  /** Imperative, e.g. "enable xivo-ha-sync.timer". Views turn it into "would …" / past tense. */
  summary: string;
  diff?: Diff;
  steps: Step[];
  assume?: Assumption[];
  /** A command with no creates/removes guard: always runs, so it is not drift after apply. */
  alwaysRuns?: boolean;
}

export interface ModulePlan {
  changes: Change[];
  /** Why nothing changes, or a remark worth showing ("in sync: content and mode match"). */
  note?: string;
  /** A task that fails at plan time (assert, a missing src…), with its message. */
  failed?: string;
  /** What `register:` stores when it is known at plan time (stat, assert, debug, no-op tasks). */
  result?: Record<string, unknown>;
  /** Lines for `debug`. */
  messages?: string[];
}

/** What a module may use besides its args and facts. Pure: no network, no host. */
export interface ModuleContext {
  host: string;
  /** Reads a controller-side file (copy src), resolved by the loader against the playbook's files/ dir. */
  readLocalFile(path: string): Buffer;
  /** Renders a controller-side template file (template src) with the task's variables. */
  renderTemplateFile(path: string): string;
  /** True when text contains a secret value; the planner marks such diffs sensitive. */
  containsSecret(text: string): boolean;
}

export interface Module<Args = Record<string, unknown>> {
  /** Short name as written in playbooks. */
  name: string;
  /** Fully qualified aliases, e.g. ansible.builtin.copy. */
  aliases: string[];
  /** JSON Schema of the module's arguments (used by the playbook loader). */
  argsSchema: Record<string, unknown>;
  /** Ansible's free-form argument (command/shell): the key the raw string goes to. */
  freeForm?: string;
  probes(args: Args, ctx: ModuleContext): Probe[];
  plan(args: Args, facts: Facts, ctx: ModuleContext): ModulePlan;
  /** Builds the registered value after the change's steps ran (command/shell: rc, stdout…). */
  resultAfterApply?(args: Args, stepResults: StepResult[]): Record<string, unknown>;
  /**
   * For a change whose program decides again on the node when it runs (the
   * plan saw one state, the node may hold another by then): whether it
   * changed anything, as the program's output says, and what to show
   * instead when it did not. Without it, a change that ran is "changed".
   */
  changedAfterApply?(args: Args, stepResults: StepResult[]): { changed: boolean; note?: string };
}

export function probeKey(probe: Probe): string {
  switch (probe.kind) {
    case 'file':
      return `file:${probe.path}`;
    case 'unit':
      return `unit:${probe.unit}`;
    case 'user':
      return `user:${probe.name}`;
    case 'group':
      return `group:${probe.name}`;
    case 'command':
      return `command:${JSON.stringify(probe.argv)}${probe.stdin === undefined ? '' : `<${probe.stdin}`}`;
  }
}
