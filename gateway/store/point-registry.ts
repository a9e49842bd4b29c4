/**
 * Point names are interned: readings carry a small integer instead of the full `<device>.<key>`
 * string, which keeps rows short and the (ts, point) index narrow. Every name is held in memory
 * (a site has thousands of points, not millions). Ids are SQLite rowids, small and dense, so
 * id → name is a plain array: a second Map of 10 000 entries was ~0.5 MB of live heap.
 */
import type { Db } from './schema.js';

export interface PointRegistry {
  idOf(name: string): number | undefined;
  nameOf(id: number): string | undefined;
  /** every point name the database has ever stored, configured now or not */
  names(): string[];
  /** Returns the id, inserting the name first if it is new. Must run inside a transaction. */
  intern(name: string): number;
  /** Forgets names interned since the last settle() (their transaction rolled back). */
  rollback(): void;
  settle(): void;
}

export function createPointRegistry(db: Db): PointRegistry {
  const ids = new Map<string, number>();
  const names: (string | undefined)[] = [];
  for (const row of db.prepare('SELECT id, name FROM points').raw().iterate() as Iterable<[number, string]>) {
    ids.set(row[1], row[0]);
    names[row[0]] = row[1];
  }
  const insert = db.prepare('INSERT INTO points (name) VALUES (?)');
  let fresh: string[] = [];

  return {
    idOf: (name) => ids.get(name),
    nameOf: (id) => (Number.isInteger(id) && id >= 0 ? names[id] : undefined),
    names: () => [...ids.keys()],
    intern(name) {
      const known = ids.get(name);
      if (known !== undefined) return known;
      const id = Number(insert.run(name).lastInsertRowid);
      ids.set(name, id);
      names[id] = name;
      fresh.push(name);
      return id;
    },
    rollback() {
      for (const name of fresh) {
        const id = ids.get(name);
        ids.delete(name);
        if (id !== undefined) names[id] = undefined;
      }
      fresh = [];
    },
    settle() {
      if (fresh.length > 0) fresh = [];
    },
  };
}
