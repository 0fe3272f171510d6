// newestMtime decides whether `npm test` builds and whether the integration
// tests accept dist/: a bytecode cache written by a test that imports a node
// program from src/ must not count as a newer source.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newestMtime } from '../../newest-mtime.mjs';

test('the newest source time ignores __pycache__ directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-mtime-'));
  try {
    mkdirSync(join(dir, 'node', '__pycache__'), { recursive: true });
    writeFileSync(join(dir, 'node', 'lib.py'), 'x = 1\n');
    utimesSync(join(dir, 'node', 'lib.py'), 1000, 1000);
    writeFileSync(join(dir, 'node', '__pycache__', 'lib.cpython-311.pyc'), 'cache');
    assert.equal(newestMtime(dir), 1000 * 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
