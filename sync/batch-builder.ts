/**
 * What a push target sends next: the batch after its cursor, events before readings, within the
 * target's current limits (which a 413 halves), encoded for its transport. While one batch is in
 * flight the next one can be read and encoded ahead; that prefetch is only used when it still
 * matches the cursor and the limits, else it is read again.
 *
 * It never moves the cursor: that belongs to the send loop (target-runner.ts), which passes it in
 * and, on an ack, tells the builder how far it got so the gaps skipped for good are counted.
 */
import type { Logger } from '../core/logger.js';
import type { Store, SyncStream } from '../gateway/store/types.js';
import type { Batch, BatchLimits, BatchReader } from './batch.js';
import type { Transport } from './transport.js';

/** A batch read and being encoded, with what it was read for (it is only good for exactly that). */
export interface PreparedBatch {
  stream: SyncStream;
  after: number;
  items: number;
  bytes: number;
  batch: Batch;
  payload: Promise<Buffer>;
}

export interface BatchBuilderOptions {
  store: Pick<Store, 'stats'>;
  reader: BatchReader;
  transport: Pick<Transport, 'encode'>;
  limits: BatchLimits;
  logger: Logger;
  /** the streams the target carries (default both) */
  streams?: readonly SyncStream[];
}

export interface BatchBuilder {
  /** The batch after the cursor, or undefined when every carried stream is sent; throws when the store fails. */
  next(cursor: Readonly<Record<SyncStream, number>>): PreparedBatch | undefined;
  /** Reads and encodes the batch after `batch` ahead of its ack; a store failure just means no prefetch. */
  prefetchAfter(batch: Batch): void;
  /** After a 413: halves the limits; false when the batch was one item and cannot be smaller. */
  shrink(batch: Batch): boolean;
  /** Takes an ack up to `upTo` (within the batch): counts the gaps it skipped for good; returns the items acked. */
  acked(batch: Batch, upTo: number): number;
  /** The current limits, for health. */
  limits(): Readonly<BatchLimits>;
  /** Seqs the target never got because retention deleted them first (a copy, for health). */
  gapSeqs(): Record<SyncStream, number>;
}

export function createBatchBuilder(opts: BatchBuilderOptions): BatchBuilder {
  const { store, reader, transport, logger } = opts;
  const limits: BatchLimits = { ...opts.limits };
  const gapSeqs: Record<SyncStream, number> = { events: 0, readings: 0 };
  const carries = new Set<SyncStream>(opts.streams ?? ['events', 'readings']);
  let prefetched: PreparedBatch | undefined;

  function pickStream(cursor: Readonly<Record<SyncStream, number>>): SyncStream | undefined {
    const stats = store.stats();
    if (carries.has('events') && stats.lastEventSeq > cursor.events) return 'events';
    if (carries.has('readings') && stats.lastReadingSeq > cursor.readings) return 'readings';
    return undefined;
  }

  function prepare(stream: SyncStream, after: number): PreparedBatch | undefined {
    const batch = reader.read(stream, after, limits);
    if (!batch) return undefined;
    const payload = transport.encode(batch);
    // Awaited when the batch is sent; a prefetch that is thrown away must not warn.
    payload.catch(() => undefined);
    return { stream, after, items: limits.items, bytes: limits.bytes, batch, payload };
  }

  function takePrefetched(stream: SyncStream, after: number): PreparedBatch | undefined {
    const p = prefetched;
    if (!p || p.stream !== stream) return undefined;
    prefetched = undefined;
    return p.after === after && p.items === limits.items && p.bytes === limits.bytes ? p : undefined;
  }

  return {
    next(cursor) {
      const stream = pickStream(cursor);
      if (!stream) return undefined;
      return takePrefetched(stream, cursor[stream]) ?? prepare(stream, cursor[stream]);
    },
    prefetchAfter(batch) {
      try {
        prefetched = prepare(batch.stream, batch.toSeq);
      } catch {
        prefetched = undefined;
      }
    },
    shrink(batch) {
      if (batch.count <= 1) return false;
      limits.items = Math.max(1, Math.min(limits.items, batch.count) >> 1);
      limits.bytes = Math.max(1024, limits.bytes >> 1);
      logger.warn('receiver refused the batch as too large; halving it', {
        stream: batch.stream,
        items: limits.items,
        bytes: limits.bytes,
      });
      return true;
    },
    acked(batch, upTo) {
      const { items, gapSeqs: skipped, gapSeqsAcked } = countAcked(batch, upTo);
      if (gapSeqsAcked > 0) {
        gapSeqs[batch.stream] += gapSeqsAcked;
        logger.warn('retention deleted data before this target got it; the batch declared the gap', {
          stream: batch.stream,
          gaps: batch.gaps,
          seqs: skipped,
        });
      }
      return items;
    },
    limits: () => limits,
    gapSeqs: () => ({ ...gapSeqs }),
  };
}

interface AckedCount {
  /** items the ack covers */
  items: number;
  /** seqs of the batch's declared gaps, all of them */
  gapSeqs: number;
  /** seqs of those gaps at or below the ack (now skipped for good) */
  gapSeqsAcked: number;
}

/** How much of a batch an ack up to `upTo` (within the batch) took: a partial ack counts seqs, minus gaps. */
function countAcked(batch: Batch, upTo: number): AckedCount {
  let gapSeqs = 0;
  let gapSeqsAcked = 0;
  for (const g of batch.gaps) {
    gapSeqs += g.toSeq - g.fromSeq + 1;
    if (g.fromSeq <= upTo) gapSeqsAcked += Math.min(g.toSeq, upTo) - g.fromSeq + 1;
  }
  const items = upTo === batch.toSeq ? batch.count : upTo - batch.fromSeq + 1 - gapSeqsAcked;
  return { items, gapSeqs, gapSeqsAcked };
}
