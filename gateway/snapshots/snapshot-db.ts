/**
 * snapshots.db: event snapshots in their own SQLite file beside gateway.db, so the store's
 * retention (age and size) never touches them; they have their own lifetime (acknowledged +
 * keepDays) and size budget. 0600 like every database file in the data folder.
 */
import Database from 'better-sqlite3';
import { preparePrivateDbFile } from '../private-files.js';

export type SnapshotDb = Database.Database;

const MIGRATIONS: ((db: SnapshotDb) => void)[] = [
  (db) => {
    db.exec(`
      CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('alarm', 'incident')),
        subject TEXT NOT NULL,
        severity TEXT NOT NULL,
        raised_at INTEGER NOT NULL,
        from_ts INTEGER NOT NULL,
        to_ts INTEGER NOT NULL,
        closed INTEGER NOT NULL DEFAULT 0,
        acked_at INTEGER,
        points TEXT NOT NULL,
        -- the highest store seq copied in: a later commit's readings all have higher seqs, so
        -- anything at or below it is already here (the catch-up copy and the feed never double)
        last_seq INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX snapshots_subject ON snapshots (kind, subject, raised_at);
      CREATE TABLE snapshot_points (
        snapshot INTEGER NOT NULL,
        point TEXT NOT NULL,
        name TEXT NOT NULL,
        unit TEXT,
        PRIMARY KEY (snapshot, point)
      ) WITHOUT ROWID;
      -- A point's readings in chunks: one per point for the copy at the raise, then one per point
      -- per commit. ts and value are arrays (float64 blobs, or JSON text: chunk-codec.ts): a
      -- 45,000-reading snapshot is 50 rows to write, not 45,000 (a row per reading cost ~3 µs each).
      CREATE TABLE snapshot_chunks (
        snapshot INTEGER NOT NULL,
        point TEXT NOT NULL,
        first_seq INTEGER NOT NULL,
        n INTEGER NOT NULL,
        ts TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (snapshot, point, first_seq)
      ) WITHOUT ROWID;
      CREATE TABLE snapshot_events (
        snapshot INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (snapshot, seq)
      ) WITHOUT ROWID;
    `);
  },
];

export function openSnapshotDb(file: string): SnapshotDb {
  preparePrivateDbFile(file);
  const db = new Database(file);
  // Before the first table: deleted snapshots give their pages back to the file system.
  if (db.pragma('user_version', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      MIGRATIONS[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}

/** Bytes the live pages take (free pages excluded): what the size budget counts. */
export function usedBytes(db: SnapshotDb): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * pageSize;
}
