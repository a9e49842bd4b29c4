/**
 * Opening the database: connection pragmas and the schema migrations (PRAGMA user_version counts
 * the migrations applied).
 */
import Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { preparePrivateDbFile } from '../private-files.js';

export type Db = Database.Database;

export interface OpenOptions {
  /**
   * `full`: a commit is on disk before anyone hears of it (safe on power loss).
   * `normal`: in WAL mode a commit survives a crash or kill -9 but the last commits may be lost on
   * power loss; several times faster per commit.
   */
  synchronous: 'full' | 'normal';
  /** how long a write waits for a lock held by another connection (a backup, the sqlite3 CLI) */
  busyTimeoutMs: number;
  /** page cache per connection; kept modest for a Raspberry Pi */
  cacheKiB: number;
  logger: Logger;
}

/**
 * Each entry moves the schema one version up, in one transaction. Append only: never edit an entry
 * that has shipped.
 */
const MIGRATIONS: ((db: Db) => void)[] = [
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO meta (key, value) VALUES
        ('readings_hwm', 0), ('events_hwm', 0), ('latest_seq', 0),
        ('dropped_readings', 0), ('dropped_events', 0);
      CREATE TABLE points (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      -- value has no declared type so numbers, text and NULL keep their own storage class;
      -- quality packs the quality code with a boolean flag (see value-codec.ts).
      CREATE TABLE readings (
        seq INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        point INTEGER NOT NULL,
        value,
        quality INTEGER NOT NULL,
        reason TEXT
      );
      -- (ts, point), never (point, ts): inserts arrive in ts order, so this index only appends at
      -- its right edge (~800 k rows/s) where (point, ts) scatters writes (~130 k rows/s). History of
      -- one point is a ts range scan filtered by point inside the index.
      CREATE INDEX readings_ts_point ON readings (ts, point);
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE latest (
        point INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        value,
        quality INTEGER NOT NULL,
        reason TEXT
      );
    `);
  },
  // Sync cursors live beside the rows they point into: retention reads them in the transaction
  // that deletes, and the store stays the only writer of this file.
  (db) => {
    db.exec(`
      CREATE TABLE sync_cursors (
        target TEXT NOT NULL,
        stream TEXT NOT NULL CHECK (stream IN ('readings', 'events')),
        acked_seq INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (target, stream)
      ) WITHOUT ROWID;
    `);
  },
  // Per-minute rollups for trends (rollups.ts). WITHOUT ROWID on (point, minute): one point's range
  // is a direct lookup, and a pass writes each point's row once a minute, not per reading.
  (db) => {
    db.exec(`
      CREATE TABLE rollups_1m (
        point INTEGER NOT NULL,
        minute INTEGER NOT NULL,
        n INTEGER NOT NULL,
        vmin,
        vmax,
        vsum,
        PRIMARY KEY (point, minute)
      ) WITHOUT ROWID;
    `);
  },
  // Staging for the rollups (rollups.ts): keyed by (minute, point), so the 10 s writes append at
  // the right edge of the tree (a few pages) instead of touching a page per point in rollups_1m,
  // which then takes whole closed hours at once.
  (db) => {
    db.exec(`
      CREATE TABLE rollups_recent (
        minute INTEGER NOT NULL,
        point INTEGER NOT NULL,
        n INTEGER NOT NULL,
        vmin,
        vmax,
        vsum,
        PRIMARY KEY (minute, point)
      ) WITHOUT ROWID;
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDatabase(file: string, options: OpenOptions): Db {
  let db: Db;
  // Readings may be confidential to the site: the file (and its WAL) is 0600 whatever the umask.
  preparePrivateDbFile(file);
  try {
    db = new Database(file);
  } catch (err) {
    throw new GatewayError(`cannot open the database ${file}`, { cause: err });
  }
  try {
    configure(db, options);
    migrate(db, file);
  } catch (err) {
    db.close();
    if (err instanceof GatewayError) throw err;
    throw new GatewayError(`cannot prepare the database ${file}`, { cause: err });
  }
  return db;
}

/** WAL pages between automatic checkpoints (and the WAL size kept after one, at 4 KiB pages). */
const WAL_PAGES = 256;

function configure(db: Db, options: OpenOptions): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
  // Only takes effect before the first table exists; that is why it comes before the migrations.
  // Incremental mode lets the size budget hand freed pages back to the file system.
  db.pragma('auto_vacuum = INCREMENTAL');
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') options.logger.warn('the database cannot use WAL mode; commits will be slower', { mode });
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma(`cache_size = -${Math.max(256, Math.floor(options.cacheKiB))}`);
  // The WAL is space a full disk needs twice: its frames, and the pages a checkpoint adds to the
  // file before the WAL can be reused. At SQLite's default (1000 pages, 4 MiB) an SD card that
  // filled up needs megabytes freed before one commit goes through; 256 pages (1 MiB) bounds that,
  // at the cost of a checkpoint (one fsync) per MiB written. After a checkpoint the WAL file is
  // cut back to the same size instead of staying at its peak.
  db.pragma(`wal_autocheckpoint = ${WAL_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_PAGES * 4096}`);
  db.pragma('temp_store = MEMORY');
  if (db.pragma('auto_vacuum', { simple: true }) !== 2) {
    options.logger.warn('the database was created without incremental auto-vacuum; the size budget cannot shrink it');
  }
}

function migrate(db: Db, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new GatewayError(
      `${file} has schema version ${version}, newer than this gateway understands (${SCHEMA_VERSION}); upgrade the gateway`,
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    const step = MIGRATIONS[v]!;
    db.transaction(() => {
      step(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
