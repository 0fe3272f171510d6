#!/usr/bin/env node
// npm run bench:replication: loads the TypeScript bench through tsx (it reuses
// test/helpers/pg-cluster.ts) and exits with its code. See main.ts.

import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
