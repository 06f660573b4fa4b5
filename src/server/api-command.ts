import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import type { DocumentStore } from '../store/document-store.js';
import type { ConnectionTracker } from '../http/connections.js';
import { COMMANDS } from './commands.js';
import { defaultPhext } from './default-phext.js';
import { tenant as tenantGuard } from './guards.js';
import { HttpError } from './http-error.js';
import type { Metrics } from './metrics.js';
import { TEXT } from './outcome.js';
import { parseParams, type Params } from './params.js';
import { isFormBody } from './request-checks.js';
import { RequestContext, type ReserveQuota } from './request-context.js';
import type { Handler, Route } from './route.js';
import type { TenantResolver } from '../tenants/tenant.js';

export const API = '/api/v2/';

/** What an API command needs from the host around it. */
export interface ApiDeps {
  readonly store: DocumentStore;
  readonly resolver: TenantResolver;
  readonly metrics: Metrics;
  readonly connections: ConnectionTracker;
  readonly reserveQuota: ReserveQuota | undefined;
  readonly defaultPhext: string;
  readonly trustedPages: boolean;
}

/**
 * Runs the command `name` for a caller the tenant guard has accepted: decodes the query and the
 * body (a form's fields merge into the query's), finds the phext, and hands a context to the
 * command. The one place where an HTTP request becomes a command call.
 */
export function apiCommand(deps: ApiDeps, name: string): Handler {
  const spec = COMMANDS[name];
  return async (ex) => {
    const params = parseParams(ex.query, 'query string');
    ex.labels.phext = params.get('p');
    let body: Buffer = Buffer.alloc(0);
    if (ex.method === 'POST' || ex.method === 'DELETE') {
      body = await ex.body();
      deps.metrics.bytesReceived.inc(body.length);
    }
    let form: Params | undefined;
    if (isFormBody(ex.req, body)) {
      // curl -d sends non-ASCII bytes raw rather than as %xx: they are UTF-8 text too.
      if (!isUtf8(body)) throw new HttpError(400, 'Invalid UTF-8 in form body');
      form = parseParams(body.toString('utf8'), 'form body');
      for (const [key, value] of form) if (!params.has(key)) params.set(key, value);
      body = Buffer.alloc(0);
    }
    const tenant = ex.tenant!;
    // Without `p` (or with `p=`) the original serves its data directory's default phext; clients
    // rely on it (`status` as a reachability check, scripts that send no `p`).
    const named = params.get('p');
    const fallback = spec.needsPhext && !named ? await defaultPhext(tenant.dataDir, deps.defaultPhext) : undefined;
    const ctx = new RequestContext(
      ex.method, params, body, form, tenant, deps.connections.idOf(ex.req.socket as Socket), deps.store,
      deps.reserveQuota, fallback, deps.trustedPages,
    );
    const reply = await spec.handle(ctx);
    return {
      status: reply.status ?? 200, body: reply.body, contentType: reply.contentType ?? TEXT,
      headers: reply.headers, command: name, phext: params.get('p'), tenant: tenant.name,
    };
  };
}

/** One route per command of the table (`/api/v2/<name>`), each behind the tenant's token. */
export function apiRoutes(deps: ApiDeps): Route[] {
  const auth = tenantGuard(deps.resolver);
  return Object.entries(COMMANDS).map(([name, spec]) => ({
    path: API + name, methods: spec.methods, command: name, methodName: name, auth, handler: apiCommand(deps, name),
  }));
}
