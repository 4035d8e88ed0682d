// Polls a condition until it holds: tests wait on real processes, watches and containers, never on
// fixed sleeps, and a timeout names what was awaited and the last failure seen.

/** Thrown by a check to stop waiting at once: what it waits for can no longer happen (e.g. the process exited). */
export class GiveUp extends Error {}

/**
 * Calls `check` every `intervalMs` until it returns a truthy value (which is returned). A throw counts
 * as "not yet", except a GiveUp, which ends the wait with that error; after `timeoutMs` it fails with
 * `what` and the last error, if the last try threw.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = undefined;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      const cause = last === undefined ? '' : `: ${last instanceof Error ? last.message : String(last)}`;
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
