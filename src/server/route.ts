import type { IncomingMessage } from 'node:http';
import type { Tenant } from '../tenants/tenant.js';
import type { Labels, Outcome } from './outcome.js';

/** One request as the route table, its middlewares and its handler see it. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly method: string;
  /** The URL's path, without the query string. */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** The presented token (Authorization: Bearer, a bare Authorization, or X-SQ-API-Key). */
  readonly token: string | undefined;
  /** What the log line and metrics say about the request, filled in as the pipeline learns it. */
  readonly labels: Labels;
  /** The caller's tenant, set by the `tenant` guard. */
  tenant?: Tenant;
  /**
   * The request body within the size and in-flight limits (413, 503); "100 Continue" is sent
   * when it is first asked for. Only handlers call it, so no guard ever reads a stranger's body.
   */
  body: () => Promise<Buffer>;
}

export type Handler = (ex: Exchange) => Promise<Outcome>;

/** A step before the handler: answers itself (a refusal) or hands on to `next`. */
export type Middleware = (ex: Exchange, next: Handler) => Promise<Outcome>;

/** One line of the route table. */
export interface Route {
  /** The exact path, or with `prefix` every path starting with it. */
  readonly path: string;
  readonly prefix?: boolean;
  /** The methods it answers (others get 405 + Allow); absent: the handler answers every method. */
  readonly methods?: readonly string[];
  /** The metrics and log name of the route. */
  readonly command: string;
  /** Who may call it, checked before anything else of the request is looked at. */
  readonly auth: Middleware;
  readonly handler: Handler;
  /** `Method X not allowed for <name>`; omitted for the plain `Method X not allowed`. */
  readonly methodName?: string;
}

/** Chains middlewares in order in front of a handler (Hono/koa style). */
export function compose(middlewares: readonly Middleware[], handler: Handler): Handler {
  return middlewares.reduceRight<Handler>((next, mw) => (ex) => mw(ex, next), handler);
}

/** Routes by exact path (one Map look-up), then by the longest matching prefix. */
export class RouteTable {
  private readonly exact = new Map<string, Route>();
  private readonly prefixes: Route[] = [];

  constructor(routes: readonly Route[]) {
    for (const route of routes) this.add(route);
  }

  add(route: Route): void {
    if (route.prefix) {
      this.prefixes.push(route);
      this.prefixes.sort((a, b) => b.path.length - a.path.length);
    } else {
      if (this.exact.has(route.path)) throw new Error(`route ${route.path} registered twice`);
      this.exact.set(route.path, route);
    }
  }

  /** Every route, exact ones first (for the OpenAPI document's test). */
  list(): Route[] {
    return [...this.exact.values(), ...this.prefixes];
  }

  find(path: string): Route | undefined {
    return this.exact.get(path) ?? this.prefixes.find((r) => path.startsWith(r.path));
  }
}
