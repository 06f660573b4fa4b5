import { HEARTBEAT, PREAMBLE, sseEvent } from './sse.js';

/** Why a stream ended: the consumer fell too far behind, its token was revoked, the server stopped, or it left. */
export type EndReason = 'overflow' | 'revoked' | 'shutdown' | 'gone';

/** Events of one phext for one stream: the highest version among them and their bytes. */
export interface Delivery {
  readonly version: number;
  readonly bytes: Buffer;
}

/** Where a stream's bytes go: the answer's connection. */
export interface FeedSink {
  /** Hands bytes on; false when the connection holds more than it should (wait for `resume`). */
  write(chunk: Buffer): boolean;
  /** No more bytes: the answer ends once what was handed on is sent. */
  end(): void;
}

/** Bytes of replayed events made at a time, as the client reads them. */
const REPLAY_CHUNK = 32 * 1024;

/**
 * One subscriber's events on their way out. The hub pushes events; they go straight to the
 * connection (`attach`) while it takes them, and wait here while it does not (until `resume`).
 * What waits is bounded: past `maxBytes` of unsent events the stream drops them, ends with an
 * `overflow` event and leaves the hub, so a consumer that does not read costs at most that much
 * memory, however busy the phext.
 *
 * A stream that resumes holds live events aside (counted against the bound) while its replay is
 * read from the store and sent, a chunk at a time as the client reads (the replay's records are
 * the store's own, so a long replay costs one chunk); then those the replay already covers are
 * dropped (see begin), so the client sees every change once, in version order.
 */
export class FeedStream {
  private queue: Buffer[] = [PREAMBLE];
  private queued = PREAMBLE.length;
  /** Live deliveries waiting for the replay, oldest first, and their bytes. */
  private held: Delivery[] | undefined = [];
  private heldBytes = 0;
  /** The version the replay (or reset) reached; see {@link covers}. */
  private covered = -1;
  /** The replay not yet sent, and the version it reaches. */
  private replay: { readonly events: Iterator<string>; readonly covered: number; head: string } | undefined;
  private ended: EndReason | undefined;
  private sink: FeedSink | undefined;
  /** The sink holds bytes the client has not taken: more wait here. */
  private full = false;
  private sinkEnded = false;
  /** Whether anything went out since the hub last asked (see sentSince). */
  private sent = false;
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

  /** True while live events are held for a replay (see begin). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /**
   * The version the replay (or reset) it began with reached: a later delivery at or below it is
   * in that already. A store shared by several servers can show a commit to changesSince before
   * its observers hear of it; such a commit is dropped here when it comes, not sent twice.
   */
  get covers(): number {
    return this.covered;
  }

  /** Starts handing bytes to `sink`: what waits goes at once. */
  attach(sink: FeedSink): void {
    this.sink = sink;
    this.flush();
  }

  /** The sink took what it held: what waits follows. */
  resume(): void {
    this.full = false;
    this.flush();
  }

  /** The client went away or the answer failed. */
  stop(): void {
    this.end('gone');
  }

  /** Events, in version order after those delivered before. */
  deliver(delivery: Delivery): void {
    if (this.ended || delivery.version <= this.covered) return;
    if (this.held) {
      this.held.push(delivery);
      this.heldBytes += delivery.bytes.length;
      if (this.queued + this.heldBytes > this.maxBytes) this.overflow();
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
    if (head.done) this.release(covered);
    else this.replay = { events, covered, head: head.value };
    this.flush();
  }

  /** A comment line, unless something went out since the last call: keeps idle connections alive. */
  heartbeat(): void {
    if (this.ended) return;
    if (this.sent) this.sent = false;
    else this.push(HEARTBEAT);
  }

  /** Ends the stream: what waits is dropped, the answer ends once what was handed on is sent. */
  end(reason: EndReason): void {
    this.finish(reason, undefined);
  }

  /** Ends the stream with `farewell` as the last bytes, in place of whatever waited. */
  private finish(reason: EndReason, farewell: Buffer | undefined): void {
    if (this.ended) return;
    this.ended = reason;
    this.held = undefined;
    this.heldBytes = 0;
    this.replay = undefined;
    this.queue = farewell ? [farewell] : [];
    this.queued = farewell?.length ?? 0;
    this.onEnd(reason);
    this.flush();
  }

  /** Everything waiting (and not held) that the sink will take, then its end once the stream has ended. */
  private flush(): void {
    const sink = this.sink;
    if (!sink || this.sinkEnded) return;
    while (!this.full) {
      if (this.queue.length > 0) {
        const chunk = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue, this.queued);
        this.queue = [];
        this.queued = 0;
        this.sent = true;
        this.full = !sink.write(chunk);
      } else if (this.replay) {
        const chunk = this.replayed();
        if (chunk) {
          this.sent = true;
          this.full = !sink.write(chunk);
        }
      } else {
        break;
      }
    }
    if (this.ended && this.queue.length === 0 && !this.full && !this.sinkEnded) {
      this.sinkEnded = true;
      sink.end();
    }
  }

  /** The next chunk of the replay; at its end, the hold ends (and what it released is queued). */
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
    this.heldBytes = 0;
    this.covered = covered;
    for (const d of held) if (d.version > covered) this.queueBytes(d.bytes);
  }

  private push(bytes: Buffer): void {
    if (this.queueBytes(bytes)) this.flush();
  }

  /** Queues `bytes`; false when that went past the bound (the stream overflowed). */
  private queueBytes(bytes: Buffer): boolean {
    this.queue.push(bytes);
    this.queued += bytes.length;
    if (this.queued <= this.maxBytes) return true;
    this.overflow();
    return false;
  }

  /** Too far behind: nothing more is kept but the one event that says so. */
  private overflow(): void {
    this.finish('overflow', Buffer.from(sseEvent('overflow', JSON.stringify({ limit: this.maxBytes }))));
  }
}
