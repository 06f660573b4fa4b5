import http from 'node:http';
import { ALLOW_ORIGIN, endToEndHeaders, sendText } from './responses.js';

/** Limits and shared state for forwarding requests to backends. */
export interface ProxyOptions {
  /** Keep-alive pool to the backends. */
  readonly agent: http.Agent;
  readonly maxBodyBytes: number;
  /** How long a backend may stay silent (no response headers) once it has all the client sent so far. */
  readonly backendTimeoutMs: number;
  /** The router is shutting down: tell clients to close after this response. */
  readonly closing: () => boolean;
}

const BACKEND_HOST = '127.0.0.1';

/**
 * Streams `req` to the backend on 127.0.0.1:`port` and the backend's answer back to `res`.
 * Errors before the answer starts become 502/504/413 plain-text answers; after it started, the
 * client connection is cut (the status line is already gone).
 */
export function proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, port: number, opts: ProxyOptions): void {
  const backend = `backend ${BACKEND_HOST}:${port}`;
  const tooLarge = `Payload Too Large: body exceeds ${opts.maxBodyBytes} bytes`;
  // node's parser has already refused a Content-Length that is not a plain number.
  const lengthHeader = req.headers['content-length'];
  const declared = lengthHeader === undefined ? undefined : Number(lengthHeader);
  if (declared !== undefined && declared > opts.maxBodyBytes) return sendText(res, 413, tooLarge);
  const chunked = declared === undefined && req.headers['transfer-encoding'] !== undefined;
  const hasBody = chunked || (declared ?? 0) > 0;

  const headers = endToEndHeaders(req.headers);
  if (chunked) headers['transfer-encoding'] = 'chunked';
  const peer = req.socket.remoteAddress;
  if (peer) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${peer}` : peer;

  // Set once the client's answer is decided: an error text was sent or the backend's answer flows.
  let decided = false;
  let upstream!: http.ClientRequest;
  let answerComplete = false;
  let received = 0;

  const count = (chunk: Buffer): void => {
    received += chunk.length;
    timer.refresh();
    if (received <= opts.maxBodyBytes) return;
    if (decided)
      res.destroy(); // the backend's answer is already flowing: no status line left to send
    else fail(413, tooLarge);
  };
  const fail = (status: number, text: string): void => {
    if (decided) return;
    decided = true;
    clearTimeout(timer);
    req.off('data', count);
    req.unpipe(upstream);
    upstream.destroy();
    sendText(res, status, text);
  };
  const timer = setTimeout(() => {
    // A client still sending its body, with nothing of it waiting for the backend, is the slow
    // one: the backend cannot answer what it has not got (the server's request timeout bounds
    // the client). Only silence while the backend holds everything sent is the backend's.
    if (hasBody && !req.complete && upstream.writableLength === 0 && !upstream.writableNeedDrain) return void timer.refresh();
    fail(504, `Gateway Timeout: ${backend} did not answer within ${opts.backendTimeoutMs} ms`);
  }, opts.backendTimeoutMs);

  const send = (mayRetry: boolean): void => {
    upstream = http.request({ host: BACKEND_HOST, port, method: req.method, path: req.url, headers, agent: opts.agent });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (decided) return;
      // A pooled connection the backend closed while idle: replay once if there is no body to lose.
      if (mayRetry && upstream.reusedSocket && err.code === 'ECONNRESET') return send(false);
      fail(
        502,
        err.code === 'ECONNREFUSED' ? `Bad Gateway: ${backend} is down` : `Bad Gateway: ${backend} failed (${err.code ?? err.message})`,
      );
    });
    upstream.on('response', (answer) => {
      if (decided) return void answer.resume();
      decided = true;
      clearTimeout(timer);
      const out = endToEndHeaders(answer.headers);
      if (out['access-control-allow-origin'] === undefined) Object.assign(out, ALLOW_ORIGIN);
      if (opts.closing()) out.connection = 'close';
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
      // Plain pipe, not stream.pipeline: pipeline's abort-signal plumbing cost ~10% of throughput.
      // A backend cut mid-answer cuts the client too: the status line is already gone.
      answer.once('close', () => answer.complete || res.destroy());
      answer.once('end', () => (answerComplete = answer.complete));
      answer.pipe(res);
    });
    if (!hasBody) upstream.end();
  };

  send(!hasBody);
  res.once('close', () => {
    clearTimeout(timer);
    // The client went away (or we gave up): stop the backend work unless it already finished.
    if (!answerComplete) upstream.destroy();
  });
  if (!hasBody) {
    req.resume();
    return;
  }

  if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
  req.on('data', count);
  req.pipe(upstream);
}
