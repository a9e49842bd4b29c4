/**
 * config.db: every applied site config as a version (number, hash of its text, time, who, from
 * where, what it changed, and the text itself, for a later rollback). Its own small file beside
 * gateway.db, 0600 like every database there; the text may hold literal secrets, so nothing
 * outside this file and the gateway's own process reads it.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { preparePrivateDbFile } from '../private-files.js';

/** where an applied config came from: the file at start, the API, a SIGHUP, a rollback, the central source (configSource) */
export type ConfigSource = 'file' | 'api' | 'sighup' | 'rollback' | 'central';

export interface ConfigVersion {
  n: number;
  /** sha256 of the YAML text, hex */
  hash: string;
  /** ms epoch */
  at: number;
  who: string;
  source: ConfigSource;
  /** what it changed (config/live/diff.ts's ConfigDiff, as JSON); null for the first version */
  diff: unknown;
  summary: string[];
}

export interface ConfigVersions {
  /** Records a version; returns its number. */
  record(entry: { text: string; who: string; source: ConfigSource; diff: unknown; summary: string[]; at?: number }): number;
  latest(): ConfigVersion | undefined;
  list(): ConfigVersion[];
  get(n: number): ConfigVersion | undefined;
  /** the stored YAML text of version n */
  text(n: number): string | undefined;
  close(): void;
}

export function hashConfigText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface Row {
  n: number;
  hash: string;
  at: number;
  who: string;
  source: ConfigSource;
  diff: string | null;
  summary: string;
}

const COLUMNS = 'n, hash, at, who, source, diff, summary';

export function openConfigVersions(file: string): ConfigVersions {
  preparePrivateDbFile(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL, not FULL: an fsync per apply would stall the pollers on this thread; WAL still never
  // corrupts, and the site file (written and fsynced) stays the truth after a power cut
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS versions (
    n INTEGER PRIMARY KEY, hash TEXT NOT NULL, at INTEGER NOT NULL, who TEXT NOT NULL,
    source TEXT NOT NULL, diff TEXT, summary TEXT NOT NULL, text TEXT NOT NULL)`);
  const insert = db.prepare('INSERT INTO versions (hash, at, who, source, diff, summary, text) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const latest = db.prepare(`SELECT ${COLUMNS} FROM versions ORDER BY n DESC LIMIT 1`);
  const all = db.prepare(`SELECT ${COLUMNS} FROM versions ORDER BY n DESC`);
  const one = db.prepare(`SELECT ${COLUMNS} FROM versions WHERE n = ?`);
  const textOf = db.prepare('SELECT text FROM versions WHERE n = ?');
  const fromRow = (r: Row): ConfigVersion => ({
    n: r.n,
    hash: r.hash,
    at: r.at,
    who: r.who,
    source: r.source,
    diff: r.diff === null ? null : (JSON.parse(r.diff) as unknown),
    summary: JSON.parse(r.summary) as string[],
  });
  return {
    record({ text, who, source, diff, summary, at = Date.now() }) {
      const info = insert.run(hashConfigText(text), at, who, source, diff === null || diff === undefined ? null : JSON.stringify(diff), JSON.stringify(summary), text);
      return Number(info.lastInsertRowid);
    },
    latest() {
      const r = latest.get() as Row | undefined;
      return r ? fromRow(r) : undefined;
    },
    list: () => (all.all() as Row[]).map(fromRow),
    get(n) {
      const r = one.get(n) as Row | undefined;
      return r ? fromRow(r) : undefined;
    },
    text: (n) => (textOf.get(n) as { text: string } | undefined)?.text,
    close: () => db.close(),
  };
}
