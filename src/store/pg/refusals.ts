import pg from 'pg';
import { StoreError } from '../document-store.js';
import type { DocumentKey } from '../document-key.js';

/** The first line of what went wrong: every refusal is one line. */
export const why = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];

/** The database answered (an SQL error), as opposed to a lost or refused connection. */
const answered = (cause: unknown) => cause instanceof pg.DatabaseError && cause.severity === 'ERROR';

/**
 * The database could not be used, as opposed to refusing the statement: a lost, refused or
 * timed-out connection, no primary reachable, or a host that is a standby now (read-only
 * transaction, 25006: a failover made it so). Try again: 503.
 */
export const unavailable = (cause: unknown): boolean =>
  cause instanceof StoreError ? cause.status === 503 : !answered(cause) || (cause as pg.DatabaseError).code === '25006';

/**
 * A COMMIT that failed this way was rolled back for sure: a serialization failure or deadlock
 * (class 40) or a deferred constraint (class 23). Anything else, a lost connection above all,
 * even one the server explained before closing it, may have committed.
 */
export const rolledBack = (cause: unknown) => answered(cause) && /^(40|23)/.test((cause as pg.DatabaseError).code ?? '');

const named = (key: DocumentKey) => JSON.stringify(key.name);

/** The StoreErrors of the PostgreSQL store: the database down is 503 (try again), an SQL error 500. */
export const pgRefusals = {
  readFailed: (key: DocumentKey, cause: unknown) =>
    new StoreError(`cannot read phext ${named(key)} from the database: ${why(cause)}`, unavailable(cause) ? 503 : 500, 'io'),
  notSaved: (key: DocumentKey, cause: unknown) =>
    new StoreError(
      `cannot save phext ${named(key)} in the database: ${why(cause)}; the change was not saved`,
      unavailable(cause) ? 503 : 500,
      'io',
    ),
  outcomeUnknown: (key: DocumentKey, cause: unknown) =>
    new StoreError(
      `the database connection was lost while committing phext ${named(key)} (${why(cause)}); the change may or may not be saved: read it to know`,
      503,
      'io',
    ),
};
