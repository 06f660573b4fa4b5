import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The CORS headers are the server's: one rule for every mode. */
export { CORS_ORIGIN as ALLOW_ORIGIN, CORS_PREFLIGHT as PREFLIGHT_HEADERS } from '../server/cors.js';
import { CORS_ORIGIN as ALLOW_ORIGIN } from '../server/cors.js';

/** The request announced a body that has not been read to its end yet. */
function bodyPending(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  const announced = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  return announced && !req.complete;
}

/** How long the rest of a refused request body is read and dropped before the connection is cut. */
const LINGER_MS = 5_000;

/**
 * Answers with a one-line plain-text body; `close` ends the connection afterwards.
 * An answer given before the request body was read (401, 413, 502...) would be lost to a TCP
 * reset if we closed while the client is still sending, so the rest of the body is read and
 * dropped for a while first (nginx's "lingering close"). A client waiting for "100 Continue"
 * sends nothing more, so there the connection is simply closed.
 */
export function sendText(res: ServerResponse, status: number, text: string, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const req = res.req;
  const pending = bodyPending(req);
  const awaitingContinue = pending && /100-continue/i.test(String(req.headers.expect ?? ''));
  const body = Buffer.from(text, 'utf8');
  const headers: OutgoingHttpHeaders = {
    ...ALLOW_ORIGIN,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
  };
  if (close || awaitingContinue) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
  if (pending && !awaitingContinue) {
    const cut = setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
    const stop = (): void => clearTimeout(cut);
    req.once('end', stop).once('close', stop).resume();
  }
}

// Hop-by-hop headers describe one connection, not the message (RFC 9110 7.6.1); node frames
// bodies itself (chunked for HTTP/1.1 clients, close-delimited for HTTP/1.0 ones).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** A copy of `headers` without hop-by-hop fields, including those the Connection header names. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named =
    headers.connection === undefined
      ? undefined
      : new Set(
          headers.connection
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
        );
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named?.has(name)) out[name] = value;
  }
  return out;
}
