/**
 * Sync health as Prometheus metric families (the dashboard renders them on GET /metrics). The
 * shape matches the dashboard's MetricFamily; it is declared here so sync does not import the web
 * layer.
 */
import type { SyncStream } from '../gateway/store/types.js';
import type { StreamBacklog } from './backlog.js';
import type { SyncHealth } from './health.js';

export interface SyncMetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels?: Record<string, string>; value: number }[];
}

const STREAMS: readonly SyncStream[] = ['events', 'readings'];

export function syncMetrics(health: SyncHealth): SyncMetricFamily[] {
  const all = [...health.targets.map((t) => ({ id: t.id, kind: t.kind, streams: t.streams })), ...health.pull];
  const perStream = (name: string, help: string, value: (b: StreamBacklog) => number): SyncMetricFamily => ({
    name,
    help,
    type: 'gauge',
    // A stream the target does not carry (events on a time-series database) has no row, not a 0.
    samples: all.flatMap((t) =>
      STREAMS.flatMap((stream) => {
        const backlog = t.streams[stream];
        return backlog ? [{ labels: { target: t.id, kind: t.kind, stream }, value: value(backlog) }] : [];
      }),
    ),
  });
  const perTarget = (name: string, help: string, type: SyncMetricFamily['type'], value: (t: SyncHealth['targets'][number]) => number): SyncMetricFamily => ({
    name,
    help,
    type,
    samples: health.targets.map((t) => ({ labels: { target: t.id, kind: t.kind }, value: value(t) })),
  });
  return [
    perStream('gateway_sync_backlog_items', 'Seqs committed but not acknowledged by the target', (b) => b.depth),
    perStream('gateway_sync_acked_seq', 'Highest seq the target acknowledged', (b) => b.ackedSeq),
    perStream('gateway_sync_oldest_unsent_age_seconds', 'Age of the oldest item not acknowledged (0 when none)', (b) => b.oldestUnsentAgeS ?? 0),
    perTarget('gateway_sync_up', '1 when the last push attempt succeeded (and the broker is connected)', 'gauge', (t) =>
      t.consecutiveFailures === 0 && t.connected !== false && t.state !== 'error' ? 1 : 0,
    ),
    perTarget('gateway_sync_send_rate_items_per_second', 'Acknowledged items per second over the last minute', 'gauge', (t) => t.sendRate),
    perTarget('gateway_sync_last_success_timestamp_seconds', 'When the last batch was acknowledged (0: never)', 'gauge', (t) => (t.lastSuccess ?? 0) / 1000),
    perTarget('gateway_sync_consecutive_failures', 'Failed attempts since the last success', 'gauge', (t) => t.consecutiveFailures),
    perTarget('gateway_sync_batch_items', 'Current batch size limit (halved by 413 answers)', 'gauge', (t) => t.batchItems),
    perTarget('gateway_sync_sent_batches_total', 'Acknowledged batches since start', 'counter', (t) => t.sent.batches),
    perTarget('gateway_sync_sent_items_total', 'Acknowledged items since start', 'counter', (t) => t.sent.items),
    perTarget('gateway_sync_wire_bytes_total', 'Bytes sent (after compression), resends included', 'counter', (t) => t.sent.wireBytes),
    perTarget('gateway_sync_failed_batches_total', 'Batches that failed (each is sent again)', 'counter', (t) => t.failedBatches),
    {
      name: 'gateway_sync_retention_gap_seqs_total',
      help: 'Seqs retention deleted before the target got them (declared to it as gaps)',
      type: 'counter',
      samples: health.targets.flatMap((t) => t.carries.map((stream) => ({ labels: { target: t.id, kind: t.kind, stream }, value: t.gapSeqs[stream] }))),
    },
    ...commandFamilies(health),
    ...skippedFamilies(health),
  ];
}

/** EMS commands per target and outcome; only when a target takes commands (control.allowEms). */
function commandFamilies(health: SyncHealth): SyncMetricFamily[] {
  const taking = health.targets.filter((t) => t.commands);
  if (taking.length === 0) return [];
  return [
    {
      name: 'gateway_sync_commands_total',
      help: 'EMS commands received over the target, by outcome (executed, repeated: answered from the log, bad_request, busy, dropped: unanswerable)',
      type: 'counter',
      samples: taking.flatMap((t) => {
        const c = t.commands!;
        const outcomes = { received: c.received, executed: c.executed, repeated: c.repeated, bad_request: c.badRequests, busy: c.busy, dropped: c.dropped };
        return Object.entries(outcomes).map(([outcome, value]) => ({ labels: { target: t.id, kind: t.kind, outcome }, value }));
      }),
    },
  ];
}

/** Readings a time-series target left out (text, no value, bad quality …), by reason; only for targets that skip. */
function skippedFamilies(health: SyncHealth): SyncMetricFamily[] {
  const skipping = health.targets.filter((t) => t.skipped);
  if (skipping.length === 0) return [];
  return [
    {
      name: 'gateway_sync_skipped_readings_total',
      help: 'Readings a time-series target left out because the engine keeps numbers only, by reason (acknowledged batches)',
      type: 'counter',
      samples: skipping.flatMap((t) => Object.entries(t.skipped!).map(([reason, value]) => ({ labels: { target: t.id, kind: t.kind, reason }, value }))),
    },
  ];
}
