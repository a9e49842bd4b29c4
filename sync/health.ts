/** The `sync` section of GET /api/v1/health: every push target and pull consumer with its backlog. */
import type { SyncStream } from '../gateway/store/types.js';
import { type BacklogStore, backlogs, type StreamBacklog } from './backlog.js';
import type { TargetStatus } from './target-runner.js';

export interface TargetHealth extends TargetStatus {
  /** the backlog of each stream the target carries */
  streams: Partial<Record<SyncStream, StreamBacklog>>;
  /**
   * Streams the engine has no place for (events on Prometheus or Influx): not sent, not a backlog,
   * and not holding retention. `committed` is how many such items the gateway has (the last seq).
   */
  notApplicable: { stream: SyncStream; committed: number; reason: string }[];
}

export interface PullHealth {
  id: string;
  kind: 'pull';
  streams: Record<SyncStream, StreamBacklog>;
  /** ms epoch of the consumer's last ack that moved a cursor, null before the first */
  lastAck: number | null;
}

export interface SyncHealth {
  targets: TargetHealth[];
  pull: PullHealth[];
}

export function syncHealth(
  store: BacklogStore & { syncCursors(): { target: string; updatedAt: number }[] },
  targets: readonly TargetStatus[],
  pullTargets: readonly string[],
  now: number,
): SyncHealth {
  const cursors = pullTargets.length > 0 ? store.syncCursors() : [];
  return {
    targets: targets.map((t) => targetHealth(store, t, now)),
    pull: pullTargets.map((id) => {
      const mine = cursors.filter((c) => c.target === id);
      return {
        id,
        kind: 'pull' as const,
        streams: backlogs(store, id, now),
        lastAck: mine.length === 0 ? null : Math.max(...mine.map((c) => c.updatedAt)),
      };
    }),
  };
}

function targetHealth(store: BacklogStore, t: TargetStatus, now: number): TargetHealth {
  const all = backlogs(store, t.id, now);
  const streams: Partial<Record<SyncStream, StreamBacklog>> = {};
  const notApplicable: TargetHealth['notApplicable'] = [];
  for (const stream of ['events', 'readings'] as const) {
    if (t.carries.includes(stream)) streams[stream] = all[stream];
    else notApplicable.push({ stream, committed: all[stream].lastSeq, reason: `a ${t.kind} target keeps samples, not ${stream}` });
  }
  return { ...t, streams, notApplicable };
}
