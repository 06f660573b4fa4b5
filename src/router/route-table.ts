import { timingSafeEqual } from 'node:crypto';
import { tokenDigest } from '../tenants/token-digest.js';
import { keyDigest } from '../tenants/token.js';
import type { RouterConfig } from './config.js';

/**
 * Maps tokens to backend ports without ever comparing raw tokens: entries are keyed by the
 * SHA-256 digest, so the timing of a look-up depends on the digest, never on how many leading
 * characters of a guess match a real token.
 */
export class RouteTable {
  private constructor(private readonly byDigest: ReadonlyMap<string, { digest: Buffer; port: number }>) {}

  static fromConfig(config: RouterConfig): RouteTable {
    const map = new Map<string, { digest: Buffer; port: number }>();
    for (const tenant of config.tenants) {
      const digest = keyDigest(tenant.token);
      map.set(digest.toString('hex'), { digest, port: tenant.port });
    }
    return new RouteTable(map);
  }

  /** The backend port for a token (as extractToken gives it), or undefined. */
  lookup(headerToken: string): number | undefined {
    const digest = tokenDigest(headerToken);
    const entry = this.byDigest.get(digest.toString('hex'));
    return entry && timingSafeEqual(entry.digest, digest) ? entry.port : undefined;
  }

  /** Distinct backend ports, ascending. */
  ports(): number[] {
    return [...new Set([...this.byDigest.values()].map((e) => e.port))].sort((a, b) => a - b);
  }

  get size(): number {
    return this.byDigest.size;
  }
}
