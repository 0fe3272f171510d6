// `apply` on a XiVO inventory with HA enabled runs the "before" checks
// first and refuses, changing nothing, when one fails. `--skip-check NAME`
// overrides one check; every skip is announced as a warning.

import type { Inventory } from '../core/model.js';
import type { RunEvent } from '../core/events.js';
import { ConfigError } from '../core/errors.js';
import type { ConnectOptions, Connector } from '../transport/types.js';
import { connectCluster } from './cluster-connections.js';
import { checks, runChecks, type CheckResult } from './checks.js';

export interface BeforeApplyOutcome {
  ran: boolean;
  ok: boolean;
  results: CheckResult[];
}

/** True when the inventory provisions an HA pair (XiVO cluster, ha.enabled). */
export function wantsBeforeChecks(inventory: Inventory): boolean {
  return inventory.cluster !== undefined && inventory.cluster.ha['enabled'] !== false;
}

/** Unknown names are a usage error: a typo must not silently skip nothing. */
export function validateSkipNames(names: string[]): void {
  const known = checks.filter((c) => c.group === 'before').map((c) => c.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((n) => ({ severity: 'error' as const, code: 'cli.skip-check', message: `--skip-check ${n}: no such prerequisite check (known: ${known.join(', ')})` })));
  }
}

export async function runBeforeApplyChecks(
  inventory: Inventory,
  connect: Connector,
  options: ConnectOptions,
  skip: string[],
  emit: (event: RunEvent) => void,
): Promise<BeforeApplyOutcome> {
  if (!wantsBeforeChecks(inventory)) return { ran: false, ok: true, results: [] };
  validateSkipNames(skip);
  for (const name of skip) {
    emit({ type: 'message', level: 'warning', text: `!!! prerequisite check "${name}" SKIPPED on request (--skip-check ${name}): provisioning goes on without it` });
  }
  const cc = await connectCluster(inventory, connect, options);
  let results: CheckResult[];
  try {
    results = await runChecks(cc, 'before', skip);
  } finally {
    await cc.close();
  }
  for (const r of results) emit({ type: 'check_result', name: r.name, group: r.group, ok: r.ok, skipped: Boolean(r.skipped), message: r.message, ...(r.fix ? { fix: r.fix } : {}) });
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    emit({ type: 'message', level: 'error', text: `apply refused: ${failed.length} prerequisite check(s) failed (${failed.map((r) => r.name).join(', ')}); nothing was changed. Fix them, or skip one with --skip-check NAME` });
  }
  return { ran: true, ok: failed.length === 0, results };
}
