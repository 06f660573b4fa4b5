/**
 * Server-Sent Events framing (the WHATWG `text/event-stream` format). Every field value written
 * here is one line: JSON escapes its line breaks, and ids are versions and phext names.
 */

/** One event: `id:` (when given), `event:`, one `data:` line, and the blank line that ends it. */
export function sseEvent(event: string, data: string, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`;
}

/** A comment line: ignored by clients, it keeps proxies and NATs from timing the stream out. */
export const HEARTBEAT = Buffer.from(': hb\n\n');

/**
 * The first bytes of every stream, sent at once so the client knows it is subscribed: how long an
 * EventSource waits before it reconnects (ms), and a comment.
 */
export const PREAMBLE = Buffer.from('retry: 2000\n: sq watch\n\n');

/** The headers of a stream: never cached, never buffered by a proxy (nginx honours X-Accel-Buffering). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

export const SSE_TYPE = 'text/event-stream; charset=utf-8';
