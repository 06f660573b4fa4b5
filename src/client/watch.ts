import { errorOf, SqError } from './errors.js';
import { sseEvents } from './sse.js';

export interface WatchOptions {
  /** One phext (resumable by version); without it, every phext of the tenant. */
  readonly p?: string;
  /** A branch: the leading parts of a coordinate (`2`, `2.1.1`, `2.1.1/3`). */
  readonly c?: string;
  /** Replay the changes after this version first (needs `p`). */
  readonly since?: number;
  /** Include each scroll's text in its change. */
  readonly text?: boolean;
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
  /** First wait before reconnecting (ms, default 250), doubled per failure up to `maxRetryMs` (10 s). */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** Told of each dropped connection or failed attempt, before the wait. */
  readonly onRetry?: (reason: unknown, waitMs: number) => void;
}

/** A committed change of one scroll. */
export interface ChangeEvent {
  readonly type: 'change';
  /** Where a resume starts after this event (`<version>`, or `<name>:<version>` for every phext). */
  readonly id: string | undefined;
  readonly p: string;
  readonly version: number;
  readonly coord: string;
  readonly kind: 'insert' | 'update' | 'delete';
  readonly bytes: number;
  readonly checksum: string;
  readonly text?: string;
}

/**
 * Changes may have been missed (the log no longer holds them, another program edited the file, a
 * stream of every phext resumed): read the phext again (`p` null: any of them), then apply what follows.
 */
export interface ResetEvent {
  readonly type: 'reset';
  readonly id: string | undefined;
  readonly p: string | null;
  readonly version?: number;
  readonly checksum?: string;
}

export type WatchEvent = ChangeEvent | ResetEvent;

interface Transport {
  url(params: Record<string, string | undefined>): string;
  headers(): Record<string, string>;
  readonly fetch: typeof fetch;
}

/** Statuses after which trying again may work: the others (401, 400, 404) end the iteration. */
const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

/** The events of `GET /api/v2/watch`, reconnecting with `Last-Event-ID` after each drop. */
export async function* watchEvents(options: WatchOptions, transport: Transport): AsyncGenerator<WatchEvent> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const first = options.retryMs ?? 250;
  const most = options.maxRetryMs ?? 10_000;
  let wait = first;
  let lastId: string | undefined;
  try {
    while (!stop.signal.aborted) {
      let reason: unknown;
      try {
        const headers = transport.headers();
        if (lastId !== undefined) headers['Last-Event-ID'] = lastId;
        const res = await transport.fetch(
          transport.url({
            p: options.p,
            c: options.c,
            // Once resuming, Last-Event-ID says where (and wins over `since` anyway).
            since: lastId === undefined && options.since !== undefined ? String(options.since) : undefined,
            text: options.text ? '1' : undefined,
          }),
          { headers, signal: stop.signal },
        );
        if (!res.ok || !res.body) {
          const error = errorOf(res.status, await res.text(), res.headers.get('Retry-After'));
          if (!TRANSIENT.has(res.status)) throw error;
          reason = error;
          if (error.retryAfter !== undefined) wait = Math.max(wait, error.retryAfter * 1000);
        } else {
          wait = first;
          for await (const event of sseEvents(res.body)) {
            if (event.id !== undefined) lastId = event.id;
            if (event.event === 'change') yield { type: 'change', id: event.id, ...JSON.parse(event.data) } as ChangeEvent;
            else if (event.event === 'reset') yield { type: 'reset', id: event.id, ...JSON.parse(event.data) } as ResetEvent;
            // `overflow`: the server ends the stream; the resume below picks up after the last id.
          }
          reason = new SqError(0, 'the change feed ended');
        }
      } catch (err) {
        if (stop.signal.aborted) return;
        if (err instanceof SqError && err.status !== 0) throw err;
        reason = err;
      }
      options.onRetry?.(reason, wait);
      await sleep(wait, stop.signal);
      wait = Math.min(wait * 2, most);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    // Also what a `break` out of the caller's loop lands on: the open request is cancelled.
    stop.abort();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
