// Every process the benchmark starts is registered here by PID and killed on
// the way out: normal end, error, Ctrl-C or SIGTERM. Nothing is killed by name.

const owned = new Map(); // pid -> label
const hooks = [];
let installed = false;

export function ownProcess(pid, label) {
  owned.set(pid, label);
  installCleanup();
}

export function releaseProcess(pid) {
  owned.delete(pid);
}

/**
 * Registers a synchronous cleanup step (run once, in reverse order). It is
 * called with the signal that stopped the bench ('SIGINT', …), 'error' when
 * main threw, or undefined at a normal end.
 */
export function onCleanup(fn) {
  hooks.push(fn);
  installCleanup();
}

export function killOwned(signal = 'SIGTERM') {
  for (const pid of owned.keys()) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  owned.clear();
}

let cleaned = false;
export function cleanupNow(reason) {
  if (cleaned) return;
  cleaned = true;
  killOwned();
  for (const fn of hooks.reverse()) {
    try {
      fn(reason);
    } catch (err) {
      process.stderr.write(`bench: cleanup step failed: ${err.message}\n`);
    }
  }
}

function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', () => cleanupNow());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping the processes it started\n`);
      cleanupNow(sig);
      process.exit(130);
    });
  }
}
