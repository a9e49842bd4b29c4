/**
 * Readings a time-series target left out, counted once per acknowledged batch. The counts of a
 * batch are made when it is encoded and kept beside it until its ack, so a batch sent three
 * times (lost acks, outages) still counts its skipped readings once.
 */
import type { Batch } from '../batch.js';
import { addSkips, type NumericBatch, noSkips, type SkippedReadings } from './numeric-samples.js';

export interface SkipLedger {
  /** remembers what `batch` left out (called by encode) */
  noted(batch: Batch, numeric: NumericBatch): void;
  /** the batch was acknowledged: its counts become part of the total (plus any the receiver dropped) */
  acked(batch: Batch, extra?: Partial<SkippedReadings>): void;
  totals(): SkippedReadings;
}

export function createSkipLedger(recount: (batch: Batch) => NumericBatch): SkipLedger {
  const pending = new WeakMap<Batch, SkippedReadings>();
  const totals = noSkips();
  return {
    noted(batch, numeric) {
      pending.set(batch, numeric.skipped);
    },
    acked(batch, extra) {
      // Not encoded by this transport (cannot happen in the runner): count it from the rows.
      const counts = pending.get(batch) ?? recount(batch).skipped;
      pending.delete(batch);
      addSkips(totals, counts);
      for (const [reason, n] of Object.entries(extra ?? {}) as [keyof SkippedReadings, number][]) totals[reason] += n;
    },
    totals: () => ({ ...totals }),
  };
}
