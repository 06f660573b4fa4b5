import type http from 'node:http';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ALLOW_ORIGIN, endToEndHeaders, sendText } from './responses.js';
import type { Backends } from './backends.js';

/** Limits and shared state for forwarding requests to backends. */
export interface ProxyOptions {
  /** Keep-alive connection pools to the backends. */
  readonly backends: Backends;
  readonly maxBodyBytes: number;
  /** How long a backend may stay silent (no response headers) once it has all the client sent so far. */
  readonly backendTimeoutMs: number;
  /** The router is shutting down: tell clients to close after this response. */
  readonly closing: () => boolean;
  /**
   * Ends, on shutdown, the event streams (`/api/v2/watch`) flowing now: they never end by
   * themselves, and a client resumes from its last id against whichever router comes next.
   */
  readonly streams: Set<() => void>;
}

/**
 * Streams `req` to the backend on 127.0.0.1:`port` and the backend's answer back to `res`.
 * Errors before the answer starts become 502/504/413 plain-text answers; after it started, the
 * client connection is cut (the status line is already gone).
 *
 * The backend side is undici's dispatcher rather than node's http.request: it costs about a third
 * less CPU per proxied request, and the router's throughput is its CPU per request. Undici's
 * headers timeout runs only once the whole request is written, which is the rule we want: a
 * client still sending its body is not the backend's fault (the server's own timeouts bound it).
 */
export function proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, port: number, opts: ProxyOptions): void {
  const backend = `backend 127.0.0.1:${port}`;
  const tooLarge = `Payload Too Large: body exceeds ${opts.maxBodyBytes} bytes`;
  // node's parser has already refused a Content-Length that is not a plain number.
  const lengthHeader = req.headers['content-length'];
  const declared = lengthHeader === undefined ? undefined : Number(lengthHeader);
  if (declared !== undefined && declared > opts.maxBodyBytes) return sendText(res, 413, tooLarge);
  const chunked = declared === undefined && req.headers['transfer-encoding'] !== undefined;
  const hasBody = chunked || (declared ?? 0) > 0;
  const path = req.url ?? '/';
  if (!path.startsWith('/')) return sendText(res, 400, 'Bad Request: the request target must be a path');

  // Undici frames a body of unknown length as chunked itself, and refuses a Transfer-Encoding header.
  const headers = endToEndHeaders(req.headers) as Record<string, string | string[]>;
  const peer = req.socket.remoteAddress;
  if (peer) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${peer}` : peer;

  // Undici destroys a body stream it gives up on; the client's request must outlive that, so that
  // a 413 or 502 still reaches the client. It gets a stream of its own.
  const body = hasBody ? new PassThrough() : null;
  // Set once the client's answer is decided: an error text was sent or the backend's answer flows.
  let decided = false;
  let answerComplete = false;
  // The backend's status line went to the client: a failure from here on can only cut it.
  let flowing = false;
  let controller: Dispatcher.DispatchController | undefined;
  let received = 0;

  const fail = (status: number, text: string): void => {
    if (decided) return;
    decided = true;
    if (body) {
      req.off('data', count);
      req.unpipe(body);
    }
    controller?.abort(new Error(text));
    sendText(res, status, text);
  };
  const count = (chunk: Buffer): void => {
    received += chunk.length;
    if (received <= opts.maxBodyBytes) return;
    if (decided)
      res.destroy(); // the backend's answer is already flowing: no status line left to send
    else fail(413, tooLarge);
  };

  const send = (mayRetry: boolean): void => {
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (c) => {
        controller = c;
        if (decided) c.abort(new Error('answered'));
      },
      onResponseStart: (c, statusCode, answerHeaders, statusMessage) => {
        if (decided) return c.abort(new Error('answered'));
        decided = true;
        flowing = true;
        const out = endToEndHeaders(answerHeaders);
        if (out['access-control-allow-origin'] === undefined) Object.assign(out, ALLOW_ORIGIN);
        if (opts.closing()) out.connection = 'close';
        res.writeHead(statusCode, statusMessage, out);
        if (String(out['content-type'] ?? '').startsWith('text/event-stream')) {
          const end = (): void => {
            opts.streams.delete(end);
            // Complete first: the abort's error must not cut the answer ended here.
            answerComplete = true;
            c.abort(new Error('router shutting down'));
            res.end();
          };
          opts.streams.add(end);
          res.once('close', () => opts.streams.delete(end));
        }
      },
      onResponseData: (c, chunk) => {
        if (res.write(chunk)) return;
        c.pause();
        res.once('drain', () => c.resume());
      },
      onResponseEnd: () => {
        answerComplete = true;
        res.end();
      },
      onResponseError: (_c, err: Error & { code?: string }) => {
        // A backend cut mid-answer cuts the client too: the status line is already gone.
        if (flowing) return void (answerComplete || res.destroy());
        if (decided) return; // we answered already (413, client gone) and aborted this
        // A pooled connection the backend closed while idle: replay once if there is no body to lose.
        if (mayRetry && (err.code === 'ECONNRESET' || err.code === 'UND_ERR_SOCKET')) return send(false);
        if (err.code === 'UND_ERR_HEADERS_TIMEOUT')
          return fail(504, `Gateway Timeout: ${backend} did not answer within ${opts.backendTimeoutMs} ms`);
        fail(
          502,
          err.code === 'ECONNREFUSED' ? `Bad Gateway: ${backend} is down` : `Bad Gateway: ${backend} failed (${err.code ?? err.message})`,
        );
      },
    };
    opts.backends.pool(port).dispatch({ path, method: req.method ?? 'GET', headers, body }, handler);
  };

  send(!hasBody);
  res.once('close', () => {
    // The client went away (or we gave up): stop the backend work unless it already finished.
    if (!answerComplete) controller?.abort(new Error('client gone'));
  });
  if (!body) {
    req.resume();
    return;
  }
  if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
  req.on('data', count);
  req.pipe(body);
}
