// Ansible's become_user applied to steps. The agent runs as root (the login
// user, or sudo); a task with `become: true` and `become_user: X` does its
// work as X, as Ansible's module process would: commands run as X (runuser),
// files are written with X's identity (the agent switches its effective ids).
// See docs/agent.md for why runuser.

import type { PlaySpec, TaskSpec } from './model.js';
import type { Step } from './types.js';

/**
 * The user a task's steps run as, when it is not root. As in Ansible,
 * become_user means nothing without become (the task's, else the play's).
 */
export function becomeUserOf(task: TaskSpec, play: PlaySpec): string | undefined {
  const become = task.become ?? play.become ?? false;
  if (!become || task.becomeUser === undefined || task.becomeUser === 'root') return undefined;
  return task.becomeUser;
}

/**
 * runuser (util-linux, on every Debian) takes the argv as it is (no shell,
 * no quoting), needs no password as root, and sets HOME, SHELL, USER and
 * LOGNAME to the target's, like Ansible's default `sudo -H`.
 */
export function runAsArgv(user: string, argv: string[]): string[] {
  return ['runuser', '-u', user, '--', ...argv];
}

/** The steps of a change as `user` does them; unchanged when user is undefined. */
export function stepsAsUser(steps: Step[], user: string | undefined): Step[] {
  if (user === undefined) return steps;
  return steps.map((s) => (s.kind === 'exec' ? { ...s, argv: runAsArgv(user, s.argv) } : { ...s, asUser: user }));
}
