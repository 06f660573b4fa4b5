import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { listen } from '../net/listen.js';
import { answerClientErrors } from './client-errors.js';
import { ConnectionTracker } from './connections.js';

/** What `sq host` and `sq route` share about their clients: how many, and how slow they may be. */
export interface HttpLimits {
  /** Open connections beyond this get a 503 on connect; their requests are never handled. */
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** The limits both listeners use unless told otherwise: a public server's (slowloris protection). */
export const HTTP_LIMIT_DEFAULTS: HttpLimits = {
  maxConnections: 512,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
};

/** An HTTP/1.1 front end with the project's connection rules; the handler sees accepted requests only. */
export interface HttpServer {
  readonly server: Server;
  readonly connections: ConnectionTracker;
  listen(port: number, bind: string): Promise<AddressInfo>;
  /**
   * Stops accepting and cuts idle connections; busy ones end after their answer. Resolves once
   * `settled` has and the server is closed; connections still open after `drainMs` are cut.
   */
  close(drainMs: number, settled?: () => Promise<unknown>): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * node:http configured once for every SQ listener: slowloris limits checked often enough to
 * matter, Host-less and half-closing clients answered, a 503 beyond the connection limit, CORS on
 * node's own 400/408/431, and "100 Continue" left to the handler (sent only when it reads the body).
 */
export function createHttpServer(limits: HttpLimits, handle: Handler): HttpServer {
  const headersTimeout = limits.headersTimeoutMs;
  const server = createServer({
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    headersTimeout,
    requestTimeout: Math.max(limits.requestTimeoutMs, headersTimeout),
    // Node checks both timeouts only this often (30 s by default): a slowloris client would
    // outlive a 10 s headers timeout by up to 30 s.
    connectionsCheckingInterval: Math.min(1_000, Math.max(25, Math.floor(headersTimeout / 4))),
    // HTTP/1.1 makes Host mandatory, but the original answers without it, and so do we.
    requireHostHeader: false,
  });
  // A client that sends its request and then shuts down its writing side (nc, some firmware)
  // still gets the answer; node would end the connection before it is written. (A long-standing
  // property of node's HTTP server that its typings leave out.)
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  const connections = new ConnectionTracker(server, limits.maxConnections);
  answerClientErrors(server);
  const accepted: Handler = (req, res) => {
    if (connections.accepts(req.socket as Socket)) handle(req, res); // else answered 503 on connect
  };
  server.on('request', accepted);
  // Node would invite every announced body with "100 Continue"; the handler does when it starts
  // reading it, so a caller refused first (401, 413, 503) is answered before it sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));

  return {
    server,
    connections,
    listen: (port, bind) => listen(server, port, bind),
    async close(drainMs, settled) {
      const closed = new Promise<void>((r) => server.close(() => r()));
      connections.drain();
      // A request still arriving (a slow or stalled body) gets a grace period, not requestTimeout.
      const force = setTimeout(() => server.closeAllConnections(), drainMs);
      try {
        await settled?.();
        await closed;
      } finally {
        clearTimeout(force);
      }
    },
  };
}
