// Which lab this process drives. Several labs can run side by side on one
// machine (parallel work streams, each with its own integration tests):
// XIVO_HA_LAB_INSTANCE=N (0-9) moves a lab onto its own bridge, subnet
// 198.18.N.0/24, interface, cgroup and nftables names and state directory.
// Instance 0, the default, is the documented lab (docs/interfaces.md §7);
// the cached base image is shared by all instances.

import { UserError } from '../core/errors.js';

export function parseLabInstance(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (!/^[0-9]$/.test(value)) {
    throw new UserError(`XIVO_HA_LAB_INSTANCE="${value}" is not a lab instance`, 'use a digit from 0 (the default lab) to 9');
  }
  return Number(value);
}

export const LAB_INSTANCE = parseLabInstance(process.env['XIVO_HA_LAB_INSTANCE']);

/** Appended to the instance's names: empty for the default lab, so its names stay as documented. */
export const INSTANCE_TAG = LAB_INSTANCE === 0 ? '' : String(LAB_INSTANCE);
