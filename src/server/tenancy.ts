import type { SingleTenantResolver } from '../tenants/single-tenant.js';
import type { TenantResolver } from '../tenants/tenant.js';
import type { Route } from './route.js';

/**
 * How the host tells its callers apart. The two modes share one pipeline; what differs is the
 * resolver, who may read /metrics, quotas, and the routes the mode adds (admin API, reload).
 */
export type Tenancy =
  | {
      readonly mode: 'single';
      readonly resolver: SingleTenantResolver;
      readonly routes: readonly Route[];
    }
  | {
      readonly mode: 'multi';
      readonly resolver: TenantResolver;
      /** True for the admin key (constant-time). */
      isAdmin(token: string | undefined): boolean;
      readonly routes: readonly Route[];
    };
