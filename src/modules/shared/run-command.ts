// What command and shell share: the creates/removes guards, the exec step,
// and the registered result (rc, stdout, stderr, their _lines, cmd).

import { posix } from 'node:path';
import type { Assumption, Change, Facts, ModulePlan, Probe, StepResult } from '../../core/types.js';
import { bool, optionalString, type Args } from './args.js';
import { argsObject, boolArg, textArg } from './schema.js';

export interface CommandRun {
  argv: string[];
  /** How the command reads in output and `register`: argv for command, the text for shell. */
  cmd: string | string[];
  display: string;
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
}

/** Arguments both modules take, besides their own (cmd, argv, executable). */
export const commonCommandArgs = {
  cmd: textArg,
  chdir: textArg,
  creates: textArg,
  removes: textArg,
  stdin: textArg,
  stdin_add_newline: boolArg,
  strip_empty_ends: boolArg,
};

export function commandSchema(extra: Record<string, Record<string, unknown>>): Record<string, unknown> {
  return argsObject({ ...commonCommandArgs, ...extra });
}

export function readGuards(args: Args, run: Omit<CommandRun, 'chdir' | 'creates' | 'removes' | 'stdin'>): CommandRun {
  const out: CommandRun = { ...run };
  const chdir = optionalString(args, 'chdir');
  if (chdir !== undefined) out.chdir = chdir;
  // Ansible changes to chdir before it checks creates/removes.
  const creates = optionalString(args, 'creates');
  if (creates !== undefined) out.creates = chdir === undefined ? creates : posix.resolve(chdir, creates);
  const removes = optionalString(args, 'removes');
  if (removes !== undefined) out.removes = chdir === undefined ? removes : posix.resolve(chdir, removes);
  const stdin = optionalString(args, 'stdin');
  if (stdin !== undefined) out.stdin = bool(args, 'stdin_add_newline', true) ? `${stdin}\n` : stdin;
  return out;
}

export function guardProbes(run: CommandRun): Probe[] {
  const probes: Probe[] = [];
  if (run.creates !== undefined) probes.push({ kind: 'file', path: run.creates });
  if (run.removes !== undefined) probes.push({ kind: 'file', path: run.removes });
  return probes;
}

export function planRun(run: CommandRun, facts: Facts): ModulePlan {
  if (run.creates !== undefined && facts.file(run.creates).exists) return skipped(run, `skipped, since ${run.creates} exists`);
  if (run.removes !== undefined && !facts.file(run.removes).exists) return skipped(run, `skipped, since ${run.removes} does not exist`);
  const assume: Assumption[] = [];
  // What the command does to these paths is only known once it has run.
  if (run.creates !== undefined) assume.push({ probe: { kind: 'file', path: run.creates }, unknown: true });
  if (run.removes !== undefined) assume.push({ probe: { kind: 'file', path: run.removes }, unknown: true });
  const guarded = assume.length > 0;
  const change: Change = {
    action: 'run',
    target: run.display,
    summary: `run ${run.display}`,
    steps: [
      {
        kind: 'exec',
        argv: run.argv,
        ...(run.chdir !== undefined ? { cwd: run.chdir } : {}),
        ...(run.stdin !== undefined ? { stdin: Buffer.from(run.stdin, 'utf8') } : {}),
      },
    ],
  };
  if (guarded) change.assume = assume;
  else change.alwaysRuns = true;
  return { changes: [change], ...(guarded ? {} : { note: 'will always run: no creates or removes guard' }) };
}

function skipped(run: CommandRun, why: string): ModulePlan {
  return {
    changes: [],
    note: why,
    result: { changed: false, rc: 0, stdout: why, stdout_lines: [why], stderr: '', stderr_lines: [], cmd: run.cmd, msg: `Did not run command ${why.replace(/^skipped, /, '')}` },
  };
}

/** Ansible's registered result: outputs without trailing newlines (strip_empty_ends), split in lines. */
export function commandResult(run: CommandRun, args: Args, results: StepResult[]): Record<string, unknown> {
  const r = results[results.length - 1];
  const strip = bool(args, 'strip_empty_ends', true);
  const stdout = tidy(r?.stdout ?? '', strip);
  const stderr = tidy(r?.stderr ?? '', strip);
  const rc = r?.rc ?? (r?.ok === false ? 1 : 0);
  return {
    changed: true,
    rc,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    cmd: run.cmd,
    failed: r?.ok === false,
    msg: r?.ok === false ? (r.error ?? 'non-zero return code') : '',
  };
}

function tidy(text: string, strip: boolean): string {
  return strip ? text.replace(/[\r\n]+$/, '') : text;
}

function lines(text: string): string[] {
  return text === '' ? [] : text.split(/\r\n|\r|\n/);
}
