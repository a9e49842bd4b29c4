/**
 * One push target: a loop that sends the next batch after the target's cursor, waits for the ack,
 * moves the cursor (in a store transaction) and goes on. Events drain before readings, and there
 * is one batch in flight per target, so each stream arrives in seq order.
 *
 * Failures never lose a place: the cursor only moves on an ack, so whatever was in flight is sent
 * again (the receiver drops seqs it already has). Transient failures back off exponentially with
 * jitter; a refused login or a permanent answer is shown in health and retried slowly; a 413
 * halves the batch. What to send next (and the limits, the prefetch, the gaps) is batch-builder.ts.
 */
import { backoffDelay } from '../core/backoff.js';
import { monotonicOf } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { scrubUrls } from '../core/redact-url.js';
import type { Store, SyncStream } from '../gateway/store/types.js';
import type { Batch, BatchLimits, BatchReader } from './batch.js';
import { createBatchBuilder, type PreparedBatch } from './batch-builder.js';
import type { RetryPolicy, SyncTargetKind } from './config-schema.js';
import { createRateWindow } from './rate-window.js';
import { type TargetError, type TargetState, type TargetStatus, withConnectionProblem } from './target-status.js';
import type { SendOutcome, Transport } from './transport.js';

export type SyncStore = Pick<
  Store,
  'readingsAfter' | 'eventsAfter' | 'stats' | 'onCommit' | 'syncCursor' | 'advanceSyncCursor' | 'syncCursors'
>;

// The status types live with the health overlay; exported from here too, where callers import them.
export type { TargetError, TargetState, TargetStatus } from './target-status.js';

export interface TargetRunnerOptions {
  id: string;
  kind: SyncTargetKind;
  url: string;
  /**
   * The streams this engine has a place for (default both). A time-series database keeps samples,
   * not events: its target never reads the events stream, and health says so instead of showing a backlog.
   */
  streams?: readonly SyncStream[];
  store: SyncStore;
  reader: BatchReader;
  transport: Transport;
  limits: BatchLimits;
  retry: RetryPolicy;
  logger: Logger;
  /** wall clock: lastSuccess, lastError.at, nextAttemptAt (shown times) */
  now?: () => number;
  /** monotonic clock: the send-rate window (gateway/clock.ts) */
  monoNow?: () => number;
  random?: () => number;
}

export interface TargetRunner {
  start(): void;
  /** Ends the loop; a batch in flight is abandoned (and sent again on the next start). */
  stop(): Promise<void>;
  status(): TargetStatus;
}

const ALL_STREAMS: readonly SyncStream[] = ['events', 'readings'];

export function createTargetRunner(opts: TargetRunnerOptions): TargetRunner {
  const { id, store, reader, transport, retry, logger } = opts;
  // Events first, always: keep the fixed order whatever order the option lists them in.
  const streams = ALL_STREAMS.filter((s) => (opts.streams ?? ALL_STREAMS).includes(s));
  const builder = createBatchBuilder({ store, reader, transport, limits: opts.limits, logger, streams });
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  // The send rate is a window of elapsed time: on the monotonic clock, so a wall-clock step does not empty it.
  const rate = createRateWindow(60, monotonicOf(opts));
  const abort = new AbortController();
  const cursor: Record<SyncStream, number> = { events: 0, readings: 0 };

  let state: TargetState = 'idle';
  let running: Promise<void> | undefined;
  let lastSuccess: number | null = null;
  let lastError: TargetError | null = null;
  let lastFailure: TargetError | null = null;
  let failures = 0;
  let nextAttemptAt: number | null = null;
  let failedBatches = 0;
  const sent = { batches: 0, items: 0, wireBytes: 0 };

  // Woken by every commit (new data) and by stop().
  let dirty = true;
  let wake: (() => void) | undefined;
  const unsubscribe = store.onCommit(() => {
    dirty = true;
    wake?.();
  });

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (abort.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      abort.signal.addEventListener('abort', done);
    });
  }

  function untilCommit(): Promise<void> {
    return new Promise((resolve) => {
      if (dirty || abort.signal.aborted) return resolve();
      wake = () => {
        wake = undefined;
        resolve();
      };
    });
  }

  async function loop(): Promise<void> {
    for (const s of streams) cursor[s] = store.syncCursor(id, s);
    while (!abort.signal.aborted) {
      dirty = false;
      let current: PreparedBatch | undefined;
      try {
        current = builder.next(cursor);
      } catch (err) {
        // The store is failing (closed, disk); nothing was sent, try again later.
        await failed({ ok: false, kind: 'retry', message: `cannot read the outbox: ${errorMessage(err)}` });
        continue;
      }
      if (!current) {
        state = 'idle';
        await untilCommit();
        continue;
      }
      state = 'sending';
      const { batch } = current;
      let payload: Buffer;
      try {
        payload = await current.payload;
      } catch (err) {
        await failed({ ok: false, kind: 'retry', message: `cannot encode the batch: ${errorMessage(err)}` }, batch);
        continue;
      }
      const sending = transport.send(batch, payload, abort.signal);
      if (batch.toSeq < batch.lastSeq) {
        // While the receiver works on this batch, read and compress the next one (still one in
        // flight: it is only sent after this one's ack). Let the request go out first.
        await new Promise((resolve) => setImmediate(resolve));
        builder.prefetchAfter(batch);
      }
      const outcome = await sending;
      if (abort.signal.aborted) break;
      const problem = outcome.ok ? acked(batch, outcome.ackSeq, outcome.wireBytes) : outcome;
      if (problem) await failed(problem, batch);
    }
    state = 'stopped';
  }

  type Failure = Extract<SendOutcome, { ok: false }>;

  /** Moves the cursor to the ack; returns the problem when the ack cannot be taken. */
  function acked(batch: Batch, ackSeq: number, wireBytes: number): Failure | undefined {
    if (ackSeq < batch.fromSeq) {
      return {
        ok: false,
        kind: 'retry',
        message: `receiver acknowledged nothing of ${batch.stream} ${batch.fromSeq}..${batch.toSeq} (ackSeq ${ackSeq})`,
        wireBytes,
      };
    }
    let upTo = ackSeq;
    if (ackSeq > batch.toSeq) {
      // The receiver claims seqs it was never sent: its state belongs to another database.
      logger.warn('receiver acknowledged beyond the batch; is it tracking another gateway database?', {
        stream: batch.stream,
        toSeq: batch.toSeq,
        ackSeq,
      });
      upTo = batch.toSeq;
    }
    try {
      cursor[batch.stream] = store.advanceSyncCursor(id, batch.stream, upTo);
    } catch (err) {
      return { ok: false, kind: 'retry', message: `cannot save the cursor: ${errorMessage(err)}`, wireBytes };
    }
    const items = builder.acked(batch, upTo);
    const at = now();
    rate.add(items);
    sent.batches++;
    sent.items += items;
    sent.wireBytes += wireBytes;
    if (failures > 0) logger.info('sync target reachable again', { after: failures, lastError: lastError?.message });
    failures = 0;
    // The outage is over: health stops showing its error; lastFailure keeps it for the record.
    lastError = null;
    nextAttemptAt = null;
    lastSuccess = at;
    return undefined;
  }

  async function failed(outcome: Failure, batch?: Batch): Promise<void> {
    failures++;
    failedBatches += batch ? 1 : 0;
    if (batch && outcome.wireBytes) sent.wireBytes += outcome.wireBytes;
    const previous = lastError;
    // Shown in health and logged: a transport's text may quote a URL with its credentials.
    const message = scrubUrls(outcome.message);
    lastError = { message, kind: outcome.kind, status: outcome.status ?? null, at: now() };
    lastFailure = lastError;
    let delay: number;
    if (outcome.kind === 'too-large' && batch && builder.shrink(batch)) {
      delay = 0;
    } else if (outcome.kind === 'retry') {
      const backoff = backoffDelay({ initialMs: retry.retryInitialMs, maxMs: retry.retryMaxMs }, failures, random);
      delay = Math.min(Math.max(backoff, outcome.retryAfterMs ?? 0), Math.max(retry.retryMaxMs, backoff));
      if (previous?.message !== message) logger.warn('sync push failed; retrying', { err: message, inMs: delay });
    } else {
      // Will not pass by itself (wrong token, wrong URL, one item over the limit): loud and slow.
      delay = backoffDelay({ initialMs: retry.retryMaxMs, maxMs: retry.retryMaxMs * 5 }, failures, random);
      if (previous?.message !== message) logger.error('sync target refuses the data; fix the config or the receiver', { err: message, inMs: delay });
    }
    state = outcome.kind === 'auth' || outcome.kind === 'rejected' || outcome.kind === 'too-large' ? 'error' : 'retrying';
    nextAttemptAt = now() + delay;
    if (delay > 0) await pause(delay);
    nextAttemptAt = null;
  }

  return {
    start() {
      if (!running) transport.start?.();
      running ??= loop().catch((err: unknown) => {
        state = 'stopped';
        logger.error('sync target loop ended unexpectedly', { err: errorMessage(err) });
      });
    },
    async stop() {
      abort.abort();
      wake?.();
      unsubscribe();
      await running;
      state = 'stopped';
      await transport.close();
    },
    status() {
      const shown = withConnectionProblem({ state, lastError, lastFailure }, transport.problem?.());
      return {
        id,
        kind: opts.kind,
        url: opts.url,
        carries: [...streams],
        state: shown.state,
        connected: transport.connected ? transport.connected() : null,
        lastSuccess,
        lastError: shown.lastError,
        lastFailure: shown.lastFailure,
        consecutiveFailures: failures,
        nextAttemptAt,
        sendRate: rate.rate(),
        batchItems: builder.limits().items,
        batchBytes: builder.limits().bytes,
        sent: { ...sent },
        failedBatches,
        gapSeqs: builder.gapSeqs(),
        ...(transport.commandStats ? { commands: transport.commandStats() } : {}),
        ...(transport.skipped ? { skipped: transport.skipped() } : {}),
      };
    },
  };
}
