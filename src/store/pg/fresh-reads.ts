/**
 * Reads of one phext that share their statement without ever being served by one that started
 * before they did: a read is answered by the check (the phext's version, and what changed) in
 * flight only if it joined before that check was sent; one that comes while a check runs waits
 * for the next, which starts when the running one ends and serves every read that came meanwhile.
 * So a write acknowledged anywhere before a read began is in its answer, and N concurrent readers
 * cost about two statements per round trip instead of N.
 *
 * A check is sent a turn of the event loop after it is due (setImmediate), not at once: the
 * requests that arrived in the same batch of I/O as the first read, or as the answer of the
 * check before, join it instead of waiting a whole round trip for the next. Each check is a
 * syscall each way and a wake-up of a database process; under load this halves their number.
 */
export class FreshReads<T> {
  private running: Promise<T> | undefined;
  private next: Promise<T> | undefined;

  constructor(private readonly check: () => Promise<T>) {}

  read(): Promise<T> {
    this.next ??= this.schedule();
    return this.next;
  }

  private schedule(): Promise<T> {
    // Registered at once when idle, so that the turn waited for is the current one.
    const due = this.running ? this.running.then(ignore, ignore).then(nextTurn) : nextTurn();
    return due.then(() => {
      this.next = undefined;
      const started = this.check().finally(() => {
        if (this.running === started) this.running = undefined;
      });
      this.running = started;
      return started;
    });
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const ignore = () => undefined;
