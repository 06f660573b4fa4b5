import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { startPostgres } from '../../testing/postgres.js';
import { migrate, SCHEMA_VERSION } from './schema.js';

const cluster = await startPostgres();
after(() => ('stop' in cluster ? cluster.stop() : undefined));
const skip = 'missing' in cluster ? `PostgreSQL not available: ${cluster.missing}` : false;

/** A pool on the throwaway cluster, ended after the test. */
function poolFor(t: { after(fn: () => Promise<void>): void }): pg.Pool {
  const pool = new pg.Pool('connection' in cluster ? cluster.connection : {});
  t.after(() => pool.end());
  return pool;
}

test('servers starting together migrate once; migrating again changes nothing', { skip }, async (t) => {
  const pool = poolFor(t);
  await Promise.all([migrate(pool), migrate(pool), migrate(pool)]);
  await migrate(pool);
  const { rows } = await pool.query<{ version: number }>('SELECT version FROM sq_schema ORDER BY version');
  assert.deepEqual(
    rows.map((r) => r.version),
    Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
  );
  const tables = await pool.query<{ name: string }>(
    'SELECT tablename AS name FROM pg_tables WHERE tablename LIKE \'sq\\_%\' ORDER BY tablename COLLATE "C"',
  );
  assert.deepEqual(
    tables.rows.map((r) => r.name),
    ['sq_changes', 'sq_phexts', 'sq_schema', 'sq_scrolls', 'sq_tenants', 'sq_tenants_version'],
  );
});

test('a schema newer than this code is refused, and left as it is', { skip }, async (t) => {
  const pool = poolFor(t);
  await migrate(pool);
  await pool.query('INSERT INTO sq_schema (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
  try {
    await assert.rejects(migrate(pool), new RegExp(`schema is at version ${SCHEMA_VERSION + 1}, newer than this SQ knows`));
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::integer AS n FROM sq_schema');
    assert.equal(rows[0]?.n, SCHEMA_VERSION + 1);
  } finally {
    await pool.query('DELETE FROM sq_schema WHERE version = $1', [SCHEMA_VERSION + 1]);
  }
});
