/**
 * What an SQ server (or the client itself, before sending) refused, as typed exceptions: the
 * status and the server's one-line message, and a `code` to switch on without comparing numbers.
 */

export type SqErrorCode =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'version-conflict'
  | 'too-large'
  | 'unprocessable'
  | 'too-many-requests'
  | 'unavailable'
  | 'insufficient-storage'
  | 'server-error'
  | 'network';

const CODES: Readonly<Record<number, SqErrorCode>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  412: 'version-conflict',
  413: 'too-large',
  422: 'unprocessable',
  429: 'too-many-requests',
  503: 'unavailable',
  507: 'insufficient-storage',
};

/** A refusal: `status` is the HTTP status (0 when no answer came), `message` one line. */
export class SqError extends Error {
  override name = 'SqError';
  readonly code: SqErrorCode;

  constructor(
    readonly status: number,
    message: string,
    /** Seconds the server asked to wait before trying again (429, 503), when it said. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.code = status === 0 ? 'network' : (CODES[status] ?? (status >= 500 ? 'server-error' : 'bad-request'));
  }
}

/** 400, also raised before sending for a coordinate or name the server would refuse. */
export class SqBadRequestError extends SqError {
  override name = 'SqBadRequestError';
}
/** 401: no token, or not one the server knows. */
export class SqUnauthorizedError extends SqError {
  override name = 'SqUnauthorizedError';
}
/** 404. */
export class SqNotFoundError extends SqError {
  override name = 'SqNotFoundError';
}
/** 412: the phext is no longer at the version `ifVersion` named; `current` is its version now, when the server said. */
export class SqVersionConflictError extends SqError {
  override name = 'SqVersionConflictError';
  readonly current: number | undefined;

  constructor(status: number, message: string) {
    super(status, message);
    const m = /version (\d+)/i.exec(message);
    this.current = m ? Number(m[1]) : undefined;
  }
}
/** 413: a body over the server's `--max-body`, or a phext over `--max-phext-mb`. */
export class SqTooLargeError extends SqError {
  override name = 'SqTooLargeError';
}
/** 429 and 503: try again later (after `retryAfter` seconds when given). */
export class SqUnavailableError extends SqError {
  override name = 'SqUnavailableError';
}
/** 507: the tenant's quota, or the server's disk, is full. */
export class SqQuotaError extends SqError {
  override name = 'SqQuotaError';
}

/** The typed error of an answer with `status`, its body's first line as the message. */
export function errorOf(status: number, body: string, retryAfter?: string | null): SqError {
  let message = body.split('\n', 1)[0]?.trim() ?? '';
  // The admin API answers {"error": "..."}; everything else answers one plain line.
  if (message.startsWith('{')) {
    try {
      const error = (JSON.parse(body) as { error?: unknown }).error;
      if (typeof error === 'string') message = error;
    } catch {
      // not JSON after all: keep the line
    }
  }
  if (message === '') message = `HTTP ${status}`;
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
  const after = Number.isFinite(seconds) ? seconds : undefined;
  switch (status) {
    case 400:
      return new SqBadRequestError(status, message);
    case 401:
      return new SqUnauthorizedError(status, message);
    case 404:
      return new SqNotFoundError(status, message);
    case 412:
      return new SqVersionConflictError(status, message);
    case 413:
      return new SqTooLargeError(status, message);
    case 429:
    case 503:
      return new SqUnavailableError(status, message, after);
    case 507:
      return new SqQuotaError(status, message);
    default:
      return new SqError(status, message, after);
  }
}
