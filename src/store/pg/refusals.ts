import pg from 'pg';
import { StoreError } from '../document-store.js';
import type { DocumentKey } from '../document-key.js';

/** The first line of what went wrong: every refusal is one line. */
const why = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];

/** The database answered (an SQL error), as opposed to a lost or refused connection. */
const answered = (cause: unknown) => cause instanceof pg.DatabaseError && cause.severity === 'ERROR';

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
    new StoreError(`cannot read phext ${named(key)} from the database: ${why(cause)}`, answered(cause) ? 500 : 503, 'io'),
  notSaved: (key: DocumentKey, cause: unknown) =>
    new StoreError(
      `cannot save phext ${named(key)} in the database: ${why(cause)}; the change was not saved`,
      answered(cause) ? 500 : 503,
      'io',
    ),
  outcomeUnknown: (key: DocumentKey, cause: unknown) =>
    new StoreError(
      `the database connection was lost while committing phext ${named(key)} (${why(cause)}); the change may or may not be saved: read it to know`,
      503,
      'io',
    ),
};
