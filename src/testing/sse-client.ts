/** A Server-Sent Events reader for end-to-end tests of `/api/v2/watch`, over one raw HTTP request. */
import http from 'node:http';
import { waitFor } from './wait.js';

/** One event as a client sees it. `id` is the event's own `id:` line, if it had one. */
/** A change as the feed sends it (an event's `data`, a webhook's body). */
export interface ChangeData {
  readonly p: string;
  readonly version: number;
  readonly coord: string;
  readonly kind: string;
  readonly bytes: number;
  readonly checksum: string;
  readonly text?: string;
}

export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

/** An open stream: its events so far, and whether the server has ended it. */
export interface SseStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly events: SseEvent[];
  /** Comment lines (heartbeats) seen. */
  readonly comments: number;
  /** The id an EventSource would send back: the last `id:` seen. */
  readonly lastId: string | undefined;
  /** True once the answer ended (or the connection was cut). */
  readonly ended: boolean;
  /** The body of a refusal (status ≠ 200). */
  readonly body: string;
  /** Waits until `done(events)` holds; fails after `ms`, or at once if the stream ends first. */
  until(done: (events: readonly SseEvent[]) => boolean, what: string, ms?: number): Promise<void>;
  /** Waits until the server ends the stream. */
  closed(what: string, ms?: number): Promise<void>;
  /** Stops reading (the socket's buffers fill up), then reads again. */
  pause(): void;
  resume(): void;
  /** Hangs up. */
  close(): void;
}

/** Opens `path` on 127.0.0.1:`port` and resolves once the answer's headers are in. */
export function openSse(port: number, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { Accept: 'text/event-stream', ...headers }, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      const events: SseEvent[] = [];
      let comments = 0;
      let lastId: string | undefined;
      let ended = false;
      let pending = '';
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        if (res.statusCode !== 200) {
          body += text;
          return;
        }
        pending += text;
        for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          let event = 'message';
          let data: string[] = [];
          let id: string | undefined;
          let fields = 0;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              comments++;
              continue;
            }
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            fields++;
            if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
            else if (field === 'id') id = lastId = value;
          }
          if (fields > 0 && data.length > 0) events.push({ event, data: data.join('\n'), id });
          data = [];
        }
      });
      const finish = () => {
        ended = true;
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      req.on('error', finish);
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        get comments() {
          return comments;
        },
        get lastId() {
          return lastId;
        },
        get ended() {
          return ended;
        },
        get body() {
          return body;
        },
        async until(done, what, ms = 20_000) {
          await waitFor(
            () => done(events) || ended,
            ms,
            () => `${what}: timed out with ${events.length} events`,
          );
          if (!done(events)) throw new Error(`${what}: the stream ended after ${events.length} events`);
        },
        closed: (what, ms = 20_000) =>
          waitFor(
            () => ended,
            ms,
            () => `${what}: still open`,
          ),
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => req.destroy(),
      };
      resolve(stream);
    });
  });
}
