// Shell scripts shipped to or used with the nodes pass shellcheck (issue 4):
// every file under playbooks/ and src/remote/node/ whose first line names sh or bash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');

function shellScripts(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) found.push(...shellScripts(path));
    else if (st.isFile() && /^#!\s*\S*\/(env\s+)?(ba)?sh\b/.test(readFileSync(path, 'utf8').split('\n', 1)[0] ?? '')) found.push(path);
  }
  return found;
}

test('the node-side shell scripts pass shellcheck', () => {
  const scripts = [...shellScripts(join(root, 'playbooks', 'templates')), ...shellScripts(join(root, 'src', 'remote', 'node'))];
  assert.ok(scripts.length > 0, 'no shell script found: the scan is broken');
  const r = spawnSync('shellcheck', ['--severity=style', ...scripts], { encoding: 'utf8' });
  assert.equal(r.error, undefined, `shellcheck could not run (apt-get install shellcheck): ${String(r.error)}`);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
