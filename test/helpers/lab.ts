// Helpers for integration tests that drive the lab. The test script brings
// the lab up once (`xivo-ha lab up --all-nodes`) before the integration tests
// and down after; ensureLab() brings it up when a file is run on its own.

import { readFileSync } from 'node:fs';
import { findLabLeftovers, killNode, labDown, labExec, labSsh, labStatus, labUp, resetNode, reviveNode, setLinkLoss, waitTcp } from '../../src/lab/lab.js';
import { writeLabInventory, type LabInventoryFiles, type LabInventoryOptions } from '../../src/lab/inventory.js';
import { runnerKey, knownHostsFile } from '../../src/lab/paths.js';
import { findNode, type LabDeployment } from '../../src/lab/topology.js';
import { CommandError } from '../../src/core/errors.js';
import type { LocalResult } from '../../src/lab/exec.js';
import { tail } from '../../src/lab/exec.js';

export { findLabLeftovers, killNode, labDown, labUp, resetNode, reviveNode, setLinkLoss, waitTcp, runnerKey, knownHostsFile, findNode };
export { nodeAddress, RUNNER_ADDRESS, SUBNET } from '../../src/lab/topology.js';
export type { LocalResult };

const ALL = ['master', 'slave', 'cc-master', 'cc-slave', 'mds1', 'edge'];

/**
 * Makes the lab usable for a test file: with no lab, or one missing a node,
 * brings all six up; otherwise revives only the nodes this file uses. A lab
 * that is up is never brought up again: files run side by side, and a node
 * another file has cut or powered off on purpose would otherwise make this
 * take the whole lab down under that file (what broke the failover suite
 * beside the fault suite in CI).
 */
export async function ensureLab(uses: readonly string[] = ALL): Promise<void> {
  const status = await labStatus();
  if (status === undefined || !ALL.every((n) => status.some((s) => s.name === n))) {
    await labUp({ allNodes: true }, (line) => process.stderr.write(`lab: ${line}\n`));
    return;
  }
  for (const name of uses) {
    const node = status.find((s) => s.name === name);
    if (!node?.running || !node.linkUp) await reviveNode(name);
  }
}

/** Runs argv inside the node through its namespaces; resolves whatever the exit code. */
export function execOn(node: string, argv: string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<LocalResult> {
  return labExec(node, argv, options);
}

/** Like execOn, but a non-zero exit throws CommandError naming the node; returns stdout. */
export async function execOk(node: string, argv: string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await labExec(node, argv, options);
  if (r.code !== 0) throw new CommandError(node, argv, r.code, tail(r.stderr || r.stdout));
  return r.stdout;
}

/** Runs argv on the node over SSH from the runner (argv is quoted for the remote shell). */
export function sshOn(node: string, argv: string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<LocalResult> {
  return labSsh(node, argv, options);
}

/** Fresh disks (same host keys) for the nodes, in parallel. */
export async function resetNodes(...nodes: string[]): Promise<void> {
  await Promise.all(nodes.map((n) => resetNode(n)));
}

export async function cutLink(node: string): Promise<void> {
  await killNode(node);
}

export async function powerOff(node: string): Promise<void> {
  await killNode(node, { hard: true });
}

export async function revive(node: string): Promise<void> {
  await reviveNode(node);
}

/** Writes a lab inventory (and its known_hosts) into dir; returns the paths. */
export function writeInventory(deployment: LabDeployment, options: Omit<LabInventoryOptions, 'deployment'> = {}): Promise<LabInventoryFiles> {
  return writeLabInventory({ deployment, ...options });
}

/** Does the node's SIP service answer OPTIONS? Asked from `from` (a node) with the base's lab-sip client. */
export async function sipAnswers(from: string, target: string, timeoutSeconds = 1): Promise<boolean> {
  const r = await labExec(from, ['lab-sip', 'options', findNode(target).address, '--timeout', String(timeoutSeconds)]);
  return r.code === 0;
}

/** What the MDS registrar recorded (see docs/lab.md). */
export async function mdsRegistrations(node = 'mds1'): Promise<{ bindings: Record<string, { user: string; contact: string; source: string; registered_at: string; expires: number; expires_at: string }>; history: Array<{ time: string; user: string; contact: string; source: string; expires: number }> }> {
  const r = await labExec(node, ['cat', '/var/lib/xivo-ha-lab/mds-registrations.json']);
  if (r.code !== 0) return { bindings: {}, history: [] };
  return JSON.parse(r.stdout) as Awaited<ReturnType<typeof mdsRegistrations>>;
}

/** Reads a file of a node through its namespaces ('' when absent). */
export async function readNodeFile(node: string, path: string): Promise<string> {
  const r = await labExec(node, ['cat', path]);
  return r.code === 0 ? r.stdout : '';
}

export function runnerPublicKey(): string {
  return readFileSync(`${runnerKey}.pub`, 'utf8').trim();
}
