/**
 * Sync cursors: how far each upstream target has acknowledged each stream. They sit in the store's
 * own database (not a side file) so a cursor moves through the single writer, in its own short
 * transaction, and retention can ask what every target still needs before it deletes.
 */
import { GatewayError } from '../../core/errors.js';
import type { Db } from './schema.js';
import type { SyncCursor, SyncStream } from './types.js';
import type { Writer } from './writer.js';

export interface SyncCursors {
  get(target: string, stream: SyncStream): number;
  advance(target: string, stream: SyncStream, seq: number): number;
  all(): SyncCursor[];
  /** Lowest acknowledged reading seq over `targets` (a target that never acked counts as 0). */
  readingsFloor(targets: readonly string[]): number;
}

export function createSyncCursors(db: Db, writer: Writer, now: () => number): SyncCursors {
  const select = db.prepare('SELECT acked_seq FROM sync_cursors WHERE target = ? AND stream = ?').pluck();
  // max() in the upsert: a cursor never moves back, whatever order acks arrive in.
  const upsert = db.prepare(
    `INSERT INTO sync_cursors (target, stream, acked_seq, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (target, stream) DO UPDATE SET
       acked_seq = max(acked_seq, excluded.acked_seq),
       updated_at = CASE WHEN excluded.acked_seq > acked_seq THEN excluded.updated_at ELSE updated_at END`,
  );
  const selectAll = db.prepare('SELECT target, stream, acked_seq, updated_at FROM sync_cursors ORDER BY target, stream').raw();

  const get = (target: string, stream: SyncStream) => Number((select.get(target, stream) as number | undefined) ?? 0);

  return {
    get,
    advance(target, stream, seq) {
      if (!Number.isSafeInteger(seq) || seq < 0) throw new GatewayError(`sync cursor ${target}/${stream}: ${seq} is not a seq`);
      const last = stream === 'readings' ? writer.lastReadingSeq() : writer.lastEventSeq();
      if (seq > last) throw new GatewayError(`sync cursor ${target}/${stream}: ${seq} is beyond the last committed seq ${last}`);
      return writer.transact(() => {
        upsert.run(target, stream, seq, now());
        return get(target, stream);
      }).result;
    },
    all() {
      return (selectAll.all() as [string, SyncStream, number, number][]).map(([target, stream, ackedSeq, updatedAt]) => ({
        target,
        stream,
        ackedSeq,
        updatedAt,
      }));
    },
    readingsFloor(targets) {
      let floor = Number.MAX_SAFE_INTEGER;
      for (const t of targets) floor = Math.min(floor, get(t, 'readings'));
      return floor;
    },
  };
}
