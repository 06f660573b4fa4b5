import { HEARTBEAT, PREAMBLE, sseEvent } from './sse.js';

/** Why a stream ended: the consumer fell too far behind, its token was revoked, the server stopped, or it left. */
export type EndReason = 'overflow' | 'revoked' | 'shutdown' | 'gone';

/** A batch of events of one phext's commit, for one stream: its highest version and its bytes. */
export interface Delivery {
  readonly version: number;
  readonly bytes: Buffer;
}

/**
 * One subscriber's events on their way out, as the chunks of an answer. The hub pushes events
 * as commits land; the answer takes them as fast as the client reads (all waiting events in one
 * chunk). What waits is bounded: past `maxBytes` of unsent events the stream drops them, ends
 * with an `overflow` event and leaves the hub, so a consumer that does not read costs at most
 * that much memory, however busy the phext.
 *
 * A stream that resumes starts `held`: live events are kept aside while its replay is read
 * from the store, then those the replay already covers are dropped (see begin), so the client
 * sees every change once, in version order.
 */
export class FeedStream implements AsyncIterable<Buffer> {
  private queue: Buffer[] = [PREAMBLE];
  private queued = PREAMBLE.length;
  /** Live deliveries waiting for the replay, oldest first. */
  private held: Delivery[] | undefined = [];
  private ended: EndReason | undefined;
  private wake: (() => void) | undefined;
  /** Called once when the stream stops taking events (the hub forgets it). */
  onEnd: (reason: EndReason) => void = () => {};

  constructor(private readonly maxBytes: number) {}

  /** True once the stream takes no more events. */
  get done(): boolean {
    return this.ended !== undefined;
  }

  /** Why it ended, if it has. */
  get endReason(): EndReason | undefined {
    return this.ended;
  }

  /** A commit's events, in version order. */
  deliver(delivery: Delivery): void {
    if (this.ended) return;
    if (this.held) {
      this.held.push(delivery);
      this.queued += delivery.bytes.length;
      if (this.queued > this.maxBytes) this.overflow();
      return;
    }
    this.push(delivery.bytes);
  }

  /**
   * Ends the hold: `first` goes out (a replay, or a reset), then the live deliveries above
   * `covered` — those at or below it are in `first` already.
   */
  begin(first: readonly Buffer[], covered: number): void {
    const held = this.held ?? [];
    this.held = undefined;
    if (this.ended) return;
    this.queued = this.queue.reduce((n, b) => n + b.length, 0);
    for (const bytes of first) this.push(bytes);
    for (const d of held) if (d.version > covered) this.push(d.bytes);
  }

  /** A comment line; keeps idle connections alive. */
  heartbeat(): void {
    if (!this.ended) this.push(HEARTBEAT);
  }

  /** Ends the stream: what is queued is dropped, the answer ends once what was handed out is sent. */
  end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = reason;
    this.held = undefined;
    this.queue = [];
    this.queued = 0;
    this.onEnd(reason);
    this.wake?.();
  }

  private push(bytes: Buffer): void {
    this.queue.push(bytes);
    this.queued += bytes.length;
    if (this.queued > this.maxBytes) this.overflow();
    else this.wake?.();
  }

  /** Too far behind: nothing more is kept but the one event that says so. */
  private overflow(): void {
    this.end('overflow');
    this.queue = [Buffer.from(sseEvent('overflow', JSON.stringify({ limit: this.maxBytes })))];
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        if (this.queue.length > 0) {
          const chunk = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue);
          this.queue = [];
          this.queued = 0;
          yield chunk;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      // The client went away (or the answer failed): the hub must forget us.
      this.end('gone');
    }
  }
}
