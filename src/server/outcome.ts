import type { Body } from '../commands/body-stream.js';
import { describeError } from '../commands/errors.js';
import { HttpError } from './http-error.js';
import type { PushedBody } from './pushed-body.js';

export const TEXT = 'text/plain; charset=utf-8';
export const JSON_TYPE = 'application/json; charset=utf-8';
/** Seconds a client is asked to wait before retrying a refusal that may pass (503). */
const RETRY_AFTER_S = '1';

/** The answer the pipeline sends, with what the log line and metrics need to know. */
export interface Outcome {
  status: number;
  body: Body | PushedBody;
  contentType: string;
  headers?: Record<string, string>;
  command: string;
  phext?: string;
  tenant?: string;
}

/** What the log line and metrics say about a request, filled in as the pipeline learns it. */
export interface Labels {
  command: string;
  phext?: string;
  tenant?: string;
}

/**
 * The one place where errors become answers: a status and a one-line message. Anything that is
 * not a known refusal is a 500 whose details go to the log, not to the client.
 */
export function errorOutcome(err: unknown, command: string): Outcome {
  if (err instanceof HttpError) {
    return { status: err.status, body: err.message, contentType: TEXT, headers: err.headers, command };
  }
  const refusal = describeError(err);
  if (refusal) {
    // 503: the store cannot serve now (its database unreachable, shutting down): worth a retry.
    const headers = refusal.status === 503 ? { 'Retry-After': RETRY_AFTER_S } : undefined;
    return { status: refusal.status, body: refusal.message, contentType: TEXT, headers, command };
  }
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 600) {
    return { status, body: firstLine(err as Error), contentType: TEXT, command };
  }
  return { status: 500, body: 'Internal Server Error', contentType: TEXT, command };
}

function firstLine(err: Error): string {
  return err.message.split('\n', 1)[0] ?? '';
}
