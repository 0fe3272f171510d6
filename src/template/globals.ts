// The global functions templates call: range() and dict() as Jinja2 has
// them. Lookups would read the controller's disk or network while planning,
// so they are refused with a message rather than silently missing.

import { TemplateError } from './errors.js';
import { Callable, numberValue, operand } from './values.js';

const GLOBALS: Record<string, Callable> = {
  range: new Callable('range', (args) => {
    const n = args.map((a) => numberValue(operand(a) as number));
    const [start, stop, step] = n.length === 1 ? [0, n[0]!, 1] : [n[0]!, n[1]!, n[2] ?? 1];
    if (step === 0) throw new TemplateError('range() arg 3 must not be zero');
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  }),
  dict: new Callable('dict', (args, kw) => {
    const out: Record<string, unknown> = {};
    const from = args[0] === undefined ? undefined : operand(args[0]);
    if (Array.isArray(from)) for (const pair of from) if (Array.isArray(pair)) out[String(operand(pair[0]))] = pair[1];
    if (from && typeof from === 'object' && !Array.isArray(from)) Object.assign(out, from);
    return Object.assign(out, kw);
  }),
};

for (const name of ['lookup', 'query', 'q']) {
  GLOBALS[name] = new Callable(name, () => {
    throw new TemplateError(`${name}() is not supported: lookups would run on the controller while planning; pass the value as a variable instead`);
  });
}

export function globalFunction(name: string): Callable | undefined {
  return Object.prototype.hasOwnProperty.call(GLOBALS, name) ? GLOBALS[name] : undefined;
}

export function isGlobalName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(GLOBALS, name);
}
