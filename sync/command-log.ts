/**
 * The EMS command ids a gateway has seen, with the answer each got, so a repeated id is answered
 * again and never executed twice (MQTT QoS 1 delivers at least once, and an EMS that lost the
 * answer resends). It survives restarts.
 *
 * Its own SQLite file (`sync-commands.db` in the data folder), not a table in `gateway.db`: the
 * store is that file's single writer and batches its commits, while a command must be marked
 * *before* its write runs and the mark must be on disk (synchronous FULL) by then. A second file
 * gives that without touching the store's writer or competing for its write lock, and commands are
 * rare enough that a second small database costs nothing.
 */
import Database from 'better-sqlite3';
import { GatewayError } from '../core/errors.js';
import { preparePrivateDbFile } from '../gateway/private-files.js';

/** Ids kept per target; older ones are forgotten (a resend that late executes again). */
export const COMMAND_LOG_KEEP = 1000;

export type LoggedCommand =
  /** executed (or found interrupted); `answer` is the JSON published on commands/result */
  | { state: 'answered'; answer: string }
  /** marked before its write ran, never answered: the gateway stopped in between */
  | { state: 'pending' };

export interface CommandLog {
  find(target: string, id: string): LoggedCommand | undefined;
  /** Marks `id` as running, durably, before its write is attempted. */
  begin(target: string, id: string, at: number): void;
  /** Records the answer (also for an id found pending), forgetting the oldest beyond `keep`. */
  answer(target: string, id: string, answer: string, at: number): void;
  close(): void;
}

export function openCommandLog(file: string, keep = COMMAND_LOG_KEEP): CommandLog {
  preparePrivateDbFile(file);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new GatewayError(`cannot open the EMS command log ${file}`, { cause: err });
  }
  try {
    db.pragma('busy_timeout = 2000');
    db.pragma('journal_mode = WAL');
    // The pending mark must survive a power cut that hits while the device is being written.
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS sync_commands (
        target TEXT NOT NULL,
        id TEXT NOT NULL,
        answer TEXT,
        received_at INTEGER NOT NULL,
        answered_at INTEGER,
        PRIMARY KEY (target, id)
      );
    `);
  } catch (err) {
    db.close();
    throw new GatewayError(`cannot prepare the EMS command log ${file}`, { cause: err });
  }
  const select = db.prepare<[string, string], { answer: string | null }>('SELECT answer FROM sync_commands WHERE target = ? AND id = ?');
  const insert = db.prepare('INSERT OR IGNORE INTO sync_commands (target, id, answer, received_at) VALUES (?, ?, NULL, ?)');
  const upsert = db.prepare(
    `INSERT INTO sync_commands (target, id, answer, received_at, answered_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (target, id) DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at`,
  );
  // rowid follows insertion order: everything older than the newest `keep` of this target goes.
  const prune = db.prepare(
    `DELETE FROM sync_commands WHERE target = ? AND rowid <= (
       SELECT rowid FROM sync_commands WHERE target = ? ORDER BY rowid DESC LIMIT 1 OFFSET ?)`,
  );
  const recordAnswer = db.transaction((target: string, id: string, answer: string, at: number) => {
    upsert.run(target, id, answer, at, at);
    prune.run(target, target, keep);
  });
  return {
    find(target, id) {
      const row = select.get(target, id);
      if (!row) return undefined;
      return row.answer === null ? { state: 'pending' } : { state: 'answered', answer: row.answer };
    },
    begin(target, id, at) {
      insert.run(target, id, at);
    },
    answer(target, id, answer, at) {
      recordAnswer(target, id, answer, at);
    },
    close() {
      db.close();
    },
  };
}
