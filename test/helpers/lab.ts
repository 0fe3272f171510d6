// Helpers for integration tests that drive the lab. The test script brings
// the lab up once (`xivo-ha lab up --all-nodes`) before the integration tests
// and down after; ensureLab() brings it up when a file is run on its own.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findLabLeftovers, killNode, labDown, labExec, labSsh, labStatus, labUp, resetNode, reviveNode, setLinkLoss, waitTcp } from '../../src/lab/lab.js';
import { TURN_SECRET_FILE, writeLabInventory, type LabInventoryFiles, type LabInventoryOptions } from '../../src/lab/inventory.js';
import { runnerKey, knownHostsFile, stateDir } from '../../src/lab/paths.js';
import { findNode, type LabDeployment } from '../../src/lab/topology.js';
import { CommandError } from '../../src/core/errors.js';
import type { LocalResult } from '../../src/lab/exec.js';
import { tail } from '../../src/lab/exec.js';
import { applyTwice, xivoHa } from './xivo-ha-cli.js';
import { nodeAnswersSip } from './sip.js';
import { registerSecret } from './suite-record.js';

export { findLabLeftovers, killNode, labDown, labUp, resetNode, reviveNode, setLinkLoss, waitTcp, runnerKey, knownHostsFile, findNode };
export { nodeAddress, RUNNER_ADDRESS, SUBNET } from '../../src/lab/topology.js';
export { nodeAnswersSip } from './sip.js';
export type { LocalResult };

const ALL = ['master', 'slave', 'cc-master', 'cc-slave', 'mds1', 'edge'];

/**
 * Makes the lab usable for a test file: with no lab, or one missing a node
 * this file uses, brings all six up; otherwise revives only the nodes this
 * file uses (test/run.mjs brings up only the pair for the chains that need
 * no more: idle nodes cost CPU the whole run). A lab
 * that is up is never brought up again: files run side by side, and a node
 * another file has cut or powered off on purpose would otherwise make this
 * take the whole lab down under that file (what broke the failover suite
 * beside the fault suite in CI).
 */
export async function ensureLab(uses: readonly string[] = ALL): Promise<void> {
  const status = await labStatus();
  if (status === undefined || !uses.every((n) => status.some((s) => s.name === n))) {
    await labUp({ allNodes: true }, (line) => process.stderr.write(`lab: ${line}\n`));
    return;
  }
  for (const name of uses) {
    const node = status.find((s) => s.name === name);
    if (!node?.running || !node.linkUp) await reviveNode(name);
  }
}

/** An address as regular-expression source that matches only itself (its dots escaped). */
export function addressPattern(address: string): string {
  return address.replaceAll('.', '\\.');
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

/**
 * Runs one replication now, the way the hourly timer does (systemctl start
 * of the oneshot service), and waits for it. The bound is generous: on the
 * suite's two saturated cores a run that takes 5 s alone took over a minute
 * (a CI failure at 60 s). A failure throws with the replication's own
 * account of it (the unit's journal and the recorded reason), where a bare
 * exit code said nothing.
 */
export async function replicateNow(node = 'master', timeoutMs = 240_000): Promise<void> {
  const r = await labExec(node, ['systemctl', 'start', 'xivo-ha-replicate.service'], { timeoutMs });
  if (r.code === 0) return;
  const journal = await labExec(node, ['journalctl', '-u', 'xivo-ha-replicate.service', '-n', '25', '--no-pager', '-o', 'cat']);
  const status = await labExec(node, ['cat', '/var/lib/xivo-ha/replication-status.json']);
  const outcome = r.code === null ? `no end within ${timeoutMs / 1000} s` : `exit ${r.code}: ${tail(r.stderr)}`;
  throw new Error(`${node}: the replication failed (${outcome})\njournal:\n${tail(journal.stdout, 25)}\nrecorded status: ${status.stdout.trim()}`);
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

/** Writes a lab inventory (and its known_hosts) into dir; returns the paths. Its TURN secret (with an Edge) is registered for the secret scan. */
export async function writeInventory(deployment: LabDeployment, options: Omit<LabInventoryOptions, 'deployment'> = {}): Promise<LabInventoryFiles> {
  const files = await writeLabInventory({ deployment, ...options });
  if (options.edge) registerSecret(readFileSync(join(dirname(files.inventory), TURN_SECRET_FILE), 'utf8'), 'TURN secret of a lab inventory');
  return files;
}

/** Does the node's SIP service answer OPTIONS? Asked from `from` (a node) with the base's lab-sip client. */
export async function sipAnswers(from: string, target: string, timeoutSeconds = 1): Promise<boolean> {
  const r = await labExec(from, ['lab-sip', 'options', findNode(target).address, '--timeout', String(timeoutSeconds)]);
  return r.code === 0;
}

/** What the MDS registrar recorded (see docs/lab.md). */
export async function mdsRegistrations(node = 'mds1'): Promise<{ bindings: Record<string, { user: string; contact: string; source: string; registered_at: string; expires: number; expires_at: string; authenticated?: boolean }>; history: Array<{ time: string; user: string; contact: string; source: string; expires: number }> }> {
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

/** Where a node keeps the token of the provisioning it belongs to (see provisionedPair). */
const PAIR_TOKEN = '/var/lib/xivo-ha-test/pair-token';
const MONITOR_STATE = '/var/lib/xivo-ha/monitor-state.json';
const PAUSED = '/var/lib/xivo-ha/paused.json';

/**
 * The lab's master/slave pair, provisioned with the lab's xivo inventory
 * (fast monitor profile), shared by the test files that run one after the
 * other on a lab instance: provisioning fresh nodes costs two applies and two
 * node resets (a minute or more on 2 cores), and most files only need a
 * healthy pair to start from. The pair is reused when both nodes still carry
 * the token of the last provisioning, the plan is empty, and the pair is at
 * rest (slave standby with no manual request, master answering SIP, slave
 * silent, nothing paused); otherwise both nodes are reset and provisioned
 * again. A file that needs fresh nodes passes `fresh`. A file that leaves the
 * pair changed needs no clean-up: the next file's checks see it.
 *
 * Returns the shared inventory: a file that changes it works on a copy.
 */
export async function provisionedPair(options: { fresh?: boolean } = {}): Promise<string> {
  const dir = join(stateDir, 'test-pair');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { inventory } = await writeInventory('xivo', { outDir: dir, profile: 'fast' });
  const tokenFile = join(dir, 'token');
  if (!options.fresh && (await pairAtRest(inventory, tokenFile))) return inventory;
  await resetNodes('master', 'slave');
  await applyTwice(inventory);
  const token = randomBytes(8).toString('hex');
  for (const node of ['master', 'slave']) await execOk(node, ['sh', '-c', `mkdir -p ${dirname(PAIR_TOKEN)} && echo ${token} > ${PAIR_TOKEN}`]);
  writeFileSync(tokenFile, `${token}\n`);
  await registerNodeSecrets(['master', 'slave']);
  return inventory;
}

async function pairAtRest(inventory: string, tokenFile: string): Promise<boolean> {
  let token: string;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
  } catch {
    return false;
  }
  for (const node of ['master', 'slave']) {
    const r = await labExec(node, ['sh', '-c', `cat ${PAIR_TOKEN} && ! test -e ${PAUSED}`]).catch(() => undefined);
    if (r?.code !== 0 || r.stdout.trim() !== token) return false;
  }
  const monitor = await standbyWithMasterAnswering();
  if (!monitor || monitor.manual) return false;
  return (await xivoHa(['plan', '-i', inventory, '--detailed-exitcode'])).code === 0;
}

/** The slave monitor's state file (docs/monitor.md), as far as the tests read it. */
export interface MonitorState {
  state: string;
  reason: string;
  paused?: boolean;
  manual?: unknown;
  grace_until?: number | null;
  counters: { takeovers: number; failbacks: number; telephony_restarts?: number };
  history: { at: string; from: string | null; to: string; reason: string }[];
}

export async function slaveMonitorState(): Promise<MonitorState | undefined> {
  const r = await labExec('slave', ['cat', MONITOR_STATE]).catch(() => undefined);
  if (r?.code !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as MonitorState;
  } catch {
    return undefined; // read while the monitor replaced it: not at rest yet
  }
}

/**
 * Where the pair rests between scenarios: the slave's monitor in standby,
 * the master answering SIP and the slave silent (seen from the runner, as a
 * phone on the LAN would). Returns the monitor's state, or undefined.
 */
export async function standbyWithMasterAnswering(): Promise<MonitorState | undefined> {
  const monitor = await slaveMonitorState();
  if (monitor?.state !== 'standby') return undefined;
  const [master, slave] = await Promise.all([nodeAnswersSip('master'), nodeAnswersSip('slave')]);
  return master && !slave ? monitor : undefined;
}

/**
 * Registers, for the suite's secret scan, the secrets the HA playbooks
 * generate or place on these nodes (the replication password, the TURN
 * secret): they pass through xivo-ha, so they must appear in no output.
 */
export async function registerNodeSecrets(nodes: readonly string[]): Promise<void> {
  for (const node of nodes) {
    const r = await labExec(node, ['sh', '-c', "find /etc/xivo-ha /etc/xivo-ha-faults -maxdepth 2 -type f \\( -name '*.password' -o -name '*secret*' \\) -exec sh -c 'printf \"%s\\0\" \"$1\"; cat \"$1\"; printf \"\\0\"' _ {} \\; 2>/dev/null"]);
    const parts = r.stdout.split('\0');
    for (let i = 0; i + 1 < parts.length; i += 2) registerSecret(parts[i + 1]!, `${parts[i]} on ${node}`);
  }
}
