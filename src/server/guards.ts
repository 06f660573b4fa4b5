import type { TenantResolver } from '../tenants/tenant.js';
import { HttpError } from './http-error.js';
import { JSON_TYPE } from './outcome.js';
import { isLocal } from './request-checks.js';
import type { Middleware } from './route.js';
import type { Tenancy } from './tenancy.js';

/**
 * Who may call a route. A guard runs before the handler and never reads the body, so a caller
 * refused here (401, and the connection closes) has sent us headers only.
 */

const unauthorized = (): HttpError => new HttpError(401, 'Unauthorized');

/** Anyone: `/health` and CORS preflights. */
export const open: Middleware = (ex, next) => next(ex);

/**
 * A tenant's token. Checked again once the body is in: a token rotated or deleted while its
 * body was arriving must not write.
 */
export function tenant(resolver: TenantResolver): Middleware {
  return (ex, next) => {
    const found = resolver.resolve(ex.token);
    if (!found) throw unauthorized();
    ex.tenant = found;
    ex.labels.tenant = found.name;
    const read = ex.body;
    ex.body = async () => {
      const body = await read();
      const now = resolver.resolve(ex.token);
      if (!now || now.name !== found.name) throw unauthorized();
      ex.tenant = now;
      return body;
    };
    return next(ex);
  };
}

/** The admin key; the refusal is JSON like the rest of the admin API. */
export function admin(isAdmin: (token: string | undefined) => boolean): Middleware {
  return async (ex, next) => {
    if (isAdmin(ex.token)) return next(ex);
    return { status: 401, body: JSON.stringify({ error: 'Unauthorized' }), contentType: JSON_TYPE, command: ex.labels.command };
  };
}

/** This machine (not relayed by a proxy), or the admin key. */
export function localOrAdmin(isAdmin: (token: string | undefined) => boolean): Middleware {
  return (ex, next) => {
    if (!isLocal(ex.req) && !isAdmin(ex.token)) throw unauthorized();
    return next(ex);
  };
}

/**
 * `/metrics`: this machine, the admin key, or in single-tenant mode the key when one is set.
 * Metrics name no tenant, phext or token, but they tell a stranger how busy and how large the
 * server is, so an open single-tenant server shows them on loopback only.
 */
export function metricsReader(tenancy: Tenancy): Middleware {
  const allowed =
    tenancy.mode === 'multi'
      ? (token: string | undefined) => tenancy.isAdmin(token)
      : (token: string | undefined) => tenancy.resolver.requiresToken && tenancy.resolver.resolve(token) !== undefined;
  return (ex, next) => {
    if (!isLocal(ex.req) && !allowed(ex.token)) throw unauthorized();
    return next(ex);
  };
}
