import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { withLiveProgress } from '../../../src/cli/views/live.js';
import { palette } from '../../../src/cli/views/colors.js';
import type { RunEvent } from '../../../src/core/events.js';

function fakeTerminal() {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { output: string };
  Object.assign(stream, { isTTY: true, columns: 100, rows: 40, output: '' });
  (stream as unknown as PassThrough).on('data', (d: Buffer) => (stream.output += d.toString()));
  return stream;
}

test('keeps one live line per host under the plain output, and clears it at the end', () => {
  const term = fakeTerminal();
  const plain: string[] = [];
  const emit = withLiveProgress((e) => plain.push(e.type), term, palette(false));
  const events: RunEvent[] = [
    { type: 'run_start', command: 'apply', inventory: 'i.yml', playbooks: ['p.yml'], hosts: ['master', 'slave'], dry_run: false },
    { type: 'host_connected', host: 'master', duration_ms: 5 },
    { type: 'task_result', host: 'master', play: 'p', task: 'ha.conf', module: 'copy', status: 'changed', handler: false, changes: [], duration_ms: 3 },
  ];
  for (const e of events) emit(e);
  assert.match(term.output, /master\s+1 tasks\s+after "ha\.conf"/);
  assert.match(term.output, /slave\s+0 tasks\s+connecting/);
  emit({ type: 'host_failed', host: 'slave', message: 'boom' });
  assert.match(term.output, /✗ slave/);
  emit({ type: 'run_end', exit_code: 3, duration_ms: 10 });
  assert.deepEqual(plain, ['run_start', 'host_connected', 'task_result', 'host_failed', 'run_end'], 'every event still reaches the plain view');
});
