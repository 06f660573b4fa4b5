/**
 * The update bench's SQLite reference database: one table of scrolls, keyed by phext name and
 * coordinate (URL form), in WAL mode.
 */
import Database from 'better-sqlite3';

export type ScrollsDb = Database.Database;

/** Opens (creating if need be) the database at `path` with its one table, in WAL mode. */
export function openScrolls(path: string): ScrollsDb {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS scrolls (phext TEXT, coordinate TEXT, text TEXT, PRIMARY KEY (phext, coordinate))');
  return db;
}
