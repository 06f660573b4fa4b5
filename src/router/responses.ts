import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Sent on every response, proxied or not: browser pages fetch cross-origin. */
export const ALLOW_ORIGIN = { 'Access-Control-Allow-Origin': '*' } as const;

/** The full preflight answer (the original's multi-tenant mode lacked Methods/Headers). */
export const PREFLIGHT_HEADERS = {
  ...ALLOW_ORIGIN,
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-SQ-API-Key',
  'Access-Control-Max-Age': '86400',
} as const;

/**
 * Answers with a one-line plain-text body. `close` ends the connection afterwards, for answers
 * given before the request body was read (reading on could take long or never end).
 */
export function sendText(res: ServerResponse, status: number, text: string, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text, 'utf8');
  const headers: OutgoingHttpHeaders = {
    ...ALLOW_ORIGIN,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
  };
  if (close) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
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
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) out[name] = value;
  }
  return out;
}
