/** The `sync` section of GET /api/v1/health: every push target and pull consumer with its backlog. */
import type { SyncStream } from '../gateway/store/types.js';
import { type BacklogStore, backlogs, type StreamBacklog } from './backlog.js';
import type { TargetStatus } from './target-runner.js';

export interface TargetHealth extends TargetStatus {
  streams: Record<SyncStream, StreamBacklog>;
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
    targets: targets.map((t) => ({ ...t, streams: backlogs(store, t.id, now) })),
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
