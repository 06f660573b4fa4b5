/**
 * Reads of one phext that share their statement without ever being served by one that started
 * before they did: a read is answered by the check (the phext's version, and what changed) in
 * flight only if it joined before that check was sent; one that comes while a check runs waits
 * for the next, which starts when the running one ends and serves every read that came meanwhile.
 * So a write acknowledged anywhere before a read began is in its answer, and N concurrent readers
 * cost about two statements per round trip instead of N.
 */
export class FreshReads<T> {
  private running: Promise<T> | undefined;
  private waiting: Promise<T> | undefined;

  constructor(private readonly check: () => Promise<T>) {}

  read(): Promise<T> {
    if (!this.running) return this.start();
    this.waiting ??= this.running.then(ignore, ignore).then(() => {
      this.waiting = undefined;
      return this.start();
    });
    return this.waiting;
  }

  private start(): Promise<T> {
    const started = this.check().finally(() => {
      if (this.running === started) this.running = undefined;
    });
    this.running = started;
    return started;
  }
}

const ignore = () => undefined;
