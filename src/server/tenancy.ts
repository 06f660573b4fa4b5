import type { SingleTenantResolver } from '../tenants/single-tenant.js';
import type { Tenant, TenantResolver } from '../tenants/tenant.js';
import type { Route } from './route.js';

/**
 * How the host tells its callers apart. The two modes share one pipeline; what differs is the
 * resolver, who may read /metrics, quotas, and the routes the mode adds (admin API, reload).
 */
export type Tenancy = (
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
    }
) &
  Grants;

/** For what outlives its request (a change feed): whether its token still opens its tenant. */
interface Grants {
  /**
   * A check that `token` still opens `tenant` as it does now (same data directory). Kept by
   * whoever stays open, asked again after each change of the tenants in force.
   */
  grant(tenant: Tenant, token: string | undefined): () => boolean;
  /** Calls `listener` after each change of the tenants in force (a reload, an admin edit). */
  onTenantsChanged(listener: () => void): void;
}
