/** Sent on every response: any origin may call the API (browser pages fetch `select`). */
export const CORS_ORIGIN = { 'Access-Control-Allow-Origin': '*' } as const;

/**
 * The response headers a page on another origin may read beyond the safelisted ones: versions
 * (`ETag`, for `If-Match`) and when to try again. Sent with the answers that carry extra headers.
 */
export const CORS_EXPOSE = { 'Access-Control-Expose-Headers': 'ETag, Retry-After' } as const;

/** The answer to a CORS preflight; it needs no token. */
export const CORS_PREFLIGHT = {
  ...CORS_ORIGIN,
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-SQ-API-Key, Last-Event-ID, If-Match',
  'Access-Control-Max-Age': '86400',
} as const;
