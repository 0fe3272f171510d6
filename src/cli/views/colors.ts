// Colours only on a terminal, and never when NO_COLOR is set (no-color.org).

export interface Palette {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function palette(enabled: boolean): Palette {
  if (!enabled) {
    const id = (s: string) => s;
    return { green: id, yellow: id, red: id, cyan: id, dim: id, bold: id };
  }
  return { green: wrap(32, 39), yellow: wrap(33, 39), red: wrap(31, 39), cyan: wrap(36, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

export function colorWanted(stream: NodeJS.WriteStream, requestedOff: boolean): boolean {
  return !requestedOff && !process.env.NO_COLOR && Boolean(stream.isTTY);
}
