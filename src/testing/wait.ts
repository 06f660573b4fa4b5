/** Waiting in tests for a condition that other processes make true. */

/** Polls `done` every `everyMs` (10 by default); rejects with `why()` after `timeoutMs`. */
export async function waitFor(done: () => boolean, timeoutMs: number, why: () => string = () => 'timed out', everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
