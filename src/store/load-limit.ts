/**
 * At most `limit` loads at once, the others waiting their turn in arrival order. A load holds a
 * whole file's bytes before its document is weighed and the cache trimmed: with many cold
 * documents read at once (hundreds of tenants over a small cache), unbounded loads held a
 * megabyte per connection beside the cache; two cores parse no faster with more at once.
 */
export class LoadLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(load: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await load();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
