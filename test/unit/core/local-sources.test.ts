// A run reads each local source (files/, templates/) once: every host gets
// the same bytes, and the check after apply compares with what was written,
// even when the file is rewritten on the workstation during the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybooks } from '../../../src/core/runner.js';
import type { RunEvent } from '../../../src/core/events.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { inventory, play, playbook, task } from '../../helpers/specs.js';

test('a source file rewritten during an apply: every host gets the bytes read first, and the run reports no drift', async () => {
  const base = mkdtempSync(join(tmpdir(), 'xivo-ha-local-sources-'));
  try {
    mkdirSync(join(base, 'files'));
    const source = join(base, 'files', 'banner.txt');
    writeFileSync(source, 'first\n');
    const hosts = { a: new FakeHost('a'), b: new FakeHost('b') };
    let rewritten = false;
    const events: RunEvent[] = [];
    const result = await runPlaybooks({
      command: 'apply',
      inventory: inventory({ a: {}, b: {} }),
      playbooks: [playbook(play([task('banner', 'copy', { src: 'banner.txt', dest: '/etc/banner' })], { baseDir: base }))],
      tags: [],
      extraVars: {},
      connect: async (host) => hosts[host.name as 'a' | 'b'],
      connectOptions: { acceptNew: false },
      emit: (e) => {
        events.push(e);
        // The workstation's file changes once the first host has written it, before the check after apply.
        if (e.type === 'task_result' && !rewritten) {
          rewritten = true;
          writeFileSync(source, 'second, longer\n');
        }
      },
    });
    assert.equal(result.exitCode, 0, JSON.stringify(events.filter((e) => e.type === 'task_result')));
    assert.equal(hosts.a.readFile('/etc/banner'), hosts.b.readFile('/etc/banner'));
    assert.deepEqual(events.filter((e) => e.type === 'verify_drift'), []);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
