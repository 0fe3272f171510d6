// Ansible's `mode` argument. An integer is used as it is: YAML 1.1 reads 0644
// as octal (420), and a bare 644 is decimal 644 (= 0o1204), Ansible's famous
// gotcha, which we keep so both tools leave the same bits. A string of octal
// digits ("0644", "644", "0o644") is octal; anything else is a symbolic mode
// ("u=rw,g=r,o=", "a+x", "u+rwX,go-w") applied to the current mode, as chmod
// and Ansible do. "preserve" (copy/template) is not supported.

import { ModuleArgError } from './args.js';

export type ModeSpec = number | string;

export function parseModeSpec(value: unknown): ModeSpec | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0o7777) throw new ModuleArgError(`mode ${value} is not a valid permission number`);
    return value;
  }
  if (typeof value !== 'string') throw new ModuleArgError('mode must be a number or a string');
  if (value === 'preserve') throw new ModuleArgError('mode "preserve" is not supported: give the mode explicitly');
  if (/^(0o)?[0-7]+$/i.test(value)) {
    const n = parseInt(value.replace(/^0o/i, ''), 8);
    if (n > 0o7777) throw new ModuleArgError(`mode ${value} is not a valid permission number`);
    return n;
  }
  // Validate now so a bad symbolic mode fails before anything is planned.
  resolveMode(value, 0, false);
  return value;
}

/** The permission bits a mode spec gives a path whose current bits are `current`. */
export function resolveMode(spec: ModeSpec, current: number, isDirectory: boolean): number {
  if (typeof spec === 'number') return spec;
  let mode = current & 0o7777;
  for (const clause of spec.split(',')) {
    const m = /^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$/.exec(clause);
    if (!m) throw new ModuleArgError(`mode "${spec}": "${clause}" is not a symbolic mode clause (like u=rw,g=r,o=)`);
    const users = (m[1] || 'a').replace('a', 'ugo');
    for (const op of m[2]!.match(/[-+=][rwxXstugo]*/g) ?? []) {
      mode = applyOperation(mode, users, op[0]!, op.slice(1), isDirectory);
    }
  }
  return mode;
}

const SHIFT: Record<string, number> = { u: 6, g: 3, o: 0 };
const SPECIAL: Record<string, { s: number; t: number }> = { u: { s: 0o4000, t: 0 }, g: { s: 0o2000, t: 0 }, o: { s: 0, t: 0o1000 } };

function applyOperation(mode: number, users: string, op: string, perms: string, isDirectory: boolean): number {
  let out = mode;
  for (const who of new Set(users)) {
    const shift = SHIFT[who]!;
    let bits = 0;
    for (const p of perms) {
      if (p === 'r') bits |= 4 << shift;
      else if (p === 'w') bits |= 2 << shift;
      else if (p === 'x') bits |= 1 << shift;
      else if (p === 'X') {
        if (isDirectory || (mode & 0o111) !== 0) bits |= 1 << shift;
      } else if (p === 's') bits |= SPECIAL[who]!.s;
      else if (p === 't') bits |= SPECIAL[who]!.t;
      else bits |= ((mode >> SHIFT[p]!) & 7) << shift; // u, g, o: copy that class's bits
    }
    const mask = (7 << shift) | SPECIAL[who]!.s | SPECIAL[who]!.t;
    if (op === '=') out = (out & ~mask) | bits;
    else if (op === '+') out |= bits;
    else out &= ~bits;
  }
  return out;
}

/** "0644", "4755": Ansible's '%04o'. */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
