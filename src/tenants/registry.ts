import { timingSafeEqual } from 'node:crypto';
import { ConfigError, type LoadedConfig } from './config.js';
import type { ConfiguredTenant, TenantResolver } from './tenant.js';
import { tokenDigest } from './token-digest.js';
import { keyDigest } from './token.js';

/** Runtime counters of one tenant; they live on across reloads while the tenant stays. */
export interface TenantStats {
  /** Requests that presented this tenant's token. */
  requests: number;
  /** When the last such request came (ms since the epoch), undefined before the first. */
  lastActive: number | undefined;
  /** Total size of the tenant's `*.phext` files. */
  bytesUsed: number;
  /** Growth of writes accepted but not yet on disk; counted against the quota with bytesUsed. */
  bytesReserved: number;
}

/** A tenant of a registry, with its counters. */
export interface RegisteredTenant extends ConfiguredTenant {
  readonly stats: TenantStats;
}

export interface RegistryOptions {
  /** Admin key from the command line (a token or `sha256:<hex>`); overrides the file's admin_key. */
  adminKey?: string;
  /** The registry this one replaces: tenants that remain (same name and data_dir) keep their counters. */
  previous?: TenantRegistry;
}

/**
 * The tenants of one loaded config, looked up by the SHA-256 of the presented token. Keys are
 * stored only as digests, so the time a look-up takes does not depend on how much of a real
 * token a guess shares; the final check is a constant-time comparison of the digests.
 */
export class TenantRegistry implements TenantResolver {
  /** Tenants whose counters started with this registry (their disk usage is not measured yet). */
  readonly fresh: readonly RegisteredTenant[];
  private readonly byDigest = new Map<string, RegisteredTenant>();
  private readonly byName = new Map<string, RegisteredTenant>();
  private readonly adminDigest: Buffer | undefined;

  constructor(
    readonly config: LoadedConfig,
    options: RegistryOptions = {},
  ) {
    const fresh: RegisteredTenant[] = [];
    for (const t of config.tenants) {
      const kept = options.previous?.get(t.name);
      const stats = kept && kept.dataDir === t.dataDir ? kept.stats : undefined;
      const tenant: RegisteredTenant = { ...t, stats: stats ?? { requests: 0, lastActive: undefined, bytesUsed: 0, bytesReserved: 0 } };
      if (!stats) fresh.push(tenant);
      this.byDigest.set(t.digest.toString('hex'), tenant);
      this.byName.set(t.name, tenant);
    }
    this.fresh = fresh;
    this.adminDigest = options.adminKey !== undefined ? keyDigest(options.adminKey) : config.adminDigest;
    if (this.adminDigest && this.byDigest.has(this.adminDigest.toString('hex'))) {
      throw new ConfigError(`the admin key is also the token of tenant "${this.byDigest.get(this.adminDigest.toString('hex'))!.name}"`);
    }
  }

  /** The tenant for this token (and counts the request for it), or undefined. */
  resolve(token: string | undefined): RegisteredTenant | undefined {
    if (token === undefined || token === '') return undefined;
    const digest = tokenDigest(token);
    const tenant = this.byDigest.get(digest.toString('hex'));
    if (!tenant || !timingSafeEqual(tenant.digest, digest)) return undefined;
    tenant.stats.requests++;
    tenant.stats.lastActive = Date.now();
    return tenant;
  }

  /** True for the admin key (constant-time). Without an admin key nothing is admin; no tenant token ever is. */
  isAdmin(token: string | undefined): boolean {
    if (!this.adminDigest || token === undefined || token === '') return false;
    const digest = tokenDigest(token);
    if (this.byDigest.has(digest.toString('hex'))) return false;
    return timingSafeEqual(digest, this.adminDigest);
  }

  /** True when an admin key is configured. */
  get hasAdminKey(): boolean {
    return this.adminDigest !== undefined;
  }

  /** True while the token of `digest` opens tenant `name` in `dataDir` (constant-time). */
  grants(name: string, dataDir: string, digest: Buffer): boolean {
    const tenant = this.byName.get(name);
    return tenant !== undefined && tenant.dataDir === dataDir && timingSafeEqual(tenant.digest, digest);
  }

  /** The tenant with this name. */
  get(name: string): RegisteredTenant | undefined {
    return this.byName.get(name);
  }

  /** Every tenant, by name. */
  list(): RegisteredTenant[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get size(): number {
    return this.byName.size;
  }
}
