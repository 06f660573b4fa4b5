/** The multi-tenant layer: tenants file, token look-up, reload, quotas and the admin API. */
export type { Tenant, TenantResolver } from './tenant.js';
export { SingleTenantResolver } from './single-tenant.js';
export { ConfigError, loadConfig, validateConfig, parseConfig, MB, TENANT_NAME } from './config.js';
export type { LoadedConfig, ConfiguredTenant, TenantsFile, TenantEntry } from './config.js';
export { TenantRegistry } from './registry.js';
export type { RegisteredTenant, TenantStats, RegistryOptions } from './registry.js';
export { TenantManager } from './reload.js';
export type { ManagerOptions, ReloadResult } from './reload.js';
export { QuotaError, checkQuota, measureUsage } from './quota.js';
export { handleAdmin } from './admin.js';
export type { AdminRequest, AdminResponse } from './admin.js';
export { TenantChangeError, addTenant, removeTenant, rotateTenant, provisionTenants } from './changes.js';
export { editConfig } from './edit.js';
export { generateToken, redact } from './token.js';
