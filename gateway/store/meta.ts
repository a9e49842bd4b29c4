/** Small counters kept in the `meta` table, written in the same transaction as the rows they describe. */
import type { Db } from './schema.js';

export type MetaKey = 'readings_hwm' | 'events_hwm' | 'latest_seq' | 'dropped_readings' | 'dropped_events' | 'rollup_seq';

export interface Meta {
  get(key: MetaKey): number;
  set(key: MetaKey, value: number): void;
}

export function createMeta(db: Db): Meta {
  const select = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const upsert = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return {
    get: (key) => Number((select.get(key) as number | undefined) ?? 0),
    set: (key, value) => {
      upsert.run(key, value);
    },
  };
}
