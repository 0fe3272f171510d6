// Build step (run by `npm run build` and `prepare`, after tsc and the
// precompiled validators): bundles tsc's output, dist/cli/bin.js and every
// module it imports, into dist/bundle/xivo-ha.js, the CLI operators run.
//
// Why: Node loads an ES module file by file (resolve, stat, read, compile,
// link). Our ~100 files cost about 90 ms at every start, a third of a no-op
// apply's own work on two hosts (docs/performance.md). esbuild, which tsx
// already brings, concatenates them; the commands' lazy imports stay lazy as
// chunks of their own (`splitting`), so `--version` still loads no SSH code.
//
// Bundled: our code and the pure-JavaScript packages on the start-up path.
// Left to Node (`external`):
// - ssh2: its native crypto binding (sshcrypto.node) is found relative to its
//   own files; bundled, it silently fell back to slower JavaScript ciphers.
// - ajv: loaded only when a schema has no precompiled validator.
// - pg, zx: the lab's and the replication bench's, never on a run's path.
// Paths the code finds from its own location (import.meta.url) hold because
// the bundle sits two levels below the package root, as dist/<dir>/x.js does.

import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { GENERATED_VALIDATORS_FILE } from '../load/validators/keys.js';

const BUNDLE_EXTERNAL = ['ssh2', 'pg', 'zx', 'ajv'];

/**
 * Bundled CommonJS packages call require() for Node's own modules; an ES
 * module has no require, so the bundle makes one.
 */
const REQUIRE_BANNER = "import { createRequire as __xivoHaCreateRequire } from 'node:module';\nconst require = __xivoHaCreateRequire(import.meta.url);";

export async function bundleCli(distDir: string): Promise<string> {
  const outdir = join(distDir, 'bundle');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { 'xivo-ha': join(distDir, 'cli', 'bin.js') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: BUNDLE_EXTERNAL,
    banner: { js: REQUIRE_BANNER },
    chunkNames: 'chunk-[hash]',
    // Stack traces of an internal error map back to dist/ with `node --enable-source-maps`.
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // src/load/schema.ts looks for the precompiled validators beside itself.
  copyFileSync(join(distDir, 'load', GENERATED_VALIDATORS_FILE), join(outdir, GENERATED_VALIDATORS_FILE));
  const entry = join(outdir, 'xivo-ha.js');
  chmodSync(entry, 0o755);
  return entry;
}

async function main(): Promise<void> {
  const entry = await bundleCli(fileURLToPath(new URL('..', import.meta.url)));
  process.stdout.write(`bundled the CLI into ${entry}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
