import pg from 'pg';
import { migrate } from './schema.js';

/**
 * The bytes each of `tenants` holds in the database (the sizes of its phexts; 0 for a tenant
 * with none), for quotas: measured once when a tenant starts being served, as the file store's
 * tenants are by their files. Brings the schema up to date first, as opening the store does.
 */
export async function usageByTenant(connections: readonly pg.PoolConfig[], tenants: readonly string[]): Promise<Map<string, number>> {
  // The first host that answers as the primary (a standby refuses the schema's migration).
  let failure: unknown;
  for (const connection of connections) {
    try {
      return await usageOn(connection, tenants);
    } catch (e) {
      failure = e;
    }
  }
  throw failure;
}

async function usageOn(connection: pg.PoolConfig, tenants: readonly string[]): Promise<Map<string, number>> {
  const pool = new pg.Pool({ ...connection, max: 1 });
  pool.on('error', () => undefined); // the query in flight fails with it
  try {
    await migrate(pool);
    const { rows } = await pool.query<{ tenant: string; bytes: string }>(
      'SELECT tenant, sum(size)::text AS bytes FROM sq_phexts WHERE tenant = ANY($1) GROUP BY tenant',
      [tenants],
    );
    return new Map(rows.map((r) => [r.tenant, Number(r.bytes)]));
  } finally {
    await pool.end();
  }
}
