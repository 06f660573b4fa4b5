/** Where a pushed body's chunks go: the answer's connection. */
interface PushSink {
  /** Hands a chunk on; false when the connection holds more than it should (wait for `resume`). */
  write(chunk: Buffer): boolean;
  /** No more chunks: the answer ends once what was handed on is sent. */
  end(): void;
}

/** A producer that pushes chunks as things happen (a change feed: see FeedStream). */
export interface PushSource {
  /** Starts handing chunks to `sink`. */
  attach(sink: PushSink): void;
  /** The sink took what it held: more may come. */
  resume(): void;
  /** The client went away or the answer failed: no more chunks. */
  stop(): void;
}

/**
 * An answer that lasts as long as its source, written straight to the connection as the source
 * pushes, with no turn of the event loop per chunk: a commit's events reach a thousand streams as
 * a thousand writes, not a thousand chains of promises (see respond.ts, sendPushed).
 */
export class PushedBody {
  constructor(readonly source: PushSource) {}
}
