/** Sent on every response: any origin may call the API (browser pages fetch `select`). */
export const CORS_ORIGIN = { 'Access-Control-Allow-Origin': '*' } as const;

/** The answer to a CORS preflight; it needs no token. */
export const CORS_PREFLIGHT = {
  ...CORS_ORIGIN,
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-SQ-API-Key, Last-Event-ID',
  'Access-Control-Max-Age': '86400',
} as const;
