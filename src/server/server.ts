import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FeedHub } from '../feed/hub.js';
import { createHttpServer } from '../http/http-server.js';
import type { DocumentStore } from '../store/document-store.js';
import { apiRoutes } from './api-command.js';
import { BodyBudget } from './body.js';
import { CORS_PREFLIGHT } from './cors.js';
import { metricsReader, open } from './guards.js';
import type { HostConfig } from './host-config.js';
import { HttpError } from './http-error.js';
import type { Metrics } from './metrics.js';
import { JSON_TYPE, TEXT, errorOutcome, type Outcome } from './outcome.js';
import { send, startBody, type Responder } from './respond.js';
import { RouteTable, compose, type Exchange, type Route } from './route.js';
import type { Tenancy } from './tenancy.js';
import { extractToken } from './token.js';
import { openapiRoute } from './openapi/route.js';
import { watchRoute } from './watch-route.js';
import { listRoute } from './list-route.js';
import { consoleRoutes } from './console-route.js';

/** What the host serves with; the settings come from one validated HostConfig. */
export interface HostDeps {
  readonly store: DocumentStore;
  readonly tenancy: Tenancy;
  readonly metrics: Metrics;
  readonly log: (line: string) => void;
  /** Routes of a feature wired by startHost (the mesh's). */
  readonly routes?: readonly Route[];
  /** What `GET /health` adds for a client that accepts JSON (nothing secret: anyone may ask). */
  readonly health?: () => object;
}

/** A running SQ HTTP server. */
export interface Host {
  readonly server: Server;
  /** Its routes (what the OpenAPI document must describe). */
  readonly routes: readonly Route[];
  listen(port: number, bind: string): Promise<AddressInfo>;
  /** Stops accepting, finishes in-flight requests (for up to drainMs), flushes the store. */
  close(): Promise<void>;
}

const PREVIOUS = Symbol('sq.previousRequest');

const PREFLIGHT: Outcome = { status: 204, body: '', contentType: TEXT, headers: CORS_PREFLIGHT, command: 'options' };
/** How often the phexts that streams follow are looked at for another program's edit (ms). */
const POLL_MS = 1_000;

/**
 * The SQ HTTP server: one route table, every request through the same steps —
 * preflight → route (404) → method (405) → the route's guard (401) → its handler → the answer.
 */
export function createHost(config: HostConfig, deps: HostDeps): Host {
  const { store, tenancy, metrics, log } = deps;
  const inFlight = new Set<Promise<void>>();
  const http = createHttpServer(config, handle);
  const { connections } = http;
  const bodies = new BodyBudget(config.maxInflightBodyBytes);
  metrics.watchHttp({ openConnections: () => connections.openConnections, bodyBytesHeld: () => bodies.bytesHeld });
  // The change feed hears of each commit after it is durable, and checks its streams' tokens
  // again whenever the tenants change.
  const hub = new FeedHub({
    maxStreams: config.watchMaxStreams,
    maxStreamsPerTenant: config.watchMaxStreamsPerTenant,
    bufferBytes: config.watchBufferBytes,
    heartbeatMs: config.watchHeartbeatMs,
  });
  store.onCommit((commit) => hub.publish(commit));
  store.follow((key) => hub.follows(key));
  // Another program's edit is noticed when the phext is next read; one that streams follow is
  // read for that every second, so they hear of the edit even when nobody else asks.
  const polling = setInterval(() => {
    for (const key of hub.watched()) void store.poll(key);
  }, POLL_MS).unref();
  tenancy.onTenantsChanged(() => hub.recheck());
  metrics.watchFeed(() => hub.size);

  const routes = new RouteTable([
    {
      path: '/health',
      methods: ['GET', 'HEAD'],
      command: 'health',
      auth: open,
      // `OK` as the original answers; a client asking for JSON also gets what a feature adds
      // (the mesh's peers), for monitors that want more than up or down.
      handler: async (ex) =>
        deps.health && (ex.req.headers.accept ?? '').includes('application/json')
          ? { status: 200, body: JSON.stringify({ status: 'ok', ...deps.health() }), contentType: JSON_TYPE, command: 'health' }
          : { status: 200, body: 'OK', contentType: TEXT, command: 'health' },
    },
    {
      path: '/metrics',
      methods: ['GET'],
      command: 'metrics',
      auth: metricsReader(tenancy),
      handler: async () => ({
        status: 200,
        body: await metrics.registry.metrics(),
        contentType: metrics.registry.contentType,
        command: 'metrics',
      }),
    },
    ...apiRoutes({
      store,
      resolver: tenancy.resolver,
      metrics,
      connections,
      defaultPhext: config.defaultPhext,
      originalDefault: config.store === undefined,
      trustedPages: config.trustedPages,
    }),
    watchRoute({ store, resolver: tenancy.resolver, tenancy, hub }),
    openapiRoute(),
    listRoute({ store, resolver: tenancy.resolver }),
    ...consoleRoutes(),
    ...tenancy.routes,
    ...(deps.routes ?? []),
  ]);
  // Composed once per route, not per request.
  const chains = new Map<Route, (ex: Exchange) => Promise<Outcome>>();
  const chainOf = (route: Route) => {
    let chain = chains.get(route);
    if (!chain) chains.set(route, (chain = compose([route.auth], route.handler)));
    return chain;
  };

  async function dispatch(ex: Exchange): Promise<Outcome> {
    if (ex.method === 'OPTIONS') return PREFLIGHT;
    const route = routes.find(ex.path);
    if (!route) throw new HttpError(404, `Not Found: ${ex.path}`);
    // Set before the guard, so that refusals (401, 400, 405) are counted under the route too.
    ex.labels.command = route.command;
    if (route.methods && !route.methods.includes(ex.method)) {
      const what = route.methodName ? ` for ${route.methodName}` : '';
      throw new HttpError(405, `Method ${ex.method} not allowed${what}`, { Allow: route.methods.join(', ') });
    }
    return chainOf(route)(ex);
  }

  const responder: Responder = { metrics, logFormat: config.logFormat, log, sendStallMs: config.sendStallMs };

  // Pipelined requests on one connection run one after the other, as a client sending
  // `insert` then `select` expects; node would start them all at once. The last request's task
  // is kept on its socket (see connections.ts for why not in a WeakMap).
  type Pipelined = Socket & { [PREVIOUS]?: Promise<void> };

  /** Runs one request after the previous one on its connection, and answers it; never rejects. */
  async function answer(ex: Exchange, res: ServerResponse, started: number, previous: Promise<void> | undefined): Promise<void> {
    const { req, labels } = ex;
    if (previous) await previous;
    let outcome: Outcome;
    try {
      outcome = await startBody(await dispatch(ex));
    } catch (err) {
      outcome = { ...errorOutcome(err, labels.command), phext: labels.phext, tenant: labels.tenant };
      if (outcome.status === 500) log(`internal error: ${(err as Error)?.stack ?? err}`);
    }
    try {
      // A refused body may still be arriving; answer, then stop reading it. A caller we do not
      // know is not even drained: the connection closes once the 401 is out.
      if (outcome.status === 413 || outcome.status === 401) res.shouldKeepAlive = false;
      const sending = send(responder, req, res, outcome, started);
      if (!req.complete && outcome.status >= 400 && outcome.status !== 401) req.resume();
      await sending;
    } catch (err) {
      log(`response failed: ${(err as Error)?.message ?? err}`);
      res.destroy();
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as Pipelined;
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const ex: Exchange = {
      req,
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      token: extractToken(req.headers),
      labels: { command: 'unknown' },
      body: bodies.reader(req, res, config.maxBodyBytes),
    };
    const task = answer(ex, res, started, socket[PREVIOUS]).finally(() => {
      inFlight.delete(task);
      if (socket[PREVIOUS] === task) socket[PREVIOUS] = undefined;
    });
    socket[PREVIOUS] = task;
    inFlight.add(task);
  }

  return {
    server: http.server,
    routes: routes.list(),
    listen: (port, bind) => http.listen(port, bind),
    async close() {
      // Open streams end now, as answers: their connections then close like any other.
      clearInterval(polling);
      hub.close();
      await http.close(config.drainMs, () => Promise.allSettled([...inFlight]));
      await store.close();
    },
  };
}
