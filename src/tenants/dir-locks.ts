import { mkdirSync, realpathSync } from 'node:fs';
import { DirLockedError, lockDirectory, type DirLock } from '../store/dir-lock.js';
import { StoreError } from '../store/document-store.js';
import type { Tenant } from './tenant.js';

/**
 * The data directories of the current tenants, each owned by this process (see lockDirectory).
 * A tenant whose directory another process owns is refused (503 for its requests, one log line)
 * while the others keep working; every reload tries again and lets go of directories no tenant
 * uses any more.
 */
export class TenantDirLocks {
  /** By real path, so two tenants sharing one directory share one lock. */
  private readonly held = new Map<string, DirLock>();
  /** By configured data_dir: why the tenants there are not served. */
  private refused = new Map<string, StoreError>();

  constructor(private readonly log: (line: string) => void) {}

  async update(tenants: readonly Tenant[]): Promise<void> {
    const refused = new Map<string, StoreError>();
    const wanted = new Set<string>();
    for (const t of tenants) {
      if (refused.has(t.dataDir)) continue;
      try {
        mkdirSync(t.dataDir, { recursive: true });
        const real = realpathSync(t.dataDir);
        wanted.add(real);
        if (!this.held.has(real)) this.held.set(real, await lockDirectory(real));
      } catch (e) {
        const why = e instanceof DirLockedError ? e.message : `cannot use ${t.dataDir}: ${(e as Error).message}`;
        if (!this.refused.has(t.dataDir)) this.log(`tenants: tenant "${t.name}" is not served: ${why}`);
        refused.set(t.dataDir, new StoreError(`this tenant's data directory is not available: ${why}`, 503, 'locked'));
      }
    }
    for (const [real, lock] of this.held) {
      if (!wanted.has(real)) {
        lock.release();
        this.held.delete(real);
      }
    }
    this.refused = refused;
  }

  /** Throws the refusal (503) for a tenant whose directory this process does not own. */
  check(tenant: Tenant): void {
    const refusal = this.refused.get(tenant.dataDir);
    if (refusal) throw refusal;
  }

  releaseAll(): void {
    for (const lock of this.held.values()) lock.release();
    this.held.clear();
  }
}
