/**
 * Turns of the event loop shared by every streamed answer. A waiter is woken alone, one per loop
 * iteration, so however many answers stream at once, an iteration runs one chunk's work before
 * the loop polls for I/O again: a `/health` waits for a chunk or two, not for one of each answer.
 */
const waiting: Array<() => void> = [];
let scheduled = false;

/** Resolves at this caller's turn, after every earlier caller's. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(wakeOne);
    }
  });
}

function wakeOne(): void {
  waiting.shift()?.();
  // Scheduled from within the check phase, the next wake-up runs in the next loop iteration.
  if (waiting.length > 0) setImmediate(wakeOne);
  else scheduled = false;
}
