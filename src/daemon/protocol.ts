import { ProtocolError } from './protocol-error.js';
import type { DaemonRequest } from './request.js';

/**
 * The daemon's wire protocol: newline-delimited JSON over a Unix socket. A client writes one
 * request object per line and reads one response object per line, in order; a connection may
 * carry any number of requests. JSON escapes every control character, so a `\n` inside a scroll
 * never breaks the framing.
 */

/** Largest request line the daemon accepts (the same bound as the HTTP body limit). */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** Largest response line a client accepts (a whole phext, JSON-escaped, may be big). */
export const MAX_RESPONSE_BYTES = 1024 * 1024 * 1024;

/** One request (checked by parseRequest, in request.ts, the daemon's side). */
export type { DaemonRequest } from './request.js';

/** One response: `out` is the command's text, exactly what the REST API would answer. */
export type DaemonResponse = { ok: true; out: string } | { ok: false; error: string };

export { ProtocolError } from './protocol-error.js';

/** Serializes a message as one line. */
export function encodeLine(message: DaemonRequest | DaemonResponse): string {
  return JSON.stringify(message) + '\n';
}

/**
 * Splits a byte stream into lines without ever holding more than `maxBytes` of an unfinished
 * line: `push` returns the complete lines and throws a ProtocolError when a line grows too long.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      this.pending.push(chunk.subarray(start, nl));
      this.pendingBytes += nl - start;
      this.checkSize();
      lines.push(this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending));
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      this.checkSize();
    }
    return lines;
  }

  /** Bytes of a line still waiting for its newline. */
  get buffered(): number {
    return this.pendingBytes;
  }

  private checkSize(): void {
    if (this.pendingBytes > this.maxBytes) {
      throw new ProtocolError(`line longer than ${this.maxBytes} bytes`);
    }
  }
}
