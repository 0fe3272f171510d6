// Secrets are a type, so no view, diff, error or JSON event can print one by
// accident: String(), JSON.stringify() and util.inspect() all give the mask.
// As a second line of defence every known secret value is registered, and
// redact() scrubs it from any text before it leaves the process.

import { inspect } from 'node:util';

export const MASK = '********';

const knownValues = new Set<string>();

export class Secret {
  readonly #value: string;
  constructor(
    value: string,
    readonly name: string,
  ) {
    this.#value = value;
    registerSecretValue(value);
  }
  /** The only way to the value: grep for reveal() to audit every use. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return `Secret(${this.name})`;
  }
}

/** Values shorter than 4 characters would mask ordinary words: refuse them as secrets upstream. */
export function registerSecretValue(value: string): void {
  if (value.length >= 4) knownValues.add(value);
}

export function containsSecret(text: string): boolean {
  for (const v of knownValues) if (text.includes(v)) return true;
  return false;
}

export function redact(text: string): string {
  let out = text;
  for (const v of knownValues) if (out.includes(v)) out = out.split(v).join(MASK);
  return out;
}

/** For tests only. */
export function forgetSecretValuesForTests(): void {
  knownValues.clear();
}
