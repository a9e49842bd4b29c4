/** GET /metrics: valid Prometheus text with the store, device and sync families, and providers. */
import { describe, expect, it } from 'vitest';
import { type MetricFamily, metricsRoutes, renderMetrics } from '../../dashboard/routes/metrics.js';
import { initialStatus } from '../../core/device-status.js';
import { silentLogger } from '../../core/logger.js';
import { syncMetrics } from '../../sync/metrics.js';
import type { TargetStatus } from '../../sync/target-runner.js';
import { syncSamples } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

/** One sample line of the text format: name, optional labels, a number. */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+(e[+-]?\d+)?|NaN|[+-]Inf)$/;

function parse(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('#')) {
      expect(line).toMatch(/^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (gauge|counter))$/);
      continue;
    }
    expect(line).toMatch(SAMPLE);
    const cut = line.lastIndexOf(' ');
    values.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return values;
}

const runnerStatus = (over: Partial<TargetStatus> = {}): TargetStatus => ({
  id: 'ems',
  kind: 'http',
  url: 'https://ems.example/ingest',
  carries: ['events', 'readings'],
  state: 'retrying',
  connected: null,
  lastSuccess: 1_700_000_000_000,
  lastError: { message: 'HTTP 503', kind: 'retry', status: 503, at: 1_700_000_001_000 },
  lastFailure: { message: 'HTTP 503', kind: 'retry', status: 503, at: 1_700_000_001_000 },
  consecutiveFailures: 3,
  nextAttemptAt: null,
  sendRate: 1234.5,
  batchItems: 2500,
  batchBytes: 500_000,
  sent: { batches: 10, items: 50_000, wireBytes: 600_000 },
  failedBatches: 3,
  gapSeqs: { readings: 7, events: 0 },
  ...over,
});

describe('GET /metrics', () => {
  it('renders the store, devices and every provider as valid text exposition', async () => {
    const temp = createTempStores('sync-metrics-');
    try {
      const store = temp.open(temp.file());
      store.append(syncSamples(120));
      store.appendEvent('alarm.raised', { a: 1 });
      store.flush();
      store.advanceSyncCursor('ems', 'readings', 20);
      const devices = [{ ...initialStatus('ups1'), state: 'up' as const, polls: 42 }, { ...initialStatus('crac"1'), state: 'down' as const, errorCount: 5 }];
      const health = { targets: [{ ...runnerStatus(), streams: { readings: { ackedSeq: 20, lastSeq: 120, depth: 100, oldestUnsentTs: 1, oldestUnsentAgeS: 99.5 }, events: { ackedSeq: 0, lastSeq: 1, depth: 1, oldestUnsentTs: 2, oldestUnsentAgeS: 3 } }, notApplicable: [] }], pull: [] };
      const app = metricsRoutes({
        gatewayId: 'gw1',
        version: '1.2.3',
        startedAt: 1_700_000_000_000,
        store,
        deviceStatus: () => devices,
        metrics: [
          () => syncMetrics(health),
          () => {
            throw new Error('a broken provider');
          },
          () => [{ name: 'gateway_alarms_active', help: 'Active alarms', type: 'gauge', samples: [{ labels: { severity: 'critical' }, value: 2 }] }],
        ],
        logger: silentLogger,
        now: () => 1_700_000_010_000,
      });
      const res = await app.request('/');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await res.text();
      const m = parse(text);
      expect(m.get('gateway_info{gateway_id="gw1",version="1.2.3"}')).toBe(1);
      expect(m.get('gateway_uptime_seconds')).toBe(10);
      expect(m.get('gateway_store_last_seq{stream="readings"}')).toBe(120);
      expect(m.get('gateway_store_last_seq{stream="events"}')).toBe(1);
      expect(m.get('gateway_devices{state="up"}')).toBe(1);
      expect(m.get('gateway_device_up{device="crac\\"1"}')).toBe(0);
      expect(m.get('gateway_device_polls_total{device="ups1"}')).toBe(42);
      expect(m.get('gateway_sync_backlog_items{target="ems",kind="http",stream="readings"}')).toBe(100);
      expect(m.get('gateway_sync_oldest_unsent_age_seconds{target="ems",kind="http",stream="readings"}')).toBe(99.5);
      expect(m.get('gateway_sync_up{target="ems",kind="http"}')).toBe(0);
      expect(m.get('gateway_sync_last_success_timestamp_seconds{target="ems",kind="http"}')).toBe(1_700_000_000);
      expect(m.get('gateway_sync_sent_items_total{target="ems",kind="http"}')).toBe(50_000);
      expect(m.get('gateway_sync_retention_gap_seqs_total{target="ems",kind="http",stream="readings"}')).toBe(7);
      // the broken provider is skipped; the one after it still shows
      expect(m.get('gateway_alarms_active{severity="critical"}')).toBe(2);
      expect(text.match(/^# TYPE gateway_sync_backlog_items /gm)).toHaveLength(1);
    } finally {
      temp.cleanup();
    }
  });

  it.each<[string, MetricFamily[], string]>([
    ['one HELP/TYPE per family even when given twice', [
      { name: 'x_total', help: 'X', type: 'counter', samples: [{ value: 1 }] },
      { name: 'x_total', help: 'X', type: 'counter', samples: [{ labels: { a: 'b' }, value: 2 }] },
    ], '# HELP x_total X\n# TYPE x_total counter\nx_total 1\nx_total{a="b"} 2\n'],
    ['escaped label values and help', [{ name: 'y', help: 'a\\b\nc', type: 'gauge', samples: [{ labels: { v: 'q"\\\n' }, value: 0.5 }] }], '# HELP y a\\\\b\\nc\n# TYPE y gauge\ny{v="q\\"\\\\\\n"} 0.5\n'],
    ['special numbers', [{ name: 'z', help: 'Z', type: 'gauge', samples: [{ value: Number.NaN }, { value: Number.POSITIVE_INFINITY }, { value: -Infinity }] }], '# HELP z Z\n# TYPE z gauge\nz NaN\nz +Inf\nz -Inf\n'],
  ])('renders %s', (_name, families, expected) => {
    expect(renderMetrics(families)).toBe(expected);
  });

  it('reports a target as up once it succeeds and, for MQTT, is connected', () => {
    const streams = { readings: { ackedSeq: 0, lastSeq: 0, depth: 0, oldestUnsentTs: null, oldestUnsentAgeS: null }, events: { ackedSeq: 0, lastSeq: 0, depth: 0, oldestUnsentTs: null, oldestUnsentAgeS: null } };
    const up = (s: Partial<TargetStatus>) =>
      syncMetrics({ targets: [{ ...runnerStatus(s), streams, notApplicable: [] }], pull: [] }).find((f) => f.name === 'gateway_sync_up')!.samples[0]!.value;
    expect(up({ consecutiveFailures: 0, state: 'idle' })).toBe(1);
    expect(up({ consecutiveFailures: 0, state: 'idle', kind: 'mqtt', connected: false })).toBe(0);
    expect(up({ consecutiveFailures: 0, state: 'error' })).toBe(0);
  });
});
