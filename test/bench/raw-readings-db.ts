/**
 * The baseline's storage: better-sqlite3 used directly, as someone would without the gateway's
 * store. Same table shape, (ts, point) index and pragmas as the store, so the difference in a
 * ratio is the store's own work (queueing, latest values, commit notifications).
 */
import Database from 'better-sqlite3';

export interface RawReadingsDb {
  add(ts: number, point: number, value: number): void;
  readonly pending: number;
  /** Inserts everything pending in one transaction. */
  commit(): void;
  /** rows committed so far */
  readonly committed: number;
  close(): void;
}

export function openRawReadingsDb(file: string, synchronous: 'full' | 'normal'): RawReadingsDb {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec(`
    CREATE TABLE readings (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, point INTEGER NOT NULL, value, quality INTEGER NOT NULL);
    CREATE INDEX readings_ts_point ON readings (ts, point);
  `);
  const insert = db.prepare('INSERT INTO readings (seq, ts, point, value, quality) VALUES (?, ?, ?, ?, 0)');
  let ts: number[] = [];
  let points: number[] = [];
  let values: number[] = [];
  let seq = 0;
  const write = db.transaction(() => {
    for (let i = 0; i < ts.length; i++) insert.run(++seq, ts[i], points[i], values[i]);
  });
  return {
    add(t, point, value) {
      ts.push(t);
      points.push(point);
      values.push(value);
    },
    get pending() {
      return ts.length;
    },
    commit() {
      if (ts.length === 0) return;
      write();
      ts = [];
      points = [];
      values = [];
    },
    get committed() {
      return seq;
    },
    close() {
      db.close();
    },
  };
}
