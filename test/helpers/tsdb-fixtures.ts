/**
 * Shared pieces of the Prometheus / Influx / VictoriaMetrics sync tests: a gateway on a temp store
 * pushing to one time-series target, readings near "now" (the engines refuse samples far in the
 * past or future), and what each engine must hold afterwards, computed from the store.
 */
import { silentLogger } from '../../core/logger.js';
import type { Reading, Sample } from '../../core/types.js';
import type { Store } from '../../gateway/store/index.js';
import type { InfluxTargetConfig, PrometheusTargetConfig } from '../../sync/config-schema.js';
import { createSync, type SeriesInfo, type SyncService } from '../../sync/create-sync.js';
import { syncSamples, syncSection } from './sync-fixtures.js';
import type { TempStores } from './temp-store.js';

export function prometheusTarget(url: string, overrides: Partial<PrometheusTargetConfig> = {}): PrometheusTargetConfig {
  return { id: 'prom', kind: 'prometheus', url, metricPrefix: 'facility', batchItems: 500, batchBytes: 1_000_000, timeoutMs: 5000, retryInitialMs: 20, retryMaxMs: 200, ...overrides };
}

export function influxTarget(url: string, overrides: Partial<InfluxTargetConfig> = {}): InfluxTargetConfig {
  return {
    id: 'influx',
    kind: 'influx',
    url,
    api: 'v1',
    database: 'facility',
    gzip: true,
    metricPrefix: 'facility',
    batchItems: 500,
    batchBytes: 1_000_000,
    timeoutMs: 5000,
    retryInitialMs: 20,
    retryMaxMs: 200,
    ...overrides,
  };
}

/** The catalog's answer for the sample points (`devN.pM`): a UPS-like device, a unit with a non-ASCII sign. */
export function sampleSeriesInfo(pointId: string): SeriesInfo | undefined {
  const [device, key] = pointId.split('.') as [string, string];
  return { device, key: `${key}_temp`, kind: 'crac', unit: '°C' };
}

export async function tsdbGateway(
  temp: TempStores,
  target: PrometheusTargetConfig | InfluxTargetConfig,
  opts: { gatewayId?: string; seriesInfo?: (id: string) => SeriesInfo | undefined } = {},
): Promise<{ store: Store; sync: SyncService }> {
  const store = temp.open(temp.file());
  const sync = await createSync({
    config: syncSection([target]),
    gatewayId: opts.gatewayId ?? 'gw-test',
    version: '0.0.0-test',
    startedAt: Date.now(),
    store,
    logger: silentLogger,
    seriesInfo: opts.seriesInfo ?? sampleSeriesInfo,
  });
  return { store, sync };
}

/** `n` readings of every kind (numbers, booleans, text, bad) 10 ms apart from `start`, and `events` events. */
export function ingest(store: Store, n: number, start: number, events = 0, points = 7): void {
  const samples: Sample[] = syncSamples(n, start, points);
  for (let i = 0; i < samples.length; i += 100) store.append(samples.slice(i, i + 100));
  for (let e = 0; e < events; e++) store.appendEvent('alarm.raised', { alarm: `a${e}` });
  store.flush();
}

/**
 * The documented mapping, written out again here (not the transport's code) so a test can catch it:
 * bad quality → none; a finite number → itself; a boolean → 1/0; text or null → none.
 */
function documentedValue(r: Reading): number | 'text' | 'noValue' | 'badQuality' {
  if (r.quality === 'bad') return 'badQuality';
  if (typeof r.value === 'boolean') return r.value ? 1 : 0;
  if (typeof r.value === 'number' && Number.isFinite(r.value)) return r.value;
  return typeof r.value === 'string' ? 'text' : 'noValue';
}

/** point id → its samples as the engine must hold them: numbers (booleans 0/1), sorted by time. */
export function expectedSamples(store: Store): Map<string, { ts: number; value: number }[]> {
  const rows: Reading[] = store.readingsAfter(0, store.stats().lastReadingSeq);
  const out = new Map<string, { ts: number; value: number }[]>();
  for (const r of rows) {
    const value = documentedValue(r);
    if (typeof value === 'string') continue;
    const list = out.get(r.pointId) ?? [];
    list.push({ ts: r.ts, value });
    out.set(r.pointId, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.ts - b.ts);
  return out;
}

/** How many stored readings have no sample, by reason (what health must count). */
export function expectedSkips(store: Store): { text: number; noValue: number; badQuality: number } {
  const counts = { text: 0, noValue: 0, badQuality: 0 };
  for (const r of store.readingsAfter(0, store.stats().lastReadingSeq)) {
    const value = documentedValue(r);
    if (typeof value === 'string') counts[value]++;
  }
  return counts;
}

export const drained = (sync: SyncService) => () => sync.health().targets[0]!.streams.readings?.depth === 0;
