/**
 * Point names are interned: readings carry a small integer instead of the full `<device>.<key>`
 * string, which keeps rows short and the (ts, point) index narrow. Every name is held in memory
 * (a site has thousands of points, not millions).
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
  const names = new Map<number, string>();
  for (const row of db.prepare('SELECT id, name FROM points').raw().iterate() as Iterable<[number, string]>) {
    ids.set(row[1], row[0]);
    names.set(row[0], row[1]);
  }
  const insert = db.prepare('INSERT INTO points (name) VALUES (?)');
  let fresh: string[] = [];

  return {
    idOf: (name) => ids.get(name),
    nameOf: (id) => names.get(id),
    names: () => [...ids.keys()],
    intern(name) {
      const known = ids.get(name);
      if (known !== undefined) return known;
      const id = Number(insert.run(name).lastInsertRowid);
      ids.set(name, id);
      names.set(id, name);
      fresh.push(name);
      return id;
    },
    rollback() {
      for (const name of fresh) {
        const id = ids.get(name);
        ids.delete(name);
        if (id !== undefined) names.delete(id);
      }
      fresh = [];
    },
    settle() {
      if (fresh.length > 0) fresh = [];
    },
  };
}
