import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QuotaError } from '../store/quota-ledger.js';
import { MB } from './config.js';
import type { TenantStats } from './registry.js';
import type { Tenant } from './tenant.js';

/** Sum of the sizes of the `*.phext` files directly in `dataDir` (0 when it does not exist). */
export async function measureUsage(dataDir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dataDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const sizes = await Promise.all(
    entries
      .filter((e) => e.isFile() && e.name.endsWith('.phext'))
      .map((e) =>
        stat(join(dataDir, e.name)).then(
          (s) => s.size,
          () => 0,
        ),
      ), // removed meanwhile
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * Throws a QuotaError when growing the tenant's data by `growthBytes` would pass its quota; bytes
 * reserved by writes in flight count as used. Writes that do not grow the data are always
 * allowed, so a full tenant can still delete.
 */
export function checkQuota(tenant: Tenant & { readonly stats?: TenantStats }, growthBytes: number): void {
  const quota = tenant.quotaBytes;
  if (quota === undefined || growthBytes <= 0) return;
  const used = (tenant.stats?.bytesUsed ?? 0) + (tenant.stats?.bytesReserved ?? 0);
  if (used + growthBytes <= quota) return;
  throw quotaExceeded(tenant, used, growthBytes);
}

/** The refusal of a write of `growthBytes` by `tenant`, which holds `used` bytes. */
export function quotaExceeded(tenant: Tenant, used: number, growthBytes: number): QuotaError {
  const quota = tenant.quotaBytes ?? 0;
  return new QuotaError(
    `Quota exceeded for tenant ${tenant.name}: ${used} bytes used of ${quota} (quota ${formatMb(quota)}); write of ${growthBytes} bytes refused`,
  );
}

/** `1 MB`, `0.5 MB`, `1.25 MB`: the quota as configured, in the file's unit. */
export function formatMb(bytes: number): string {
  return `${Number((bytes / MB).toFixed(3))} MB`;
}
