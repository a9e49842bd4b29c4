/**
 * The single writer: assigns sequence numbers and runs every write transaction. Sequence numbers
 * are handed out here, in JS, because there is exactly one writer; the high-water marks in `meta`
 * are written in the same transaction so a number is never reused, even after retention deleted
 * every row that carried it.
 */
import type { Reading, Sample } from '../../core/types.js';
import type { Meta } from './meta.js';
import type { PointRegistry } from './point-registry.js';
import type { Db } from './schema.js';
import type { StoredEvent } from './types.js';
import { bindValue, qualityCode } from './value-codec.js';

export interface PendingEvent {
  ts: number;
  type: string;
  data: Record<string, unknown>;
}

export interface TxContext {
  addEvent(event: PendingEvent): StoredEvent;
}

export interface CommitResult {
  /** seq of samples[0]; samples[i] got firstSeq + i (without `keep`) */
  firstSeq: number;
  /**
   * With `keep` (report-by-exception): the seq samples[i] got, 0 for a sample that got no row.
   * Seqs are handed out to stored rows only, so they stay gap-free.
   */
  seqs?: Float64Array;
  /** rows written */
  stored: number;
  /** interned point id of samples[i] */
  pointIds: Int32Array;
  events: StoredEvent[];
}

export interface Writer {
  lastReadingSeq(): number;
  lastEventSeq(): number;
  /**
   * Commits the samples and events in one transaction; on failure nothing is consumed. With
   * `keep`, only samples[i] with keep[i] = 1 get a row (every sample's point is still interned).
   */
  commit(samples: readonly Sample[], events: readonly PendingEvent[], keep?: Uint8Array): CommitResult;
  /** Runs fn in one write transaction that may add events (retention uses it). */
  transact<T>(fn: (tx: TxContext) => T): { result: T; events: StoredEvent[] };
}

export function createWriter(db: Db, meta: Meta, points: PointRegistry): Writer {
  const maxReadingSeq = db.prepare('SELECT max(seq) FROM readings').pluck();
  const maxEventSeq = db.prepare('SELECT max(seq) FROM events').pluck();
  let nextReadingSeq = Math.max(meta.get('readings_hwm'), Number(maxReadingSeq.get() ?? 0)) + 1;
  let nextEventSeq = Math.max(meta.get('events_hwm'), Number(maxEventSeq.get() ?? 0)) + 1;

  const insertReading = db.prepare(
    'INSERT INTO readings (seq, ts, point, value, quality, reason) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertEvent = db.prepare('INSERT INTO events (seq, ts, type, data) VALUES (?, ?, ?, ?)');

  function run<T>(fn: (tx: TxContext) => T): { result: T; events: StoredEvent[] } {
    const readingSeqBefore = nextReadingSeq;
    const eventSeqBefore = nextEventSeq;
    const events: StoredEvent[] = [];
    const tx: TxContext = {
      addEvent(e) {
        const stored: StoredEvent = { seq: nextEventSeq, ts: e.ts, type: e.type, data: e.data };
        insertEvent.run(stored.seq, stored.ts, stored.type, JSON.stringify(stored.data));
        nextEventSeq++;
        events.push(stored);
        return stored;
      },
    };
    try {
      const result = db
        .transaction(() => {
          const value = fn(tx);
          if (nextReadingSeq !== readingSeqBefore) meta.set('readings_hwm', nextReadingSeq - 1);
          if (nextEventSeq !== eventSeqBefore) meta.set('events_hwm', nextEventSeq - 1);
          return value;
        })
        .immediate();
      points.settle();
      return { result, events };
    } catch (err) {
      // The transaction rolled back: hand the same numbers out again so seqs stay gap-free.
      nextReadingSeq = readingSeqBefore;
      nextEventSeq = eventSeqBefore;
      points.rollback();
      throw err;
    }
  }

  return {
    lastReadingSeq: () => nextReadingSeq - 1,
    lastEventSeq: () => nextEventSeq - 1,
    commit(samples, pending, keep) {
      const n = samples.length;
      const pointIds = new Int32Array(n);
      const firstSeq = nextReadingSeq;
      const seqs = keep ? new Float64Array(n) : undefined;
      const { events } = run((tx) => {
        for (const e of pending) tx.addEvent(e);
        for (let i = 0; i < n; i++) {
          const s = samples[i]!;
          const id = points.idOf(s.pointId) ?? points.intern(s.pointId);
          pointIds[i] = id;
          if (keep && keep[i] === 0) continue;
          if (seqs) seqs[i] = nextReadingSeq;
          insertReading.run(
            nextReadingSeq++,
            s.ts,
            id,
            bindValue(s.value),
            qualityCode(s.quality, s.value),
            s.reason ?? null,
          );
        }
      });
      return { firstSeq, pointIds, events, stored: nextReadingSeq - firstSeq, ...(seqs && { seqs }) };
    },
    transact: run,
  };
}

/**
 * The readings a commit produced, for subscribers: samples[i] got firstSeq + i, or seqs[i] when
 * given (0: committed to subscribers but not stored, see report-by-exception.ts).
 */
export function toReadings(samples: readonly Sample[], firstSeq: number, seqs?: Float64Array): Reading[] {
  const out = new Array<Reading>(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const seq = seqs ? seqs[i]! : firstSeq + i;
    const r: Reading = { seq, pointId: s.pointId, ts: s.ts, value: s.value, quality: s.quality };
    if (s.reason != null) r.reason = s.reason;
    out[i] = r;
  }
  return out;
}
