// The base image's cache key: the same sources give the same key wherever
// they are checked out (CI clones afresh every run and must reuse the cached
// image), and any change to what ends up in the image gives a new one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { baseKey, packagesKey } from '../../../src/lab/base.js';
import { ASSETS_DIR_IN_PACKAGE, SCHEMA_SQL_IN_PACKAGE, packageRoot } from '../../../src/lab/paths.js';

function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), 'xivo-ha-checkout-'));
  for (const rel of [ASSETS_DIR_IN_PACKAGE, SCHEMA_SQL_IN_PACKAGE]) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    cpSync(join(packageRoot, rel), join(root, rel), { recursive: true });
  }
  return root;
}

test('two checkouts of the same sources at different paths share the base image key', () => {
  const [a, b] = [checkout(), checkout()];
  try {
    assert.equal(baseKey(a), baseKey(b));
    assert.equal(baseKey(a), baseKey());
    assert.equal(packagesKey(a), packagesKey());
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('a changed schema or stand-in gives a new base key; only the package script changes the packages key', () => {
  const root = checkout();
  try {
    const before = { base: baseKey(root), packages: packagesKey(root) };
    appendFileSync(join(root, SCHEMA_SQL_IN_PACKAGE), '\n-- changed\n');
    const afterSchema = baseKey(root);
    assert.notEqual(afterSchema, before.base);
    assert.equal(packagesKey(root), before.packages);
    appendFileSync(join(root, ASSETS_DIR_IN_PACKAGE, 'xivo-service'), '\n# changed\n');
    assert.notEqual(baseKey(root), afterSchema);
    appendFileSync(join(root, ASSETS_DIR_IN_PACKAGE, 'build-packages.sh'), '\n# changed\n');
    assert.notEqual(packagesKey(root), before.packages);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
