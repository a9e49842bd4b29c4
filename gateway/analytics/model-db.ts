/**
 * analytics.db: the fitted baselines, one row per point, so a restart judges at once with the
 * models it had instead of refitting 1 000 points from the store (and a point still training
 * keeps what it learnt). Its own small file beside gateway.db, 0600 like every database there.
 */
import Database from 'better-sqlite3';
import { preparePrivateDbFile } from '../private-files.js';
import type { SerializedBaseline } from './types.js';

export interface ModelDb {
  load(): Map<string, SerializedBaseline>;
  save(point: string, model: SerializedBaseline): void;
  /** forgets a point's model (no longer analysed, or its spec changed) */
  remove(point: string): void;
  close(): void;
}

export function openModelDb(file: string): ModelDb {
  preparePrivateDbFile(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // a lost last refit after a power cut is refitted again; no fsync per point
  db.pragma('synchronous = NORMAL');
  // one upsert per refit, one read at start: SQLite's default 2 MB page cache would only hold the
  // models read at start, in the RSS of a process that keeps them parsed anyway
  db.pragma('cache_size = -256');
  db.exec('CREATE TABLE IF NOT EXISTS models (point TEXT PRIMARY KEY, fitted_at INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID');
  const remove = db.prepare('DELETE FROM models WHERE point = ?');
  const upsert = db.prepare('INSERT INTO models (point, fitted_at, data) VALUES (?, ?, ?) ON CONFLICT (point) DO UPDATE SET fitted_at = excluded.fitted_at, data = excluded.data');
  return {
    load() {
      const models = new Map<string, SerializedBaseline>();
      for (const row of db.prepare('SELECT point, data FROM models').all() as { point: string; data: string }[]) {
        try {
          models.set(row.point, JSON.parse(row.data) as SerializedBaseline);
        } catch {
          // an unreadable row is refitted from the store
        }
      }
      return models;
    },
    save(point, model) {
      upsert.run(point, model.fittedAt, JSON.stringify(model));
    },
    remove(point) {
      remove.run(point);
    },
    close() {
      db.close();
    },
  };
}
