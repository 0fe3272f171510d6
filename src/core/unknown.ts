// A value that exists only after apply (a key generated on another host, the
// stdout of a command that has not run). Templates that touch one render to
// an Unknown instead of text, and the planner shows "known after apply".

export class Unknown {
  constructor(readonly reason: string) {}
  toString(): string {
    return `(known after apply: ${this.reason})`;
  }
  toJSON(): string {
    return this.toString();
  }
}

export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}
