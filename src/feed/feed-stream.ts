import { HEARTBEAT, PREAMBLE, sseEvent } from './sse.js';

/** Why a stream ended: the consumer fell too far behind, its token was revoked, the server stopped, or it left. */
export type EndReason = 'overflow' | 'revoked' | 'shutdown' | 'gone';

/** A batch of events of one phext's commit, for one stream: its highest version and its bytes. */
export interface Delivery {
  readonly version: number;
  readonly bytes: Buffer;
}

/** Bytes of replayed events made at a time, as the client reads them. */
const REPLAY_CHUNK = 32 * 1024;

/**
 * One subscriber's events on their way out, as the chunks of an answer. The hub pushes events
 * as commits land; the answer takes them as fast as the client reads (all waiting events in one
 * chunk). What waits is bounded: past `maxBytes` of unsent events the stream drops them, ends
 * with an `overflow` event and leaves the hub, so a consumer that does not read costs at most
 * that much memory, however busy the phext.
 *
 * A stream that resumes holds live events aside (counted against the bound) while its replay is
 * read from the store and sent, a chunk at a time as the client reads (the replay's records are
 * the store's own, so a long replay costs one chunk); then those the replay already covers are
 * dropped (see begin), so the client sees every change once, in version order.
 */
export class FeedStream implements AsyncIterable<Buffer> {
  private queue: Buffer[] = [PREAMBLE];
  private queued = PREAMBLE.length;
  /** Live deliveries waiting for the replay, oldest first. */
  private held: Delivery[] | undefined = [];
  /** The replay not yet sent, and the version it reaches. */
  private replay: { readonly events: Iterator<string>; readonly covered: number; head: string } | undefined;
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
   * `first` goes out (a replay, or a reset), made as the client reads it; then the hold ends:
   * the live deliveries above `covered` follow — those at or below it are in `first` already.
   * With nothing to replay the hold ends at once.
   */
  begin(first: Iterable<string>, covered: number): void {
    if (this.ended || this.replay || !this.held) return;
    const events = first[Symbol.iterator]();
    const head = events.next();
    if (head.done) return this.release(covered);
    this.replay = { events, covered, head: head.value };
    this.wake?.();
  }

  /** The next chunk of the replay; at its end, the hold ends. */
  private replayed(): Buffer | undefined {
    const replay = this.replay!;
    let text = replay.head;
    replay.head = '';
    while (text.length < REPLAY_CHUNK) {
      const next = replay.events.next();
      if (next.done) break;
      text += next.value;
    }
    if (text !== '') return Buffer.from(text);
    this.replay = undefined;
    this.release(replay.covered);
    return undefined;
  }

  /** Ends the hold: the held deliveries above `covered` are queued. */
  private release(covered: number): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.queued = this.queue.reduce((n, b) => n + b.length, 0);
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
    this.replay = undefined;
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
        if (this.replay) {
          const chunk = this.replayed();
          if (chunk) yield chunk;
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
