/**
 * Users and sessions live in their own SQLite file (`auth.db` in the data folder), not in the
 * readings database: the store is that file's single writer, and `gateway user add` must work from
 * a second process while the gateway runs. WAL lets both open it at once.
 */
import Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors.js';
import { preparePrivateDbFile } from '../private-files.js';

export type AuthDb = Database.Database;

/** Append only: each entry moves the schema one version up. */
const MIGRATIONS: ((db: AuthDb) => void)[] = [
  (db) => {
    db.exec(`
      CREATE TABLE users (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        role TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_login_at INTEGER,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER
      );
      -- Only a hash of the session id is kept: a copy of this file does not hand out sessions.
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user);
    `);
  },
];

export function openAuthDb(file: string): AuthDb {
  let db: AuthDb;
  // Password, session and token hashes: 0600 whatever the umask, also when a CLI command creates it.
  preparePrivateDbFile(file);
  try {
    db = new Database(file);
  } catch (err) {
    throw new GatewayError(`cannot open the user database ${file}`, { cause: err });
  }
  try {
    db.pragma('busy_timeout = 2000');
    db.pragma('journal_mode = WAL');
    // Users change rarely; a lost session on a power cut only means logging in again.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new GatewayError(`${file} has schema version ${version}, newer than this gateway understands; upgrade the gateway`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        MIGRATIONS[v]!(db);
        db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  } catch (err) {
    db.close();
    if (err instanceof GatewayError) throw err;
    throw new GatewayError(`cannot prepare the user database ${file}`, { cause: err });
  }
  return db;
}
