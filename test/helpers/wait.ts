// Polling for lab tests: wait until a check returns a value, within a bound.

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Calls check every stepMs until it returns a truthy value (returned), or throws after boundMs naming what was awaited. */
export async function waitFor<T>(what: string, boundMs: number, check: () => Promise<T | undefined | false>, stepMs = 500): Promise<T> {
  const end = Date.now() + boundMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${boundMs / 1000} s waiting for ${what}`);
    await sleep(stepMs);
  }
}
