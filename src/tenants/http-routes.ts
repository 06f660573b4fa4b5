import { isUtf8 } from 'node:buffer';
import { localOrAdmin, admin as adminGuard } from '../server/guards.js';
import { HttpError } from '../server/http-error.js';
import { JSON_TYPE, TEXT } from '../server/outcome.js';
import type { Route } from '../server/route.js';
import type { Tenancy } from '../server/tenancy.js';
import { handleAdmin } from './admin.js';
import type { TenantManager } from './manager.js';
import type { SingleTenantResolver } from './single-tenant.js';
import { tokenDigest } from './token-digest.js';

const ADMIN = '/api/v2/admin';
const RELOAD = '/api/v2/reload';

/** Multi-tenant mode: the manager's resolver, and the admin API and reload routes. */
export function multiTenancy(manager: TenantManager): Tenancy {
  const isAdmin = (token: string | undefined): boolean => manager.isAdmin(token);
  const guard = adminGuard(isAdmin);
  const adminRoute = async (ex: Parameters<Route['handler']>[0]) => {
    const body = ex.method === 'POST' || ex.method === 'PUT' ? await ex.body() : Buffer.alloc(0);
    if (!isUtf8(body)) throw new HttpError(400, 'Invalid UTF-8 in request body');
    // handleAdmin checks the key again: it is also called without this guard (tests, tools).
    const answer = await handleAdmin(manager, { method: ex.method, path: ex.path, token: ex.token, body: body.toString('utf8') });
    return { status: answer.status, body: JSON.stringify(answer.body), contentType: JSON_TYPE, headers: answer.headers, command: 'admin' };
  };
  const routes: Route[] = [
    {
      path: RELOAD,
      methods: ['POST'],
      methodName: 'reload',
      command: 'reload',
      auth: localOrAdmin(isAdmin),
      handler: async () => {
        const result = await manager.reload();
        if (!result.ok) throw new HttpError(400, `Config reload refused: ${result.error}`);
        return { status: 200, body: 'Config reload triggered', contentType: TEXT, command: 'reload' };
      },
    },
    // The admin API answers its own 405s; its key is checked before any body is read.
    { path: ADMIN, command: 'admin', auth: guard, handler: adminRoute },
    { path: ADMIN + '/', prefix: true, command: 'admin', auth: guard, handler: adminRoute },
  ];
  return {
    mode: 'multi',
    resolver: manager,
    isAdmin,
    routes,
    grant: (tenant, token) => {
      const digest = tokenDigest(token ?? '');
      return () => manager.registry.grants(tenant.name, tenant.dataDir, digest);
    },
    onTenantsChanged: (listener) => manager.onSwap(listener),
  };
}

/** Single-tenant mode: one resolver; the multi-tenant routes answer 404 with a hint. */
export function singleTenancy(resolver: SingleTenantResolver): Tenancy {
  const needsConfig = (what: string) => async (): Promise<never> => {
    throw new HttpError(404, `Not Found: ${what} needs a server started with --config`);
  };
  const open: Route['auth'] = (ex, next) => next(ex);
  return {
    mode: 'single',
    resolver,
    // The key is fixed for the server's life.
    grant: () => () => true,
    onTenantsChanged: () => {},
    routes: [
      { path: RELOAD, methods: ['POST'], methodName: 'reload', command: 'reload', auth: open, handler: needsConfig('reload') },
      { path: ADMIN, command: 'admin', auth: open, handler: needsConfig('the admin API') },
      { path: ADMIN + '/', prefix: true, command: 'admin', auth: open, handler: needsConfig('the admin API') },
    ],
  };
}
