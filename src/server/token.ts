import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^bearer\s+/i;

/** Node decodes header bytes as latin1; tokens are UTF-8 text, so re-decode when the bytes allow. */
function headerText(value: string): string {
  if (!/[^\x00-\x7f]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.byteLength(text, 'utf8') === bytes.length && !text.includes('\ufffd') ? text : value;
}

/**
 * The token a request presents: `Authorization: Bearer <t>` (any case), a bare
 * `Authorization: <t>`, or `X-SQ-API-Key: <t>`; Authorization wins when both are present.
 * Any token text is allowed, `:` included. Shared by `sq host` and `sq route`.
 */
export function extractToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined && auth.trim() !== '') {
    const value = headerText(auth.trim());
    return BEARER.test(value) ? value.replace(BEARER, '') : value;
  }
  const key = headers['x-sq-api-key'];
  const first = Array.isArray(key) ? key[0] : key;
  return first !== undefined && first.trim() !== '' ? headerText(first.trim()) : undefined;
}
