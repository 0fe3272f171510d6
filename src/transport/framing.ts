// The agent's framing: ASCII decimal length, newline, then that many bytes of
// UTF-8 JSON. The same on stdin (requests) and stdout (answers).

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}\n`, 'ascii'), body]);
}

/** Accumulates stream chunks and hands out whole frame bodies, in order. */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #expected: number | undefined;

  /** Feeds a chunk; returns the bodies it completed. Throws on a malformed header. */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const bodies: Buffer[] = [];
    for (;;) {
      if (this.#expected === undefined) {
        const all = this.#flatten();
        const newline = all.indexOf(0x0a);
        if (newline === -1) {
          if (all.length > 20) throw new Error(`bad frame header from the agent: ${JSON.stringify(all.subarray(0, 40).toString('latin1'))}`);
          return bodies;
        }
        const header = all.subarray(0, newline).toString('ascii');
        if (!/^\d{1,15}$/.test(header)) throw new Error(`bad frame header from the agent: ${JSON.stringify(all.subarray(0, 80).toString('latin1'))}`);
        this.#expected = Number(header);
        this.#replace(all.subarray(newline + 1));
      }
      if (this.#buffered < this.#expected) return bodies;
      const all = this.#flatten();
      bodies.push(all.subarray(0, this.#expected));
      this.#replace(all.subarray(this.#expected));
      this.#expected = undefined;
    }
  }

  /** Bytes that did not make a whole frame (useful in an error message). */
  get pending(): number {
    return this.#buffered;
  }

  #flatten(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  #replace(rest: Buffer): void {
    this.#chunks = rest.length ? [rest] : [];
    this.#buffered = rest.length;
  }
}
