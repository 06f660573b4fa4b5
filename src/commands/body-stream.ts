import { nextTurn } from './turns.js';

/** Size of one chunk of a streamed answer in bytes: about 1-2 ms of work to produce. */
const CHUNK_SIZE = 32 * 1024;

export interface StreamOptions {
  /** Bytes per chunk (default {@link CHUNK_SIZE}). */
  readonly chunkSize?: number;
  /**
   * What the answer is read from (a snapshot), kept reachable until the stream is dropped, so
   * that the store can hand that same snapshot to other readers meanwhile (see RecentStates).
   */
  readonly holds?: object;
}

/**
 * An answer produced a chunk at a time, only as fast as it is consumed: the producer runs when the
 * next chunk is asked for and waits for the next turn of the event loop after each chunk, so a
 * large answer is never whole in memory and never holds the event loop for more than one chunk.
 * It can be read once. `length` is the byte length when it is known in advance (a Buffer).
 *
 * Chunks are lent, not given: text is encoded into two buffers used in turn, so chunk N's bytes
 * are overwritten when chunk N+2 is produced. A consumer must be done with a chunk (written out
 * and flushed, or copied) before it asks for the one after next. Nothing is allocated per chunk.
 */
export class StreamedBody implements AsyncIterable<Buffer> {
  private source: AsyncIterator<Buffer> | undefined;
  private readonly ahead: Buffer[] = [];

  private constructor(
    private readonly produce: () => AsyncIterator<Buffer>,
    readonly length: number | undefined,
    readonly holds: object | undefined,
  ) {}

  /**
   * Text made of `pieces`, encoded as UTF-8 into chunks of at most `chunkSize` bytes. Pieces are
   * taken lazily; a piece longer than a chunk is cut (never inside a surrogate pair).
   */
  static fromPieces(pieces: Iterable<string>, options: StreamOptions = {}): StreamedBody {
    return new StreamedBody(() => textChunks(pieces, options.chunkSize ?? CHUNK_SIZE), undefined, options.holds);
  }

  /** The bytes of `buffer` as slices of it (no copy). */
  static fromBuffer(buffer: Buffer, options: StreamOptions = {}): StreamedBody {
    return new StreamedBody(() => bufferChunks(buffer, options.chunkSize ?? CHUNK_SIZE), buffer.length, options.holds);
  }

  /**
   * Produces the first chunks: the whole body when it fits in one chunk (to be sent as an ordinary
   * body with a Content-Length), undefined when there is more. A producer that fails this early
   * fails here, before anything is sent.
   */
  async whole(): Promise<Buffer | undefined> {
    while (this.ahead.length < 2) {
      const next = await this.next();
      if (next.done) return this.ahead.length === 0 ? Buffer.alloc(0) : this.ahead[0];
      this.ahead.push(next.value);
    }
    return undefined;
  }

  /** Stops the producer (a HEAD request, or a client that went away). */
  async close(): Promise<void> {
    this.ahead.length = 0;
    await this.source?.return?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      while (this.ahead.length > 0) yield this.ahead.shift()!;
      for (;;) {
        const next = await this.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await this.close();
    }
  }

  private next(): Promise<IteratorResult<Buffer>> {
    this.source ??= this.produce();
    return this.source.next();
  }
}

/** What a command may answer: a whole text or buffer, or a stream of chunks. */
export type Body = string | Buffer | StreamedBody;

/** The whole body as text, for callers that need it in one piece (the daemon). */
export async function bodyText(body: Body): Promise<string> {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  // Chunks end between characters, so each decodes alone (and must: its buffer is reused).
  const parts: string[] = [];
  for await (const chunk of body) parts.push(chunk.toString('utf8'));
  return parts.join('');
}

/** Where to cut `text` at or before `end` without splitting a surrogate pair. */
export function safeCut(text: string, end: number): number {
  if (end >= text.length) return text.length;
  const unit = text.charCodeAt(end - 1);
  return unit >= 0xd800 && unit <= 0xdbff ? end - 1 : end;
}

/**
 * Encodes the pieces straight into two chunk buffers used in turn. Neither a chunk-sized string
 * nor a buffer per chunk is made: both outlive a turn of the event loop, so they would be garbage
 * only a full collection frees, and 24 exports of 70 MB made the heap swing by hundreds of MB so.
 */
async function* textChunks(pieces: Iterable<string>, chunkSize: number): AsyncGenerator<Buffer> {
  // A UTF-16 unit takes at most 3 bytes: a slice of `sliceUnits` units fits in an empty chunk.
  const sliceUnits = Math.max(2, Math.floor(chunkSize / 3));
  const ring: [Buffer, Buffer] = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
  let turn: 0 | 1 = 0;
  let chunk = ring[turn];
  let used = 0;
  for (const piece of pieces) {
    for (let at = 0; at < piece.length; ) {
      const slice = at === 0 && piece.length <= sliceUnits ? piece : piece.slice(at, sliceEnd(piece, at, sliceUnits));
      at += slice.length;
      const bytes = Buffer.byteLength(slice, 'utf8');
      if (used + bytes > chunk.length) {
        if (used > 0) {
          yield chunk.subarray(0, used);
          await nextTurn();
        }
        turn = turn === 0 ? 1 : 0;
        // Only a chunk size under 6 bytes (tests) can meet a slice larger than a chunk.
        chunk = bytes <= chunkSize ? ring[turn] : Buffer.allocUnsafe(bytes);
        used = 0;
      }
      used += chunk.write(slice, used, 'utf8');
    }
  }
  if (used > 0) yield chunk.subarray(0, used);
}

function sliceEnd(text: string, at: number, units: number): number {
  const end = safeCut(text, at + units);
  return end > at ? end : at + 2; // a pair at a one-unit slice's end goes whole
}

async function* bufferChunks(buffer: Buffer, chunkSize: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < buffer.length; at += chunkSize) {
    if (at > 0) await nextTurn();
    yield buffer.subarray(at, at + chunkSize);
  }
}
