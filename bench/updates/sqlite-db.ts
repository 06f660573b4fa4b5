/**
 * The update bench's SQLite reference database: one table of scrolls, keyed by phext name and
 * coordinate (URL form), in WAL mode.
 */
import Database from 'better-sqlite3';
import { coordinateOf, scrollText, type PhextFixture } from '../http/fixtures.js';

export type ScrollsDb = Database.Database;

/** Opens (creating if need be) the database at `path` with its one table, in WAL mode. */
export function openScrolls(path: string): ScrollsDb {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS scrolls (phext TEXT, coordinate TEXT, text TEXT, PRIMARY KEY (phext, coordinate))');
  return db;
}

/**
 * Writes the fixture's scrolls (the same coordinates and texts as `writeFixture`'s phext) in one
 * transaction, then checkpoints, so the server starts from a database file without a WAL.
 */
export function seedScrolls(path: string, fixture: PhextFixture): void {
  const db = openScrolls(path);
  try {
    db.pragma('synchronous = OFF'); // a seed, not a measured write
    const insert = db.prepare('INSERT INTO scrolls (phext, coordinate, text) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < fixture.scrolls; i++) insert.run(fixture.name, coordinateOf(i), scrollText(i, fixture.scrollBytes));
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
