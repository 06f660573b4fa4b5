import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^bearer[ \t]+(.+)$/i;

/**
 * The tenant token of a request: `Authorization: Bearer <t>` (any case of "bearer"), a bare
 * `Authorization: <t>`, or `X-SQ-API-Key: <t>`; Authorization wins when both are present.
 */
export function requestToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth) return BEARER.exec(auth)?.[1] ?? auth;
  const key = headers['x-sq-api-key'];
  const value = Array.isArray(key) ? key[0] : key;
  return value || undefined;
}
