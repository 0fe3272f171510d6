#!/usr/bin/env node
// The `xivo-ha` command (package.json's bin, dist/bundle/xivo-ha.cjs once
// built): runs the bundled CLI beside it through V8's code cache
// (compile-cache.ts). It stays this small: it is compiled at every start.

import { fileURLToPath } from 'node:url';
import { BUNDLE_FILE } from '../build/bundle-files.js';
import { runWithCompileCache } from './compile-cache.js';

runWithCompileCache(fileURLToPath(new URL(BUNDLE_FILE, import.meta.url)));
