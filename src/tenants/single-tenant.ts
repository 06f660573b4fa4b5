import { resolve } from 'node:path';
import type { Tenant, TenantResolver } from './tenant.js';
import { tokenDigest, tokenMatches } from './token-digest.js';

/**
 * `sq host` without `--config`: one tenant serving `dataDir`, open to everyone unless a key is set.
 */
export class SingleTenantResolver implements TenantResolver {
  readonly tenant: Tenant;
  private readonly keyDigest?: Buffer;

  constructor(dataDir: string, key?: string) {
    this.tenant = { name: 'default', dataDir: resolve(dataDir) };
    if (key !== undefined && key !== '') this.keyDigest = tokenDigest(key);
  }

  /** True when requests must carry the key. */
  get requiresToken(): boolean {
    return this.keyDigest !== undefined;
  }

  resolve(token: string | undefined): Tenant | undefined {
    if (!this.keyDigest) return this.tenant;
    if (token === undefined) return undefined;
    return tokenMatches(token, this.keyDigest) ? this.tenant : undefined;
  }
}
