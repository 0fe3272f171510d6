// The built CLI's two files under dist/bundle/, named once: the bundle
// (build/bundle.ts writes it), and the entry, package.json's bin, that runs
// it (cli/launch.ts). A module of its own because launch.ts is compiled at
// every start and must not import the build (esbuild).

/** The bundled CLI, run by the entry through V8's code cache. */
export const BUNDLE_FILE = 'main.cjs';
/** package.json's bin. */
export const ENTRY_FILE = 'xivo-ha.cjs';
