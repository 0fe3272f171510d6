// What `up` made, recorded so that `down`, `kill`, `revive` and `reset` know
// the running lab (down also sweeps by name, for a state file lost in a crash).

import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { UserError } from '../core/errors.js';
import { stateDir, stateFile } from './paths.js';
import { findNode, type LabNode } from './topology.js';

export interface LabState {
  base: string;
  nodes: string[];
  startedAt: string;
}

export function readLabState(): LabState | undefined {
  if (!existsSync(stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export function requireLabState(): LabState {
  const state = readLabState();
  if (!state) throw new UserError('the lab is not up', 'start it with `xivo-ha lab up`');
  return state;
}

export function labNodes(state: LabState): LabNode[] {
  return state.nodes.map(findNode);
}

export function requireLabNode(state: LabState, name: string): LabNode {
  const node = findNode(name);
  if (!state.nodes.includes(name)) {
    throw new UserError(`lab node "${name}" is not part of the running lab`, `running nodes: ${state.nodes.join(', ')}`);
  }
  return node;
}

export async function writeLabState(state: LabState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(`${stateFile}.tmp`, `${JSON.stringify(state, null, 1)}\n`);
  await rename(`${stateFile}.tmp`, stateFile);
}

export async function removeLabState(): Promise<void> {
  await rm(stateFile, { force: true });
}
