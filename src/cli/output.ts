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
  /** A live per-host progress view, when stdout is a terminal (plan and apply). */
  live?: boolean;
}

/** Live redraws only for a person at a terminal: not in CI, not for a dumb terminal. */
export function liveWanted(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.CI && process.env.TERM !== 'dumb';
}

/** The view for the options; the live view's terminal library is loaded only for a person at a terminal (a start-up cost every other run skipped). */
export async function createEmitter(o: OutputOptions): Promise<(event: RunEvent) => void> {
  if (o.json) return createJsonView();
  const colors = palette(colorWanted(process.stdout, o.color === false));
  const human = createHumanView({ write: (t) => process.stdout.write(t), colors, verbose: Boolean(o.verbose) });
  if (!o.live || !liveWanted(process.stdout)) return human;
  const { withLiveProgress } = await import('./views/live.js');
  return withLiveProgress(human, process.stdout, colors);
}
