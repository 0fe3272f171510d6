// A lossy link for a node (this kernel has no netem): nftables rules in the
// bridge family on the runner drop a share of the frames crossing the node's
// port xh-NODE, both directions, to other nodes and to the runner alike.
// Kept on the runner side so the node's own firewall (which playbooks may
// flush) cannot undo it.

import { UserError } from '../core/errors.js';
import { runLocal, runLocalOk } from './exec.js';
import { INSTANCE_TAG } from './instance.js';
import { findNode, vethName } from './topology.js';

const TABLE_PREFIX = `xivo_ha_lab${INSTANCE_TAG}_loss_`;

function tableName(node: string): string {
  return `${TABLE_PREFIX}${node.replaceAll('-', '_')}`;
}

export function renderLossRules(node: string, percent: number): string {
  const port = vethName(node);
  const drop = `numgen random mod 100 < ${percent} drop`;
  const chain = (hook: string): string =>
    `  chain ${hook} {\n    type filter hook ${hook} priority 0; policy accept;\n    iifname "${port}" ${drop}\n    oifname "${port}" ${drop}\n  }\n`;
  return `table bridge ${tableName(node)} {\n${['forward', 'input', 'output'].map(chain).join('')}}\n`;
}

/** Drops percent % of the node's frames (0 removes the loss). */
export async function setNodeLoss(node: string, percent: number): Promise<void> {
  findNode(node);
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new UserError(`loss must be a whole percentage from 0 to 100, not "${percent}"`);
  }
  await runLocal(['nft', 'delete', 'table', 'bridge', tableName(node)]);
  if (percent > 0) await runLocalOk(['nft', '-f', '-'], { stdin: renderLossRules(node, percent) });
}

/** Loss tables left on the runner (all removed by down). */
export async function listLossTables(): Promise<string[]> {
  const r = await runLocal(['nft', 'list', 'tables', 'bridge']);
  return r.stdout
    .split('\n')
    .map((l) => l.replace(/^table bridge /, '').trim())
    .filter((t) => t.startsWith(TABLE_PREFIX));
}

export async function removeAllLoss(): Promise<void> {
  for (const t of await listLossTables()) await runLocal(['nft', 'delete', 'table', 'bridge', t]);
}
