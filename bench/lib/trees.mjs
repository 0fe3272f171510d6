// After a first apply, the trees both tools leave must be identical except
// the generated key pair and the handler log's timestamp.

import { cpSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';

// Paths are relative to a snapshot holding one directory per host.
const GENERATED = /(^|\/)root\/\.ssh\/id_ed25519(\.pub)?$/;
const HANDLER_LOG = /(^|\/)var\/log\/xivo-ha\/handler\.log$/;

export function snapshotTree(from, to) {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
}

/** rel path -> {type, mode, content} for everything under dir. */
export function readTree(dir) {
  const out = new Map();
  const walk = (rel) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.set(r, { type: 'dir', mode });
        walk(r);
      } else if (st.isSymbolicLink()) out.set(r, { type: 'link', mode: 0, content: readlinkSync(join(dir, r)) });
      else out.set(r, { type: 'file', mode, content: readFileSync(join(dir, r)).toString('latin1') });
    }
  };
  walk('');
  return out;
}

function normalise(rel, entry) {
  if (GENERATED.test(rel)) return { ...entry, content: '(generated key)' };
  if (HANDLER_LOG.test(rel)) return { ...entry, content: entry.content.replace(/^\d+ /gm, 'TIMESTAMP ') };
  return entry;
}

/** Differences between two trees, as readable lines (empty when identical). */
export function diffTrees(left, right, leftName, rightName) {
  const a = readTree(left);
  const b = readTree(right);
  const diffs = [];
  for (const rel of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(rel);
    const y = b.get(rel);
    if (!x) diffs.push(`${rel}: only after ${rightName}`);
    else if (!y) diffs.push(`${rel}: only after ${leftName}`);
    else {
      const nx = normalise(rel, x);
      const ny = normalise(rel, y);
      if (nx.type !== ny.type) diffs.push(`${rel}: ${nx.type} after ${leftName}, ${ny.type} after ${rightName}`);
      else if (nx.mode !== ny.mode) diffs.push(`${rel}: mode ${nx.mode.toString(8)} after ${leftName}, ${ny.mode.toString(8)} after ${rightName}`);
      else if (nx.content !== ny.content) diffs.push(`${rel}: content differs`);
    }
  }
  return diffs.sort();
}
