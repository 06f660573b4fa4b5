import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isUtf8 } from 'node:buffer';
import { listen } from '../net/listen.js';
import type { DocumentStore } from '../store/document-store.js';
import type { TenantResolver } from '../tenants/tenant.js';
import { BodyBudget } from './body.js';
import { StreamedBody } from '../commands/body-stream.js';
import { API_COMMANDS, runApiCommand } from './api-command.js';
import { CORS_ORIGIN, CORS_PREFLIGHT } from './cors.js';
import { answerClientErrors } from './client-errors.js';
import { ConnectionTracker } from './connections.js';
import { HttpError } from './http-error.js';
import type { Metrics } from './metrics.js';
import { JSON_TYPE, TEXT, errorOutcome, type Labels, type Outcome } from './outcome.js';
import { parseParams, type Params } from './params.js';
import { isFormBody, isLocal } from './request-checks.js';
import { formatLogEntry, type LogFormat } from './request-log.js';
import { extractToken } from './token.js';
import { writeChunks } from './write-chunks.js';

const API = '/api/v2/';

/** Reads the request's body within the size and in-flight limits (BodyBudget.reader). */
type ReadBody = () => Promise<Buffer>;

/** Multi-tenant services; absent in single-tenant mode. */
export interface TenantServices {
  /** Re-reads the tenant config. */
  reload?(): Promise<{ ok: true } | { ok: false; error: string }>;
  /** True for the admin key (constant-time). */
  isAdmin?(token: string | undefined): boolean;
  /** The admin API (`/api/v2/admin/...`), JSON in and out. */
  admin?(req: { method: string; path: string; token: string | undefined; body: string }): Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;
}

/** Settings of the HTTP front end. */
export interface HostOptions {
  store: DocumentStore;
  resolver: TenantResolver;
  metrics: Metrics;
  services?: TenantServices;
  maxBodyBytes: number;
  /** Bytes of request bodies held at once across all connections; beyond it 503 + Retry-After. */
  maxInflightBodyBytes: number;
  maxConnections: number;
  logFormat: LogFormat | 'off';
  log: (line: string) => void;
  /**
   * The phext a request without `p` addresses, in the tenant's data directory (`index`); the
   * original's `.phext` instead while that file exists (see defaultPhext).
   */
  defaultPhext: string;
  /** `f=` pages run unsandboxed on the API's origin: only for `sq basic` on loopback (see page-file.ts). */
  trustedPages?: boolean;
  /** Milliseconds; defaults suit a public server (slowloris protection). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** On close, how long requests in progress may take before their connections are cut (ms, default 5000). */
  drainMs?: number;
  /** How long a streamed answer waits for a client that takes no data before cutting it (ms, default 60000). */
  sendStallMs?: number;
}

/**
 * Produces the first chunks of a streamed answer before anything is sent, so that a producer
 * failing at once still gets an error answer, and an answer of one chunk goes out whole.
 */
async function startBody(outcome: Outcome): Promise<Outcome> {
  if (!(outcome.body instanceof StreamedBody)) return outcome;
  const whole = await outcome.body.whole();
  return whole === undefined ? outcome : { ...outcome, body: whole };
}

/** A running SQ HTTP server. */
export interface Host {
  readonly server: Server;
  listen(port: number, bind: string): Promise<AddressInfo>;
  /** Stops accepting, finishes in-flight requests, flushes the store. */
  close(): Promise<void>;
}

/** Creates the SQ HTTP server: one request pipeline for every route. */
export function createHost(options: HostOptions): Host {
  const { store, resolver, metrics, services = {} } = options;
  const inFlight = new Set<Promise<void>>();

  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const server = createServer({
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
    headersTimeout,
    requestTimeout: Math.max(options.requestTimeoutMs ?? 120_000, headersTimeout),
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
  const connections = new ConnectionTracker(server, options.maxConnections);
  const bodies = new BodyBudget(options.maxInflightBodyBytes);
  metrics.watchHttp({ openConnections: () => connections.openConnections, bodyBytesHeld: () => bodies.bytesHeld });
  answerClientErrors(server);

  async function apiCommand(req: IncomingMessage, readBody: ReadBody, name: string, labels: Labels): Promise<Outcome> {
    const spec = API_COMMANDS[name];
    const method = req.method ?? 'GET';
    if (!spec.methods.includes(method)) {
      throw new HttpError(405, `Method ${method} not allowed for ${name}`, { Allow: spec.methods.join(', ') });
    }
    const token = extractToken(req.headers);
    let tenant = resolver.resolve(token);
    if (!tenant) throw new HttpError(401, 'Unauthorized');
    labels.tenant = tenant.name;

    const query = req.url!.includes('?') ? req.url!.slice(req.url!.indexOf('?') + 1) : '';
    const params = parseParams(query, 'query string');
    labels.phext = params.get('p');
    let body: Buffer = Buffer.alloc(0);
    if (method === 'POST' || method === 'DELETE') {
      body = await readBody();
      metrics.bytesReceived.inc(body.length);
      // A token rotated or deleted while its body was arriving must not write.
      const now = resolver.resolve(token);
      if (!now || now.name !== tenant.name) throw new HttpError(401, 'Unauthorized');
      tenant = now;
    }
    let form: Params | undefined;
    if (isFormBody(req, body)) {
      // curl -d sends non-ASCII bytes raw rather than as %xx: they are UTF-8 text too.
      if (!isUtf8(body)) throw new HttpError(400, 'Invalid UTF-8 in form body');
      form = parseParams(body.toString('utf8'), 'form body');
      for (const [name, value] of form) if (!params.has(name)) params.set(name, value);
      body = Buffer.alloc(0);
    }
    const connectionId = connections.idOf(req.socket as Socket);
    return runApiCommand(name, { method, params, body, form, tenant, connectionId }, options);
  }

  async function route(req: IncomingMessage, readBody: ReadBody, labels: Labels): Promise<Outcome> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';

    if (method === 'OPTIONS') {
      return { status: 204, body: '', contentType: TEXT, headers: CORS_PREFLIGHT, command: 'options' };
    }
    if (path === '/health') {
      labels.command = 'health';
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `Method ${method} not allowed`, { Allow: 'GET, HEAD' });
      return { status: 200, body: 'OK', contentType: TEXT, command: 'health' };
    }
    if (path === '/metrics') {
      labels.command = 'metrics';
      if (method !== 'GET') throw new HttpError(405, `Method ${method} not allowed`, { Allow: 'GET' });
      const token = extractToken(req.headers);
      const allowed = isLocal(req) || services.isAdmin?.(token) || (!services.isAdmin && resolver.resolve(token));
      if (!allowed) throw new HttpError(401, 'Unauthorized');
      return { status: 200, body: await metrics.registry.metrics(), contentType: metrics.registry.contentType, command: 'metrics' };
    }
    if (!path.startsWith(API)) throw new HttpError(404, `Not Found: ${path}`);
    const name = path.slice(API.length);
    // Set before dispatch, so that refusals (401, 400, 405) are counted under the route too.
    if (name === 'reload') {
      labels.command = 'reload';
      return reload(req, method);
    }
    if (name === 'admin' || name.startsWith('admin/')) {
      labels.command = 'admin';
      return admin(req, readBody, method, path);
    }
    if (!Object.hasOwn(API_COMMANDS, name)) throw new HttpError(404, `Not Found: ${path}`);
    labels.command = name;
    return apiCommand(req, readBody, name, labels);
  }

  async function reload(req: IncomingMessage, method: string): Promise<Outcome> {
    if (method !== 'POST') throw new HttpError(405, `Method ${method} not allowed for reload`, { Allow: 'POST' });
    if (!services.reload) throw new HttpError(404, 'Not Found: reload needs a server started with --config');
    const token = extractToken(req.headers);
    if (!isLocal(req) && !services.isAdmin?.(token)) throw new HttpError(401, 'Unauthorized');
    const result = await services.reload();
    if (!result.ok) throw new HttpError(400, `Config reload refused: ${result.error}`);
    return { status: 200, body: 'Config reload triggered', contentType: TEXT, command: 'reload' };
  }

  async function admin(req: IncomingMessage, readBody: ReadBody, method: string, path: string): Promise<Outcome> {
    if (!services.admin) throw new HttpError(404, 'Not Found: the admin API needs a server started with --config');
    const token = extractToken(req.headers);
    // The key first: a stranger's body is never read (the admin API checks it again after).
    if (!services.isAdmin?.(token)) {
      return { status: 401, body: JSON.stringify({ error: 'Unauthorized' }), contentType: JSON_TYPE, command: 'admin' };
    }
    const body = method === 'POST' || method === 'PUT' ? await readBody() : Buffer.alloc(0);
    if (!isUtf8(body)) throw new HttpError(400, 'Invalid UTF-8 in request body');
    const answer = await services.admin({ method, path, token, body: body.toString('utf8') });
    return { status: answer.status, body: JSON.stringify(answer.body), contentType: JSON_TYPE, headers: answer.headers, command: 'admin' };
  }

  function send(req: IncomingMessage, res: ServerResponse, outcome: Outcome, started: number): void | Promise<void> {
    // A string body goes out as it is: node writes headers and a string body in one write,
    // where a Buffer body would cost an encoding copy and a writev of two chunks.
    const { body } = outcome;
    if (body instanceof StreamedBody) return sendStreamed(req, res, outcome, body, started);
    const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
    const headers: Record<string, string | number> = {
      ...CORS_ORIGIN,
      'Content-Type': outcome.contentType,
      'Content-Length': length,
      ...outcome.headers,
    };
    if (outcome.status === 204) delete headers['Content-Length'];
    res.writeHead(outcome.status, headers);
    if (outcome.status === 204) res.end();
    else res.end(body, 'utf8');
    account(req, outcome, req.method === 'HEAD' ? 0 : length, started);
  }

  /**
   * A body of several chunks goes out chunked (with a Content-Length when it is known), at the
   * pace the client reads it. The bytes-sent metric grows as chunks are handed to the socket, the
   * log line counts them at the end; an answer cut short counts what was sent.
   */
  async function sendStreamed(req: IncomingMessage, res: ServerResponse, outcome: Outcome, body: StreamedBody, started: number): Promise<void> {
    const headers: Record<string, string | number> = { ...CORS_ORIGIN, 'Content-Type': outcome.contentType, ...outcome.headers };
    if (body.length !== undefined) headers['Content-Length'] = body.length;
    res.writeHead(outcome.status, headers);
    let sent = 0;
    try {
      if (req.method === 'HEAD') {
        await body.close();
        res.end();
      } else {
        await writeChunks(res, body, (bytes) => {
          sent += bytes;
          metrics.bytesSent.inc(bytes);
        }, options.sendStallMs);
      }
    } finally {
      account(req, outcome, sent, started, false);
    }
  }

  function account(req: IncomingMessage, outcome: Outcome, sent: number, started: number, countSent = true): void {
    const ms = performance.now() - started;
    metrics.requests.inc({ command: outcome.command, status: outcome.status });
    metrics.latency.observe({ command: outcome.command }, ms / 1000);
    if (countSent) metrics.bytesSent.inc(sent);
    if (options.logFormat !== 'off') {
      const q = (req.url ?? '').indexOf('?');
      options.log(formatLogEntry({
        time: new Date().toISOString(), remote: req.socket.remoteAddress ?? '-', method: req.method ?? '-',
        path: q < 0 ? req.url ?? '/' : req.url!.slice(0, q), phext: outcome.phext, tenant: outcome.tenant,
        status: outcome.status, bytes: sent, ms,
      }, options.logFormat));
    }
  }

  // Pipelined requests on one connection run one after the other, as a client sending
  // `insert` then `select` expects; node would start them all at once.
  const previousOnConnection = new WeakMap<Socket, Promise<void>>();

  // Node would invite every announced body with "100 Continue"; we do when we start reading it
  // (BodyBudget.reader), so a caller refused first (401, 413, 503) is answered before it sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as Socket;
    if (!connections.accepts(socket)) return; // already answered 503 on connect
    const started = performance.now();
    const labels: Labels = { command: 'unknown' };
    const previous = previousOnConnection.get(socket);
    const readBody = bodies.reader(req, res, options.maxBodyBytes);
    const task = (previous ? previous.then(() => route(req, readBody, labels)) : route(req, readBody, labels))
      .then(startBody)
      .catch((err: unknown) => {
        const outcome = { ...errorOutcome(err, labels.command), phext: labels.phext, tenant: labels.tenant };
        if (outcome.status === 500) options.log(`internal error: ${(err as Error)?.stack ?? err}`);
        return outcome;
      })
      .then((outcome) => {
        // A refused body may still be arriving; answer, then stop reading it. A caller we do not
        // know is not even drained: the connection closes once the 401 is out.
        if (outcome.status === 413 || outcome.status === 401) res.shouldKeepAlive = false;
        const sending = send(req, res, outcome, started);
        if (!req.complete && outcome.status >= 400 && outcome.status !== 401) req.resume();
        return sending;
      })
      .catch((err: unknown) => {
        options.log(`response failed: ${(err as Error)?.message ?? err}`);
        res.destroy();
      })
      .finally(() => {
        inFlight.delete(task);
        if (previousOnConnection.get(socket) === task) previousOnConnection.delete(socket);
      });
    previousOnConnection.set(socket, task);
    inFlight.add(task);
  });

  return {
    server,
    listen(port, bind) {
      return listen(server, port, bind);
    },
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      connections.drain();
      // A request still arriving (a slow or stalled body) gets a grace period, not requestTimeout.
      const force = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 5_000);
      await Promise.allSettled([...inFlight]);
      await closed;
      clearTimeout(force);
      await store.close();
    },
  };
}

