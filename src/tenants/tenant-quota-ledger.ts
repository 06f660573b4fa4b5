import type { Commit, DocumentKey, QuotaHold, QuotaLedger } from '../store/index.js';
import { checkQuota, quotaExceeded } from './quota.js';
import type { TenantRegistry } from './registry.js';

/**
 * The store's quota ledger in multi-tenant mode, and its commit observer. The registry is asked
 * for on every call, never kept: a reload swaps it, and the tenants that stay carry their
 * counters into the new one.
 */
export class TenantQuotaLedger implements QuotaLedger {
  constructor(private readonly registry: () => TenantRegistry) {}

  /**
   * Checks a change's `growth()` against the quota of the tenant that owns `document` (QuotaError,
   * 507) and holds those bytes until the store settles the hold, so that writes in flight
   * together cannot pass the quota. The store counts written bytes (countCommit) before it
   * settles, so for a moment they count twice: a concurrent write may be refused early, never
   * let through.
   */
  admit(document: DocumentKey, growth: () => number): QuotaHold | undefined {
    const tenant = this.registry().get(document.tenant);
    if (tenant?.quotaBytes === undefined) return undefined;
    const bytes = growth();
    checkQuota(tenant, bytes);
    if (bytes <= 0) return undefined;
    const stats = tenant.stats;
    stats.bytesReserved += bytes;
    let held = true;
    return {
      settle: () => {
        if (held) stats.bytesReserved -= bytes;
        held = false;
      },
    };
  }

  limited(document: DocumentKey): boolean {
    return this.registry().get(document.tenant)?.quotaBytes !== undefined;
  }

  /** Other servers' writes included. The commit's own bytes are added by countCommit once it is made. */
  measured(document: DocumentKey, bytesBefore: number, growth: number): void {
    const tenant = this.registry().get(document.tenant);
    if (!tenant) return;
    tenant.stats.bytesUsed = bytesBefore;
    if (tenant.quotaBytes !== undefined && growth > 0 && bytesBefore + growth > tenant.quotaBytes) {
      throw quotaExceeded(tenant, bytesBefore, growth);
    }
  }

  /** A commit observer of the store: keeps the owning tenant's bytesUsed current (with this server's commits). */
  countCommit(commit: Pick<Commit, 'document' | 'bytesBefore' | 'bytesAfter' | 'elsewhere'>): void {
    if (commit.elsewhere) return;
    const tenant = this.registry().get(commit.document.tenant);
    if (tenant) tenant.stats.bytesUsed = Math.max(0, tenant.stats.bytesUsed + commit.bytesAfter - commit.bytesBefore);
  }
}
