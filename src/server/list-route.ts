import type { DocumentStore } from '../store/document-store.js';
import type { TenantResolver } from '../tenants/tenant.js';
import { tenant as tenantGuard } from './guards.js';
import { HttpError } from './http-error.js';
import { JSON_TYPE } from './outcome.js';
import type { Route } from './route.js';

/**
 * `GET /api/v2/list`: the caller's phexts as JSON, `[{name, bytes, scrolls, version, modified}]`
 * in name order — what a client (the web console, a backup script) needs to pick one.
 */
export function listRoute(deps: { readonly store: DocumentStore; readonly resolver: TenantResolver }): Route {
  return {
    path: '/api/v2/list',
    methods: ['GET', 'HEAD'],
    methodName: 'list',
    command: 'list',
    auth: tenantGuard(deps.resolver),
    handler: async (ex) => {
      if (ex.query !== '') throw new HttpError(400, 'list takes no parameters');
      const tenant = ex.tenant!;
      const listed = await deps.store.list(tenant.name);
      return { status: 200, body: JSON.stringify(listed), contentType: JSON_TYPE, command: 'list', tenant: tenant.name };
    },
  };
}
