/**
 * The store's read side: what the dashboard, the alarms and upstream sync ask of it. The
 * latest-value view answers from memory; the rest reads the database through its own modules.
 * Sync cursors sit here too: they are the readers' own bookkeeping of how far they have read.
 */
import type { LatestView } from './latest-view.js';
import type { PointRegistry } from './point-registry.js';
import type { Queries } from './queries.js';
import type { Rollups } from './rollups.js';
import type { SyncCursors } from './sync-cursors.js';
import type { Store } from './types.js';
import type { Writer } from './writer.js';

export type ReadSide = Pick<
  Store,
  | 'latest'
  | 'latestOf'
  | 'storedPoints'
  | 'history'
  | 'historyOfPoints'
  | 'readingsAfter'
  | 'eventsAfter'
  | 'syncCursor'
  | 'advanceSyncCursor'
  | 'syncCursors'
  | 'rollups'
  | 'rollUp'
>;

export interface ReadSideDeps {
  latest: LatestView;
  points: PointRegistry;
  queries: Queries;
  cursors: SyncCursors;
  rollups: Rollups;
  writer: Writer;
  /** Throws once the store is closed: the database behind these reads is gone then. */
  assertOpen(): void;
}

export function createReadSide(deps: ReadSideDeps): ReadSide {
  const { latest, points, queries, cursors, rollups, writer, assertOpen } = deps;
  return {
    latest: () => latest.all(),
    latestOf: (pointId) => latest.of(pointId),
    storedPoints: () => points.names(),
    history(pointId, from, to, limit = 10_000) {
      assertOpen();
      return queries.history(pointId, from, to, limit);
    },
    historyOfPoints(pointIds, from, to, limit = 1_000_000) {
      assertOpen();
      return queries.historyOfPoints(pointIds, from, to, limit);
    },
    readingsAfter(after, limit) {
      assertOpen();
      return queries.readingsAfter(after, limit);
    },
    eventsAfter(after, limit) {
      assertOpen();
      return queries.eventsAfter(after, limit);
    },
    syncCursor(target, stream) {
      assertOpen();
      return cursors.get(target, stream);
    },
    advanceSyncCursor(target, stream, seq) {
      assertOpen();
      return cursors.advance(target, stream, seq);
    },
    syncCursors() {
      assertOpen();
      return cursors.all();
    },
    rollups(pointId, from, to, bucketMs) {
      assertOpen();
      return rollups.query(pointId, from, to, bucketMs);
    },
    rollUp() {
      assertOpen();
      rollups.catchUp(writer.lastReadingSeq());
    },
  };
}
