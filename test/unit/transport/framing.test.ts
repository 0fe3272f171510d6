import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame, FrameDecoder } from '../../../src/transport/framing.js';

test('decodes frames split across chunks at any byte', () => {
  const bytes = Buffer.concat([encodeFrame({ op: 'ping', id: 1 }), encodeFrame({ text: 'é'.repeat(50) })]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = new FrameDecoder();
    const bodies = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
    assert.deepEqual(bodies.map((b) => JSON.parse(b.toString())), [{ op: 'ping', id: 1 }, { text: 'é'.repeat(50) }]);
    assert.equal(d.pending, 0);
  }
});

test('rejects output that is not a frame (e.g. a stray message on stdout)', () => {
  assert.throws(() => new FrameDecoder().push(Buffer.from('Traceback (most recent call last):\n')), /bad frame header/);
});
