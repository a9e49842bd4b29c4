/** How far behind a target is on one stream, from its cursor and the store (cheap: two seeks). */
import type { Store, SyncStream } from '../gateway/store/types.js';

export interface StreamBacklog {
  ackedSeq: number;
  /** last committed seq */
  lastSeq: number;
  /** seqs committed but not acknowledged (seqs retention deleted meanwhile included) */
  depth: number;
  /** ts of the oldest item not acknowledged, null when there is none */
  oldestUnsentTs: number | null;
  /** now − oldestUnsentTs, in seconds */
  oldestUnsentAgeS: number | null;
}

export type BacklogStore = Pick<Store, 'readingsAfter' | 'eventsAfter' | 'stats' | 'syncCursor'>;

export function streamBacklog(store: BacklogStore, target: string, stream: SyncStream, now: number): StreamBacklog {
  const ackedSeq = store.syncCursor(target, stream);
  const stats = store.stats();
  const lastSeq = stream === 'readings' ? stats.lastReadingSeq : stats.lastEventSeq;
  const oldest = lastSeq > ackedSeq ? (stream === 'readings' ? store.readingsAfter(ackedSeq, 1) : store.eventsAfter(ackedSeq, 1))[0] : undefined;
  const oldestUnsentTs = oldest?.ts ?? null;
  return {
    ackedSeq,
    lastSeq,
    depth: Math.max(0, lastSeq - ackedSeq),
    oldestUnsentTs,
    oldestUnsentAgeS: oldestUnsentTs === null ? null : Math.max(0, Math.round((now - oldestUnsentTs) / 100) / 10),
  };
}

export function backlogs(store: BacklogStore, target: string, now: number): Record<SyncStream, StreamBacklog> {
  return { events: streamBacklog(store, target, 'events', now), readings: streamBacklog(store, target, 'readings', now) };
}
