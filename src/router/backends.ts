import { Pool } from 'undici';

/** The connection limits to one backend. */
export interface BackendLimits {
  /** Backend silence (no response headers) once it has the whole request, before 504. */
  readonly headersTimeoutMs: number;
}

/**
 * One keep-alive pool per backend port, made on first use. Pools of ports that leave the config
 * are closed at the next reload (their in-flight requests finish first).
 */
export class Backends {
  private readonly pools = new Map<number, Pool>();

  constructor(private readonly limits: BackendLimits) {}

  pool(port: number): Pool {
    let pool = this.pools.get(port);
    if (!pool) {
      pool = new Pool(`http://127.0.0.1:${port}`, {
        connections: 256,
        headersTimeout: this.limits.headersTimeoutMs,
        // Once the answer flows, the client's pace is the limit (the server's timeouts bound it).
        bodyTimeout: 0,
        connect: { timeout: 10_000 },
      });
      this.pools.set(port, pool);
    }
    return pool;
  }

  /** Closes the pools of backends no longer configured; their in-flight requests finish. */
  keepOnly(ports: readonly number[]): void {
    const kept = new Set(ports);
    for (const [port, pool] of this.pools) {
      if (kept.has(port)) continue;
      this.pools.delete(port);
      void pool.close().catch(() => undefined);
    }
  }

  /** Cuts every backend connection (shutdown, once clients had their time). */
  async destroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
