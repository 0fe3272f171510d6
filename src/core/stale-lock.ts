// Who holds a host's run lock, and ending a holder. Shared by the runner
// (which ends the agent of a run that provably died on this workstation) and
// `xivo-ha unlock --force` (docs/guarantees.md).

import { hostname, userInfo } from 'node:os';
import type { HostConnection } from '../transport/types.js';
import { LockError } from './errors.js';

/** What the lock file says about its holder (written by the agent when it took the lock). */
export interface LockHolder {
  holder?: string;
  pid?: number;
  user?: string;
  ssh_client?: string | null;
  since?: string;
}

/**
 * Ends the agent `pid` holding the lock, after checking it is one (a pid
 * can be reused), then the process groups of the commands it started (each
 * runs in its own session, see docs/agent.md), found before the agent dies
 * and they are re-parented. Prints gone, not-agent or killed.
 */
export const KILL_AGENT_SCRIPT = `
import os, signal, sys
pid = int(sys.argv[1])
try:
    cmdline = open('/proc/%d/cmdline' % pid, 'rb').read()
except OSError:
    print('gone'); sys.exit(0)
if b'xivo-ha-agent' not in cmdline:
    print('not-agent'); sys.exit(0)
children = []
for entry in os.listdir('/proc'):
    if not entry.isdigit():
        continue
    try:
        ppid = int(open('/proc/%s/stat' % entry).read().rsplit(')', 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        continue
    if ppid == pid:
        children.append(int(entry))
# The agent first, so it cannot answer for a command it sees die; then its commands.
os.kill(pid, signal.SIGKILL)
for child in children:
    for kill in (lambda: os.killpg(child, signal.SIGKILL), lambda: os.kill(child, signal.SIGKILL)):
        try:
            kill()
        except OSError:
            pass
print('killed')
`;

/**
 * The holder when the lock is held, undefined when it is free. Taking the
 * lock is the only reliable test (the file's content outlives its holder);
 * our connection keeps it until close, a moment later.
 */
export async function probeHolder(conn: HostConnection, path: string, as = `xivo-ha unlock by ${userInfo().username}@${hostname()} pid ${process.pid}`): Promise<LockHolder | undefined> {
  try {
    await conn.lock(as, path);
    return undefined;
  } catch (err) {
    if (!(err instanceof LockError)) throw err;
    const facts = await conn.probe([{ kind: 'file', path, content: true }]);
    const fact = [...facts.values()][0] as { exists?: boolean; content?: Buffer } | undefined;
    try {
      return JSON.parse(fact?.content?.toString('utf8') ?? '{}') as LockHolder;
    } catch {
      return { holder: fact?.content?.toString('utf8').trim() || 'an unknown run' };
    }
  }
}


/** Ends the holding agent (checked to be a xivo-ha agent); returns why not, or undefined when it was ended or is gone. */
export async function endHolder(conn: HostConnection, pid: number): Promise<string | undefined> {
  const killed = await conn.exec(['python3', '-c', KILL_AGENT_SCRIPT, String(pid)]);
  const verdict = killed.stdout.trim();
  if (verdict === 'not-agent') return `pid ${pid} is not a xivo-ha agent`;
  if (killed.rc !== 0) return `exit ${killed.rc}: ${killed.stderr.trim()}`;
  return undefined;
}

/** Retakes the lock until the kernel has released the ended holder's flock (about 2 s at most). */
export async function waitFree(conn: HostConnection, path: string, as?: string): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if ((await probeHolder(conn, path, as)) === undefined) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * The holder is an apply started from this workstation whose runner process
 * is gone: its agent lingers (the link dropped before the runner's FIN got
 * through), and nobody else could be using that lock.
 */
export function isOrphanOfThisWorkstation(h: LockHolder): boolean {
  const m = /^xivo-ha apply by \S+@(\S+) pid (\d+) since /.exec(h.holder ?? '');
  if (!m || m[1] !== hostname() || typeof h.pid !== 'number') return false;
  const runner = Number(m[2]);
  if (runner === process.pid) return false;
  try {
    process.kill(runner, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
