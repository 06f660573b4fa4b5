import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^bearer\s+/i;

/**
 * The token a request presents: `Authorization: Bearer <t>` (any case), a bare
 * `Authorization: <t>`, or `X-SQ-API-Key: <t>`. Any token text is allowed, `:` included.
 */
export function extractToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined && auth.trim() !== '') {
    const value = auth.trim();
    return BEARER.test(value) ? value.replace(BEARER, '') : value;
  }
  const key = headers['x-sq-api-key'];
  const first = Array.isArray(key) ? key[0] : key;
  return first !== undefined && first.trim() !== '' ? first.trim() : undefined;
}
