/**
 * The store's statements. Each read is one statement, so it sees one snapshot of the database:
 * the phext's row and the scrolls or records of that very version, never a mix.
 */

/** The phext's version and size, with every change record after $3 (none: one row of NULLs). */
export const CHANGES_AFTER = `
  SELECT p.version, p.size, c.coord, c.version AS changed, c.kind, c.bytes, c.checksum, c.text, c.before
  FROM sq_phexts p
  LEFT JOIN sq_changes c ON c.tenant = p.tenant AND c.phext = p.phext AND c.version > $3
  WHERE p.tenant = $1 AND p.phext = $2
  ORDER BY c.version, c.coord`;

/** The phext's version and size, with all its scrolls in coordinate order. */
export const WHOLE = `
  SELECT p.version, p.size, s.coord, s.text
  FROM sq_phexts p
  LEFT JOIN sq_scrolls s ON s.tenant = p.tenant AND s.phext = p.phext
  WHERE p.tenant = $1 AND p.phext = $2
  ORDER BY s.coord`;

/** Locks the phext's row until the transaction ends: one commit of a phext at a time, across servers. */
export const LOCK = 'SELECT version, size FROM sq_phexts WHERE tenant = $1 AND phext = $2 FOR UPDATE';

/** A phext's row at version 0, unless another server made it first; rolled back if the batch writes nothing. */
export const CREATE = 'INSERT INTO sq_phexts (tenant, phext, version, size) VALUES ($1, $2, 0, 0) ON CONFLICT DO NOTHING';

/**
 * One batch's writes in one round trip: its change records, then the scrolls they set and remove
 * (taken from the records, so each text crosses the wire once), the new version and size, and the
 * commit's announcement to the servers listening (`pg_notify` on channel $12 with payload $13,
 * sent only if the transaction commits). With $14, it returns the bytes of the tenant's other
 * phexts (`others`), for its quota: under TENANT_LOCK, taken before this statement began, so
 * that it counts every commit of theirs made before this one.
 */
export const WRITE = `
  WITH recorded AS (
    INSERT INTO sq_changes (tenant, phext, coord, version, kind, bytes, checksum, text, before)
    SELECT $1, $2, r.coord, r.version, r.kind, r.bytes, r.checksum, r.text, r.before
    FROM unnest($3::text[], $4::bigint[], $5::text[], $6::integer[], $7::text[], $8::bytea[], $9::text[])
      AS r(coord, version, kind, bytes, checksum, text, before)
    ON CONFLICT (tenant, phext, coord) DO UPDATE SET version = EXCLUDED.version, kind = EXCLUDED.kind,
      bytes = EXCLUDED.bytes, checksum = EXCLUDED.checksum, text = EXCLUDED.text, before = EXCLUDED.before
    RETURNING coord, kind, text
  ), kept AS (
    INSERT INTO sq_scrolls (tenant, phext, coord, text)
    SELECT $1, $2, coord, text FROM recorded WHERE kind <> 'delete'
    ON CONFLICT (tenant, phext, coord) DO UPDATE SET text = EXCLUDED.text
  ), deleted AS (
    DELETE FROM sq_scrolls WHERE tenant = $1 AND phext = $2 AND coord IN (SELECT coord FROM recorded WHERE kind = 'delete')
  ), notified AS (
    SELECT pg_notify($12, $13)
  )
  UPDATE sq_phexts SET version = $10, size = $11, modified = now() FROM notified WHERE tenant = $1 AND phext = $2
  RETURNING CASE WHEN $14::boolean THEN
    (SELECT coalesce(sum(o.size), 0) FROM sq_phexts o WHERE o.tenant = $1 AND o.phext <> $2)::text END AS others`;

/**
 * Held by a commit of a tenant under a quota until it ends: such commits, whichever their phext
 * and server, count the tenant's bytes one at a time (class 29553, "sq"; the tenant's hash).
 */
export const TENANT_LOCK = 'SELECT pg_advisory_xact_lock(29553, hashtext($1))';

/** The names of a tenant's phexts, in name order (`sq export`). */
export const NAMES = 'SELECT phext FROM sq_phexts WHERE tenant = $1 ORDER BY phext';

/** A tenant's phexts with their sizes, scroll counts, versions and last commits, in name order (`list`). */
export const LIST = `
  SELECT p.phext, p.version, p.size, p.modified,
    (SELECT count(*) FROM sq_scrolls s WHERE s.tenant = p.tenant AND s.phext = p.phext)::integer AS scrolls
  FROM sq_phexts p WHERE p.tenant = $1 ORDER BY p.phext`;
