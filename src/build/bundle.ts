// Build step (run by `npm run build` and `prepare`, after tsc and the
// precompiled validators): bundles tsc's output, dist/cli/bin.js and every
// module it imports, into dist/bundle/main.cjs, and the `xivo-ha` entry
// (dist/cli/launch.js, package.json's bin) into dist/bundle/xivo-ha.cjs.
//
// Why one file: Node loads an ES module file by file (resolve, stat, read,
// compile, link). Our ~100 files cost about 90 ms at every start, a third of
// a no-op apply's own work on two hosts (docs/performance.md). esbuild, which
// tsx already brings, concatenates them. Why CommonJS: the entry compiles the
// bundle through vm.Script to use V8's code cache (src/cli/compile-cache.ts),
// which Node 20 offers for scripts only, not ES modules; a CommonJS entry also
// starts about 9 ms sooner than an ES module one. The commands' lazy imports
// stay lazy: esbuild turns each into a function run on first use, so
// `--version` still loads no SSH code.
//
// Bundled: our code and the pure-JavaScript packages on the start-up path.
// Left to Node (`external`):
// - ssh2: its native crypto binding (sshcrypto.node) is found relative to its
//   own files; bundled, it silently fell back to slower JavaScript ciphers.
// - ajv: loaded only when a schema has no precompiled validator.
// - pg, zx: the lab's and the replication bench's, never on a run's path.
// Paths the code finds from its own location (import.meta.url, here the
// bundle's file URL) hold because the bundle sits two levels below the
// package root, as dist/<dir>/x.js does.

import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { GENERATED_VALIDATORS_FILE } from '../load/validators/keys.js';
import { BUNDLE_FILE, ENTRY_FILE } from './bundle-files.js';

const BUNDLE_EXTERNAL = ['ssh2', 'pg', 'zx', 'ajv'];


/**
 * CommonJS has no import.meta: each file's URL is made from its __filename.
 * The banner starts with the "use strict" directive: ES modules are strict
 * code, and esbuild's own directive, placed after a banner statement, would
 * be a mere string and leave the bundle sloppy.
 */
const COMMONJS_OPTIONS: BuildOptions = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: BUNDLE_EXTERNAL,
  define: { 'import.meta.url': '__xivoHaFileUrl' },
  banner: { js: "\"use strict\";\nconst __xivoHaFileUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

export async function bundleCli(distDir: string): Promise<string> {
  const outdir = join(distDir, 'bundle');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    ...COMMONJS_OPTIONS,
    entryPoints: [join(distDir, 'cli', 'bin.js')],
    outfile: join(outdir, BUNDLE_FILE),
    // Stack traces of an internal error map back to dist/ with
    // `node --enable-source-maps`, which makes the entry load the bundle plainly.
    sourcemap: 'linked',
  });
  await build({ ...COMMONJS_OPTIONS, entryPoints: [join(distDir, 'cli', 'launch.js')], outfile: join(outdir, ENTRY_FILE) });
  // src/load/schema.ts looks for the precompiled validators beside itself.
  copyFileSync(join(distDir, 'load', GENERATED_VALIDATORS_FILE), join(outdir, GENERATED_VALIDATORS_FILE));
  const entry = join(outdir, ENTRY_FILE);
  chmodSync(entry, 0o755);
  return entry;
}

async function main(): Promise<void> {
  const entry = await bundleCli(fileURLToPath(new URL('..', import.meta.url)));
  process.stdout.write(`bundled the CLI into ${entry}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
