import type { TenantRegistry } from './registry.js';

/** As the `sq_tenants_active` gauge's help text promises. */
const ACTIVE_WINDOW_MS = 5 * 60_000;

/**
 * Tenants configured, and those with a request in the last `windowMs` before `now` (the metrics'
 * gauges). `now` is on the clock `lastActive` was stamped with: ms since the epoch.
 */
export function activity(registry: TenantRegistry, windowMs = ACTIVE_WINDOW_MS, now = Date.now()): { configured: number; active: number } {
  const since = now - windowMs;
  const tenants = registry.list();
  return { configured: tenants.length, active: tenants.filter((t) => (t.stats.lastActive ?? 0) >= since).length };
}
