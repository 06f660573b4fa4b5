/** The multi-tenant layer: tenants file, token look-up, reload, quotas and the admin API. */
export { activity } from './activity.js';
export { ReloadTriggers } from './reload-triggers.js';
export { TenantManager } from './manager.js';
export { TenantQuotaLedger } from './tenant-quota-ledger.js';
