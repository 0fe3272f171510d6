// The tool-neutral side of the workload, through the reference helper gen.py:
// resolved host variables, reset, drift, the expected trees.

import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { WORKLOAD_DIR } from './paths.mjs';
import { runSync } from './proc.mjs';

const GEN = join(WORKLOAD_DIR, 'gen.py');
// The system interpreter: the same one the hosts run, whatever PATH says.
const PYTHON = '/usr/bin/python3';

export const PLAYBOOK = join(WORKLOAD_DIR, 'playbook.yml');
export const WORKLOAD = JSON.parse(readFileSync(join(WORKLOAD_DIR, 'workload.json'), 'utf8'));

function gen(...args) {
  return runSync([PYTHON, GEN, ...args.map(String)]);
}

/** [{index, hostname, address, port, user, base, remote_tmp, node_type, peer_name, local_address, remote_address, cluster_id}] */
export function resolveHosts(count) {
  return JSON.parse(gen('hosts', '--hosts', count));
}

export function resetHosts(count) {
  gen('reset', '--hosts', count);
}

export function driftHosts(count) {
  gen('drift', '--hosts', count);
}

export function renderTrees(count, outDir) {
  gen('render', '--hosts', count, '--out', outDir);
}

/** Compares the hosts' base directories with the expected trees; returns {ok, report}. */
export function compareWithExpected(count) {
  try {
    return { ok: true, report: gen('compare', '--hosts', count).trim() };
  } catch (err) {
    return { ok: false, report: err.message };
  }
}
