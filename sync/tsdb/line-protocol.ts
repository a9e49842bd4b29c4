/**
 * Influx line protocol: `measurement,tag=value,… field=value timestamp`, one line per sample,
 * timestamps in milliseconds (the writer asks for precision=ms).
 *
 * The measurement is the metric prefix and the field the point's key, so VictoriaMetrics (which
 * names a series `<measurement>_<field>`) files it under the same name as remote_write does. Every
 * value is a float, booleans 0/1: a field keeps one type per measurement in InfluxDB, and a key
 * that is a boolean on one device and a number on another would otherwise be refused.
 */
import type { NumericBatch } from './numeric-samples.js';
import type { Series } from './series-labels.js';

/**
 * Tag keys, tag values and field keys: the spec escapes comma, equals sign and space with a
 * backslash, and a backslash itself as `\\` (InfluxDB 2 and VictoriaMetrics read it back as one;
 * InfluxDB 1.x keeps both). A line cannot hold a line break: CR, LF and tab become spaces.
 */
export function escapeTag(text: string): string {
  return text.replace(/[\r\n\t]/g, ' ').replace(/[\\,= ]/g, (c) => `\\${c}`);
}

/** Measurements: comma and space (an equals sign is literal there). */
export function escapeMeasurement(text: string): string {
  return text.replace(/[\r\n\t]/g, ' ').replace(/[\\, ]/g, (c) => `\\${c}`);
}

/** `measurement,tags field=`: the part of a line that only depends on the series, built once per series. */
const linePrefixes = new WeakMap<Series, string>();

function linePrefix(measurement: string, series: Series): string {
  let prefix = linePrefixes.get(series);
  if (prefix === undefined) {
    // __name__ is Prometheus' own label; Influx has the measurement and the field for it.
    const tags = series.labels.filter(([name]) => name !== '__name__').map(([name, value]) => `,${escapeTag(name)}=${escapeTag(value)}`);
    prefix = `${escapeMeasurement(measurement)}${tags.join('')} ${escapeTag(series.field)}=`;
    linePrefixes.set(series, prefix);
  }
  return prefix;
}

/** A float as line protocol writes it: JavaScript's shortest round-trip form (`21.5`, `1e+21`). */
function floatText(value: number): string {
  return String(value);
}

export function lineProtocol(batch: NumericBatch, measurement: string): string {
  const lines: string[] = [];
  for (const s of batch.series) {
    const prefix = linePrefix(measurement, s.series);
    for (const { timestamp, value } of s.samples) lines.push(`${prefix}${floatText(value)} ${timestamp}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
