/**
 * `GET /metrics` in the Prometheus text format (version 0.0.4). The gateway's own counters (store,
 * devices) are built here; other parts add theirs through `deps.metrics`, a list of providers that
 * each return metric families (sync backlogs, alarms, ...).
 */
import { Hono } from 'hono';
import type { DashboardDeps } from '../deps.js';

export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters end in `_total` */
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: MetricSample[];
}

/** Called on every scrape; keep it cheap. */
export type MetricsProvider = () => MetricFamily[];

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What the metrics route reads (a narrow slice of the dashboard's deps). */
export type MetricsDeps = Pick<DashboardDeps, 'gatewayId' | 'version' | 'startedAt' | 'uptimeMs' | 'store' | 'deviceStatus' | 'metrics' | 'logger' | 'now'>;

export function metricsRoutes(deps: MetricsDeps): Hono {
  const now = deps.now ?? Date.now;
  return new Hono().get('/', (c) => {
    const families = [...coreMetrics(deps, now())];
    for (const provider of deps.metrics ?? []) {
      try {
        families.push(...provider());
      } catch (err) {
        // One broken provider must not hide every other metric.
        deps.logger.error('a metrics provider failed', { err: err instanceof Error ? err.message : String(err) });
      }
    }
    return c.body(renderMetrics(families), 200, { 'content-type': CONTENT_TYPE });
  });
}

function coreMetrics(deps: MetricsDeps, at: number): MetricFamily[] {
  const s = deps.store.stats();
  const devices = deps.deviceStatus();
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'gauge', samples: [{ value }] });
  const counter = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'counter', samples: [{ value }] });
  const perStream = (name: string, help: string, type: MetricFamily['type'], readings: number, events: number): MetricFamily => ({
    name,
    help,
    type,
    samples: [
      { labels: { stream: 'readings' }, value: readings },
      { labels: { stream: 'events' }, value: events },
    ],
  });
  const states = ['up', 'degraded', 'down', 'connecting'];
  const perDevice = (name: string, help: string, type: MetricFamily['type'], value: (d: (typeof devices)[number]) => number): MetricFamily => ({
    name,
    help,
    type,
    samples: devices.map((d) => ({ labels: { device: d.deviceId }, value: value(d) })),
  });
  return [
    { name: 'gateway_info', help: 'Gateway identity', type: 'gauge', samples: [{ labels: { gateway_id: deps.gatewayId, version: deps.version }, value: 1 }] },
    gauge('gateway_start_time_seconds', 'When the gateway started (Unix time)', deps.startedAt / 1000),
    gauge('gateway_uptime_seconds', 'Seconds since the gateway started', (deps.uptimeMs?.() ?? at - deps.startedAt) / 1000),
    perStream('gateway_store_last_seq', 'Highest committed seq per stream', 'gauge', s.lastReadingSeq, s.lastEventSeq),
    gauge('gateway_store_readings', 'Readings held in the database', s.readingCount),
    gauge('gateway_store_database_bytes', 'Database file plus WAL', s.databaseBytes),
    gauge('gateway_store_pending_samples', 'Samples accepted but not yet committed', s.pending),
    gauge('gateway_store_max_queue_samples', 'Bound of the write queue: beyond it, while commits fail, the oldest samples are dropped', s.maxQueue),
    gauge('gateway_store_commits_failing', '1 while database commits fail (disk full, locked)', s.failingSince === null ? 0 : 1),
    counter('gateway_store_commits_total', 'Committed transactions since start', s.commits),
    counter('gateway_store_commit_errors_total', 'Failed commit attempts since start', s.commitErrors),
    perStream(
      'gateway_store_retention_dropped_total',
      'Rows deleted by retention over the life of the database',
      'counter',
      s.droppedByRetention,
      s.eventsDroppedByRetention,
    ),
    counter('gateway_store_overflow_dropped_total', 'Queued samples dropped while commits kept failing', s.droppedByOverflow),
    {
      name: 'gateway_devices',
      help: 'Devices by communication state',
      type: 'gauge',
      samples: states.map((state) => ({ labels: { state }, value: devices.filter((d) => d.state === state).length })),
    },
    perDevice('gateway_device_up', '1 when the device answers its polls', 'gauge', (d) => (d.state === 'up' ? 1 : 0)),
    perDevice('gateway_device_polls_total', 'Successful polls since start', 'counter', (d) => d.polls),
    perDevice('gateway_device_errors_total', 'Failed polls since start', 'counter', (d) => d.errorCount),
    perDevice('gateway_device_overruns_total', 'Schedule slots skipped because a poll ran long', 'counter', (d) => d.overruns),
  ];
}

/** The text exposition format: HELP and TYPE once per family, then its samples. */
export function renderMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    if (!seen.has(f.name)) {
      lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      lines.push(`# TYPE ${f.name} ${f.type}`);
      seen.add(f.name);
    }
    for (const sample of f.samples) lines.push(`${f.name}${labelText(sample.labels)} ${numberText(sample.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

function labelText(labels: Record<string, string> | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
