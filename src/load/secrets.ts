// Secrets are declared by reference ({env: NAME} or {file: PATH}), never
// inline, and become Secret values the moment they are read.

import { readFileSync } from 'node:fs';
import { Secret } from '../core/secret.js';
import type { Diagnostics } from './diagnostics.js';
import { positionOf, type YamlSource } from './yaml-source.js';
import { resolveLocalPath } from './local-path.js';

export type SecretRef = { env: string } | { file: string };

/** Shorter values would mask ordinary words in every output (see src/core/secret.ts). */
const MIN_SECRET_LENGTH = 4;

export function resolveSecrets(
  refs: Record<string, SecretRef>,
  src: YamlSource,
  baseDir: string,
  diagnostics: Diagnostics,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, Secret> {
  const out = new Map<string, Secret>();
  for (const [name, ref] of Object.entries(refs)) {
    const value = readSecret(name, ref, src, baseDir, diagnostics, env);
    if (value === undefined) continue;
    if (value.length < MIN_SECRET_LENGTH) {
      const kind = 'env' in ref ? 'env' : 'file';
      diagnostics.error('inventory.secret', `secret "${name}" is shorter than ${MIN_SECRET_LENGTH} characters: too short to be masked in output`, positionOf(src, ['secrets', name, kind]), ['secrets', name]);
      continue;
    }
    out.set(name, new Secret(value, name));
  }
  return out;
}

function readSecret(name: string, ref: SecretRef, src: YamlSource, baseDir: string, diagnostics: Diagnostics, env: NodeJS.ProcessEnv): string | undefined {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') {
      diagnostics.error('inventory.secret', `secret "${name}": environment variable ${ref.env} is not set`, positionOf(src, ['secrets', name, 'env']), ['secrets', name, 'env']);
      return undefined;
    }
    return value;
  }
  const path = resolveLocalPath(ref.file, baseDir);
  try {
    // One trailing newline is how editors save files, not part of the secret.
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    diagnostics.error('inventory.secret', `secret "${name}": cannot read ${path} (${reason})`, positionOf(src, ['secrets', name, 'file']), ['secrets', name, 'file']);
    return undefined;
  }
}
