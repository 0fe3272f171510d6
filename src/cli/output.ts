// Picks the view for a command: JSON lines on stdout with --json, otherwise
// human lines (stdout for results; diagnostics go to stderr).

import type { RunEvent } from '../core/events.js';
import { createJsonView } from './views/json.js';
import { createHumanView } from './views/human.js';
import { colorWanted, palette } from './views/colors.js';

export interface OutputOptions {
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
}

export function createEmitter(o: OutputOptions): (event: RunEvent) => void {
  if (o.json) return createJsonView();
  return createHumanView({
    write: (t) => process.stdout.write(t),
    colors: palette(colorWanted(process.stdout, o.color === false)),
    verbose: Boolean(o.verbose),
  });
}
