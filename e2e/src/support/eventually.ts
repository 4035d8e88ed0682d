// Polls until a condition holds: the e2e suites wait on real processes and containers, never on sleeps.
export async function eventually<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
