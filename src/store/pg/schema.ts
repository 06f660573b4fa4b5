import type pg from 'pg';

/**
 * The schema, one migration per version: each runs once, in order, in the transaction that
 * records it in `sq_schema`. A migration is never edited once released; a change is a new one.
 *
 * Scroll texts are `bytea` (their UTF-8 bytes): a phext scroll may hold NUL, which PostgreSQL's
 * `text` refuses. `coord` is the coordinate as fixed-width text (see rows.ts), so that under
 * COLLATE "C" rows sort in coordinate order. `sq_changes` holds the newest change record of each
 * scroll ever changed (a later change of a scroll replaces its record): enough to bring any older
 * copy up to date, and bounded by the scrolls, not by the writes.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE sq_phexts (
     tenant text COLLATE "C" NOT NULL,
     phext text COLLATE "C" NOT NULL,
     version bigint NOT NULL,
     size bigint NOT NULL,
     PRIMARY KEY (tenant, phext)
   );
   CREATE TABLE sq_scrolls (
     tenant text COLLATE "C" NOT NULL,
     phext text COLLATE "C" NOT NULL,
     coord text COLLATE "C" NOT NULL,
     text bytea NOT NULL,
     PRIMARY KEY (tenant, phext, coord)
   );
   CREATE TABLE sq_changes (
     tenant text COLLATE "C" NOT NULL,
     phext text COLLATE "C" NOT NULL,
     coord text COLLATE "C" NOT NULL,
     version bigint NOT NULL,
     kind text NOT NULL CHECK (kind IN ('insert', 'update', 'delete')),
     bytes integer NOT NULL,
     checksum text NOT NULL,
     text bytea NOT NULL,
     before text NOT NULL,
     PRIMARY KEY (tenant, phext, coord)
   );
   CREATE INDEX sq_changes_by_version ON sq_changes (tenant, phext, version);`,
  // The tenants of `sq host --store … --tenants-from-store`: a token only as its SHA-256. Every
  // change of the table raises the one counter of sq_tenants_version in its transaction, so a
  // server tells that something changed by reading one row, and sees the change once committed.
  `CREATE TABLE sq_tenants_version (
     one boolean PRIMARY KEY DEFAULT true CHECK (one),
     version bigint NOT NULL
   );
   INSERT INTO sq_tenants_version (version) VALUES (0);
   CREATE TABLE sq_tenants (
     name text COLLATE "C" PRIMARY KEY,
     token_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
     quota_mb double precision,
     webhooks jsonb NOT NULL DEFAULT '[]',
     version bigint NOT NULL
   );`,
  // When each phext last changed, for `list`; rows from before this migration have none.
  'ALTER TABLE sq_phexts ADD COLUMN modified timestamptz;',
];

/** Any number, the same in every SQ: the lock that keeps two servers from migrating at once. */
const MIGRATION_LOCK = 0x5351_0001;

/**
 * Brings the database's schema up to date: idempotent, and safe when several servers start
 * together (the first migrates, the others then find nothing to do). A schema newer than this
 * code is refused rather than used.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS sq_schema (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ at: number }>('SELECT coalesce(max(version), 0)::integer AS at FROM sq_schema');
    const at = rows[0]!.at;
    if (at > MIGRATIONS.length) {
      throw new Error(`the database's schema is at version ${at}, newer than this SQ knows (${MIGRATIONS.length}); refusing to use it`);
    }
    for (let v = at; v < MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v]!);
      await client.query('INSERT INTO sq_schema (version) VALUES ($1)', [v + 1]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** The schema version this code migrates to. */
export const SCHEMA_VERSION = MIGRATIONS.length;
