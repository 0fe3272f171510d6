// --json: one event per line on stdout and nothing else there. Every string
// goes through redact(), the last line of defence against a leaked secret.

import type { RunEvent } from '../../core/events.js';
import { redact } from '../../core/secret.js';

export function createJsonView(write: (line: string) => void = (l) => process.stdout.write(l)): (event: RunEvent) => void {
  return (event) => {
    write(redact(JSON.stringify({ ...event, time: new Date().toISOString() })) + '\n');
  };
}
