/**
 * Retention: readings older than maxAgeDays go first, then, if the database is over its size
 * budget, the oldest readings by seq until it fits. Each chunk is its own short transaction that
 * also writes a `retention.dropped` event naming the exact seq range, so nothing disappears
 * silently and the writer is never blocked for long.
 *
 * Events (alarm history, earlier drops) are not removed by age, and the size budget only removes
 * them once no reading is left: they are small and they are the audit trail.
 *
 * Sync cooperation: age never deletes a reading above `holdSeq()` (the lowest seq every upstream
 * target has acknowledged), so a WAN outage longer than maxAgeDays loses nothing. Only the size
 * budget overrides that, because a full disk would stop every commit; its drop event names the
 * exact range and the next sync batch declares it as a gap.
 *
 * The work is a generator of chunk-sized steps: the timer runs one step per event-loop turn, an
 * explicit call runs them all at once.
 */
import { statSync } from 'node:fs';
import type { Logger } from '../../core/logger.js';
import type { AgeLimit } from './age-guard.js';
import type { Meta } from './meta.js';
import type { Db } from './schema.js';
import type { StoredEvent } from './types.js';
import type { Writer } from './writer.js';

export interface RetentionPolicy {
  /** 0 keeps readings forever */
  maxAgeDays: number;
  /** 0 means no size budget */
  maxSizeMB: number;
  /** after a wall-clock step, the share (0..1) of the readings one age pass may delete (age-guard.ts); default 0.1 */
  maxShareAfterStep?: number;
}

export interface RetentionDeps {
  db: Db;
  file: string;
  writer: Writer;
  meta: Meta;
  policy: RetentionPolicy;
  /** rows per deletion transaction */
  chunk: number;
  logger: Logger;
  now: () => number;
  /** runs once before the first deletion of a pass (the store checkpoints its latest view) */
  beforeDelete(): void;
  /** after each deletion commits */
  dropped(stream: 'readings' | 'events', count: number, events: StoredEvent[]): void;
  /** highest reading seq age retention may delete (what every sync target has acknowledged) */
  holdSeq(): number;
  /** the clock-step guard (age-guard.ts), asked once per pass; absent: timestamps are trusted */
  ageLimit?: (now: number) => AgeLimit;
}

const DAY_MS = 86_400_000;
export const DEFAULT_SHARE_AFTER_STEP = 0.1;
/** Delete down to this share of the budget so the next pass does not start again at once. */
const SIZE_TARGET = 0.9;

type Stream = 'readings' | 'events';
type Agg = [min: number | null, max: number | null, count: number];

export function createRetention(deps: RetentionDeps) {
  const { db, writer, meta, chunk } = deps;
  // The seq bound is checked inside the (ts, point) index: its entries carry the rowid, which is seq.
  const tsBoundary = db.prepare('SELECT ts FROM readings WHERE ts < ? AND seq <= ? ORDER BY ts LIMIT 1 OFFSET ?').pluck();
  const tsMaxBelow = db.prepare('SELECT max(ts) FROM readings WHERE ts < ? AND seq <= ?').pluck();
  const tsAgg = db.prepare('SELECT min(seq), max(seq), count(*) FROM readings WHERE ts <= ? AND seq <= ?').raw();
  const tsDelete = db.prepare('DELETE FROM readings WHERE ts <= ? AND seq <= ?');
  const bySeq = {
    readings: seqStatements('readings'),
    events: seqStatements('events'),
  };

  function seqStatements(table: Stream) {
    return {
      boundary: db.prepare(`SELECT seq FROM ${table} ORDER BY seq LIMIT 1 OFFSET ?`).pluck(),
      max: db.prepare(`SELECT max(seq) FROM ${table}`).pluck(),
      span: db.prepare(`SELECT min(seq), max(seq) FROM ${table}`).raw(),
      agg: db.prepare(`SELECT min(seq), max(seq), count(*) FROM ${table} WHERE seq <= ?`).raw(),
      del: db.prepare(`DELETE FROM ${table} WHERE seq <= ?`),
    };
  }

  const pragmaNumber = (name: string) => Number(db.pragma(name, { simple: true }));

  function walBytes(): number {
    try {
      return statSync(`${deps.file}-wal`).size;
    } catch {
      return 0;
    }
  }

  /** Pages holding data (free pages excluded) plus the WAL: what the budget is measured against. */
  function usedBytes(): number {
    return (pragmaNumber('page_count') - pragmaNumber('freelist_count')) * pragmaNumber('page_size') + walBytes();
  }

  function liveBytes(): number {
    return (pragmaNumber('page_count') - pragmaNumber('freelist_count')) * pragmaNumber('page_size');
  }

  /** Deletes one chunk and records it; returns the number of rows deleted. */
  function dropChunk(stream: Stream, reason: 'age' | 'size', agg: () => Agg, del: () => void): number {
    const { result, events } = writer.transact((tx) => {
      const [fromSeq, toSeq, count] = agg();
      if (count === 0 || fromSeq === null || toSeq === null) return 0;
      del();
      const key = stream === 'readings' ? 'dropped_readings' : 'dropped_events';
      meta.set(key, meta.get(key) + count);
      tx.addEvent({ ts: deps.now(), type: 'retention.dropped', data: { reason, stream, fromSeq, toSeq, count } });
      return count;
    });
    if (result > 0) {
      deps.dropped(stream, result, events);
      deps.logger.info('retention dropped rows', { ...events[0]?.data });
    }
    return result;
  }

  /**
   * Rows to drop to get `excess` bytes back, from the average row size (seq span as the row count:
   * exact without age gaps, and cheap where count(*) is not), so a small budget is not overshot
   * by a whole chunk.
   */
  function rowsFor(stream: Stream, excess: number, live: number): number {
    const [lo, hi] = bySeq[stream].span.get() as [number | null, number | null];
    if (lo === null || hi === null) return chunk;
    const perRow = live / (hi - lo + 1);
    return Math.max(1, Math.min(chunk, Math.ceil(excess / perRow)));
  }

  function dropOldestBySeq(stream: Stream, rows: number): number {
    const s = bySeq[stream];
    const boundary = (s.boundary.get(rows - 1) ?? s.max.get()) as number | null | undefined;
    if (boundary == null) return 0;
    return dropChunk(
      stream,
      'size',
      () => s.agg.get(boundary) as Agg,
      () => s.del.run(boundary),
    );
  }

  function* ageSteps(now: number, started: () => void): Generator<void, void> {
    if (!(deps.policy.maxAgeDays > 0)) return;
    const cutoff = now - deps.policy.maxAgeDays * DAY_MS;
    const limit = deps.ageLimit?.(now);
    const hold = Math.min(deps.holdSeq(), limit?.holdSeq ?? Number.MAX_SAFE_INTEGER);
    let left = limit?.maxRows ?? Number.POSITIVE_INFINITY;
    for (;;) {
      const rows = Math.max(1, Math.min(chunk, left));
      const boundary = (tsBoundary.get(cutoff, hold, rows - 1) ?? tsMaxBelow.get(cutoff, hold)) as number | null | undefined;
      if (boundary == null) return;
      if (left < 1) {
        deps.logger.warn('the wall clock stepped: this age pass stops at storage.retention.maxShareAfterStep of the readings; the next pass goes on', { share: deps.policy.maxShareAfterStep ?? DEFAULT_SHARE_AFTER_STEP });
        return;
      }
      started();
      const n = dropChunk(
        'readings',
        'age',
        () => tsAgg.get(boundary, hold) as Agg,
        () => tsDelete.run(boundary, hold),
      );
      if (n === 0) return;
      left -= n;
      yield;
    }
  }

  /**
   * The size rule. Deleting writes to the WAL too, and on a full disk that WAL has to fit in what
   * the budget leaves: so each chunk is sized to half the gap between the budget and the deletion
   * target (10 % of the budget), the WAL is checkpointed after every chunk (its frames are reused,
   * it does not grow), and the freed pages leave the file by bounded incremental vacuums, each
   * followed by a checkpoint. One deletion never needs more free space than that gap.
   */
  function* sizeSteps(started: () => void): Generator<void, void> {
    if (!(deps.policy.maxSizeMB > 0)) return;
    const budget = deps.policy.maxSizeMB * 1024 * 1024;
    if (usedBytes() <= budget) return;
    // A long WAL alone can push us over; giving it back costs no data.
    checkpointWal();
    if (usedBytes() <= budget) return;
    const target = budget * SIZE_TARGET;
    const stepBytes = Math.max(64 * 1024, (budget - target) / 2);
    let droppedAny = false;
    for (let live = liveBytes(); live > target; live = liveBytes()) {
      started();
      const rows = Math.min(rowsFor('readings', live - target, live), rowsFor('readings', stepBytes, live));
      const n = dropOldestBySeq('readings', rows) || dropOldestBySeq('events', chunk);
      if (n === 0) {
        deps.logger.warn('the size budget is smaller than an empty database', { maxSizeMB: deps.policy.maxSizeMB });
        break;
      }
      droppedAny = true;
      checkpointWal();
      yield;
    }
    if (droppedAny) {
      // Freed pages only leave the file after an incremental vacuum and a WAL checkpoint; the
      // vacuum moves pages (WAL writes), so it too goes in bounded steps.
      const pages = Math.max(16, Math.floor(stepBytes / pragmaNumber('page_size')));
      while (pragmaNumber('freelist_count') > 0) {
        const before = pragmaNumber('freelist_count');
        db.pragma(`incremental_vacuum(${pages})`);
        checkpointWal();
        if (pragmaNumber('freelist_count') >= before) break;
        yield;
      }
      const after = usedBytes();
      if (after > budget) deps.logger.warn('database still over its size budget', { bytes: after, budget });
    }
  }

  function checkpointWal(): void {
    const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (row && row.busy !== 0) deps.logger.debug('WAL checkpoint could not finish: a reader holds it');
  }

  return {
    usedBytes,
    /** One pass of the policy as chunk-sized steps. */
    *steps(now: number): Generator<void, void> {
      let prepared = false;
      const started = () => {
        if (!prepared) deps.beforeDelete();
        prepared = true;
      };
      yield* ageSteps(now, started);
      yield* sizeSteps(started);
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;
