import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamedBody } from '../commands/body-stream.js';
import { CORS_EXPOSE, CORS_ORIGIN } from './cors.js';
import type { Metrics } from './metrics.js';
import type { Outcome } from './outcome.js';
import { PushedBody } from './pushed-body.js';
import { formatLogEntry, type LogFormat } from '../http/request-log.js';
import { writeChunks } from './write-chunks.js';

const ALLOW_ORIGIN = 'Access-Control-Allow-Origin' satisfies keyof typeof CORS_ORIGIN;

/** What writing an answer needs: where to count it and log it, and how long a stalled client may take. */
export interface Responder {
  readonly metrics: Metrics;
  readonly logFormat: LogFormat | 'off';
  readonly log: (line: string) => void;
  readonly sendStallMs: number;
}

/**
 * Produces the first chunks of a streamed answer before anything is sent, so that a producer
 * failing at once still gets an error answer, and an answer of one chunk goes out whole.
 */
export async function startBody(outcome: Outcome): Promise<Outcome> {
  if (!(outcome.body instanceof StreamedBody)) return outcome;
  const whole = await outcome.body.whole();
  return whole === undefined ? outcome : { ...outcome, body: whole };
}

/** Writes the answer, then counts and logs it (a streamed one when its last chunk is out). */
export function send(r: Responder, req: IncomingMessage, res: ServerResponse, outcome: Outcome, started: number): void | Promise<void> {
  const { body } = outcome;
  if (body instanceof StreamedBody) return sendStreamed(r, req, res, outcome, body, started);
  if (body instanceof PushedBody) return sendPushed(r, req, res, outcome, body, started);
  // A string body goes out as it is: node writes the headers and a string body as one buffer,
  // where a Buffer body would cost an encoding copy and a second chunk.
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  // One literal, no spreads: writeHead with a plain object and no setHeader before takes node's
  // short path straight to the header block.
  const headers: Record<string, string | number> = { [ALLOW_ORIGIN]: '*', 'Content-Type': outcome.contentType, 'Content-Length': length };
  if (outcome.headers) Object.assign(headers, CORS_EXPOSE, outcome.headers);
  // Neither answer has a body: 304 (Not Modified) leaves the cached one's length to the cache.
  const bodiless = outcome.status === 204 || outcome.status === 304;
  if (bodiless) delete headers['Content-Length'];
  res.writeHead(outcome.status, headers);
  if (bodiless) res.end();
  else res.end(body, 'utf8');
  account(r, req, outcome, req.method === 'HEAD' ? 0 : length, started);
}

/**
 * A body of several chunks goes out chunked (with a Content-Length when it is known), at the
 * pace the client reads it. The bytes-sent metric grows as chunks are handed to the socket, the
 * log line counts them at the end; an answer cut short counts what was sent.
 */
async function sendStreamed(
  r: Responder,
  req: IncomingMessage,
  res: ServerResponse,
  outcome: Outcome,
  body: StreamedBody,
  started: number,
): Promise<void> {
  const headers: Record<string, string | number> = {
    ...CORS_ORIGIN,
    ...CORS_EXPOSE,
    'Content-Type': outcome.contentType,
    ...outcome.headers,
  };
  if (body.length !== undefined) headers['Content-Length'] = body.length;
  res.writeHead(outcome.status, headers);
  let sent = 0;
  try {
    if (req.method === 'HEAD') {
      await body.close();
      res.end();
    } else {
      await writeChunks(
        res,
        body,
        (bytes) => {
          sent += bytes;
          r.metrics.bytesSent.inc(bytes);
        },
        r.sendStallMs,
      );
    }
  } finally {
    account(r, req, outcome, sent, started, false);
  }
}

/**
 * An answer that goes on as long as its source pushes (chunked): each chunk is written as it
 * comes; while the connection holds more than its high-water mark the source keeps what follows
 * (bounded there) until `drain`, and a client that takes nothing for the stall time is cut. The
 * log line is written when the answer ends, counting what was sent.
 */
function sendPushed(
  r: Responder,
  req: IncomingMessage,
  res: ServerResponse,
  outcome: Outcome,
  body: PushedBody,
  started: number,
): Promise<void> {
  res.writeHead(outcome.status, { ...CORS_ORIGIN, 'Content-Type': outcome.contentType, ...outcome.headers });
  const { source } = body;
  if (req.method === 'HEAD') {
    source.stop();
    res.end();
    account(r, req, outcome, 0, started);
    return Promise.resolve();
  }
  let sent = 0;
  let stall: NodeJS.Timeout | undefined;
  return new Promise<void>((resolve) => {
    const drained = () => {
      clearTimeout(stall);
      stall = undefined;
      source.resume();
    };
    const closed = () => {
      clearTimeout(stall);
      res.off('drain', drained);
      source.stop();
      account(r, req, outcome, sent, started, false);
      resolve();
    };
    res.on('drain', drained);
    res.once('close', closed);
    source.attach({
      write(chunk) {
        sent += chunk.length;
        r.metrics.bytesSent.inc(chunk.length);
        if (res.write(chunk)) return true;
        stall ??= setTimeout(() => res.destroy(), r.sendStallMs);
        return false;
      },
      end: () => res.end(),
    });
  });
}

function account(r: Responder, req: IncomingMessage, outcome: Outcome, sent: number, started: number, countSent = true): void {
  const ms = performance.now() - started;
  r.metrics.observeRequest(outcome.command, outcome.status, ms / 1000);
  if (countSent) r.metrics.bytesSent.inc(sent);
  if (r.logFormat !== 'off') {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    r.log(
      formatLogEntry(
        {
          time: new Date().toISOString(),
          remote: req.socket.remoteAddress ?? '-',
          method: req.method ?? '-',
          path: q < 0 ? url : url.slice(0, q),
          phext: outcome.phext,
          tenant: outcome.tenant,
          status: outcome.status,
          bytes: sent,
          ms,
        },
        r.logFormat,
      ),
    );
  }
}
