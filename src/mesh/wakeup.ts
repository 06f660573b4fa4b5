/**
 * Long polls: a peer asking for changes when there are none waits for the next commit. `seq`
 * counts commits, so a caller that read it before looking for changes knows whether one came
 * while it looked, and never sleeps past it.
 */
export class Wakeup {
  seq = 0;
  private waiters = new Set<() => void>();
  private closed = false;

  /** A commit happened: wakes every waiter. */
  bump(): void {
    this.seq++;
    const waiting = this.waiters;
    this.waiters = new Set();
    for (const wake of waiting) wake();
  }

  /** Resolves at the first commit after `seen`, after `ms`, or at close. */
  wait(seen: number, ms: number): Promise<void> {
    if (this.seq !== seen || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Ends every wait now (shutdown: a held request must not hold the drain). */
  close(): void {
    this.closed = true;
    this.bump();
  }
}
