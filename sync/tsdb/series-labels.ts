/**
 * What a point is called on a time-series database: the metric name and the labels (Prometheus)
 * or tags (Influx) of its series. Both kinds share this, so a point has the same series name and
 * labels whichever way it arrives (VictoriaMetrics takes both and then sees one series).
 *
 * The metric is `<prefix>_<key>` (`facility_supply_temp`): one metric per quantity, so a metric
 * holds one unit and `sum`/`avg` across devices mean something. A single `facility_reading` with
 * a `key` label would mix °C with kW under one name. The key stays a label too, for queries that
 * group by it.
 */

export interface Series {
  /** `<prefix>_<key>`, sanitised to a Prometheus metric name */
  metric: string;
  /** the sanitised key alone: the Influx field name (measurement `<prefix>` + field = the same metric) */
  field: string;
  /** sorted by name (remote_write requires it; Influx writes faster with sorted tags); no empty values */
  labels: readonly (readonly [name: string, value: string])[];
}

/** A point's labels on a time-series database (Prometheus labels, Influx tags). */
export interface SeriesInfo {
  device: string;
  /** the profile's vocabulary key (supply_temp), or the point's own key */
  key: string;
  /** the device kind (ups, crac, pdu, …) */
  kind: string;
  unit: string | null;
}

export type SeriesInfoLookup = (pointId: string) => SeriesInfo | undefined;

/** Letters, digits, `_` and `:` only; anything else becomes `_` (Prometheus metric name rules). */
export function metricSafe(text: string): string {
  const safe = text.replace(/[^a-zA-Z0-9_:]/g, '_');
  return safe === '' ? '_' : safe;
}

/**
 * A point the catalog does not know (removed since the reading was stored) still gets a series:
 * `<device>.<key>` split at the first dot, kind and unit unknown (left out).
 */
function fallbackInfo(pointId: string): SeriesInfo {
  const dot = pointId.indexOf('.');
  return dot > 0 ? { device: pointId.slice(0, dot), key: pointId.slice(dot + 1), kind: '', unit: null } : { device: '', key: pointId, kind: '', unit: null };
}

/** The series of each point, cached: a backlog drain asks for the same few thousand points a million times. */
export function createSeriesNamer(opts: { gatewayId: string; metricPrefix: string; seriesInfo?: SeriesInfoLookup | undefined }) {
  const cache = new Map<string, Series>();
  return (pointId: string): Series => {
    let series = cache.get(pointId);
    if (series) return series;
    const info = opts.seriesInfo?.(pointId) ?? fallbackInfo(pointId);
    const field = metricSafe(info.key);
    const metric = `${opts.metricPrefix}_${field}`;
    const all: [string, string][] = [
      ['__name__', metric],
      ['device', info.device],
      ['gateway', opts.gatewayId],
      ['key', info.key],
      ['kind', info.kind],
      ['point', pointId],
      ['unit', info.unit ?? ''],
    ];
    // An empty label value means "no label" to Prometheus, and Influx refuses empty tags: leave it out.
    const labels = all.filter(([, value]) => value !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    series = { metric, field, labels };
    // Bounded: a gateway has at most tens of thousands of points; a flood of unknown ids must not grow it forever.
    if (cache.size >= 200_000) cache.clear();
    cache.set(pointId, series);
    return series;
  };
}

export type SeriesNamer = ReturnType<typeof createSeriesNamer>;
