/**
 * Influx line protocol over HTTP (`kind: influx`): each batch of readings as lines (precision ms,
 * gzip by default) POSTed to `/write?db=&rp=` (`api: v1`: InfluxDB 1.x, VictoriaMetrics, QuestDB)
 * or `/api/v2/write?org=&bucket=` (`api: v2`: InfluxDB 2/3, VictoriaMetrics). 2xx (204) means
 * the engine has the points. A resend writes the same points again: same series, same timestamp,
 * same value, which overwrites itself (see docs/sync-protocol.md §14).
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Reading } from '../../core/types.js';
import type { Batch } from '../batch.js';
import type { SendOutcome, Transport } from '../transport.js';
import type { InfluxTargetConfig } from './config-schema.js';
import { lineProtocol } from './line-protocol.js';
import { type NumericBatch, numericBatch } from './numeric-samples.js';
import { createSeriesNamer, type SeriesInfoLookup } from './series-labels.js';
import { createSkipLedger } from './skip-ledger.js';
import { authorization, failureOf, post } from './tsdb-post.js';

const gzip = promisify(gzipCb);
/** Level 1: most of the ratio on these repetitive lines at a fraction of the CPU (as for HTTP push). */
const GZIP_LEVEL = 1;

export interface InfluxTransportOptions {
  target: InfluxTargetConfig;
  gatewayId: string;
  version: string;
  seriesInfo?: SeriesInfoLookup | undefined;
  fetch?: typeof fetch;
}

/** InfluxDB 1.x: the only problem was points older than the retention policy; the rest is written. */
const BEYOND_RETENTION = /^\s*\{?"?error"?:?\s*"?partial write: points beyond retention policy dropped=(\d+)"?\}?\s*$/;

/** The write URL: the API's path after the configured base (which may sit behind a proxy prefix). */
export function influxWriteUrl(target: InfluxTargetConfig): string {
  const url = new URL(target.url);
  const base = url.pathname.replace(/\/+$/, '');
  const params = new URLSearchParams();
  if (target.api === 'v1') {
    url.pathname = `${base}/write`;
    params.set('db', target.database ?? '');
    if (target.retentionPolicy) params.set('rp', target.retentionPolicy);
  } else {
    url.pathname = `${base}/api/v2/write`;
    if (target.org) params.set('org', target.org);
    params.set('bucket', target.bucket ?? '');
  }
  params.set('precision', 'ms');
  url.search = params.toString();
  return url.href;
}

export function createInfluxTransport({ target, gatewayId, version, seriesInfo, fetch }: InfluxTransportOptions): Transport {
  const name = createSeriesNamer({ gatewayId, metricPrefix: target.metricPrefix, seriesInfo });
  const numeric = (batch: Batch): NumericBatch => numericBatch(batch.rows as readonly Reading[], name);
  const ledger = createSkipLedger(numeric);
  const url = influxWriteUrl(target);
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'user-agent': `facility-gateway/${version}`,
    ...(target.gzip ? { 'content-encoding': 'gzip' } : {}),
    ...authorization(target, 'Token'),
  };

  async function encode(batch: Batch): Promise<Buffer> {
    const samples = numeric(batch);
    ledger.noted(batch, samples);
    if (samples.samples === 0) return Buffer.alloc(0);
    const text = Buffer.from(lineProtocol(samples, target.metricPrefix), 'utf8');
    return target.gzip ? gzip(text, { level: GZIP_LEVEL }) : text;
  }

  async function send(batch: Batch, body: Buffer, signal: AbortSignal): Promise<SendOutcome> {
    if (body.length === 0) {
      ledger.acked(batch);
      return { ok: true, ackSeq: batch.toSeq, wireBytes: 0 };
    }
    const result = await post({ url, headers, body, timeoutMs: target.timeoutMs, signal, ...(fetch ? { fetch } : {}) });
    if (!result.answered) return result.outcome;
    const { status, text } = result;
    const wireBytes = body.length;
    if (status >= 200 && status < 300) {
      ledger.acked(batch);
      return { ok: true, ackSeq: batch.toSeq, wireBytes };
    }
    const dropped = status === 400 ? BEYOND_RETENTION.exec(text) : null;
    if (dropped) {
      // Those points can never be stored; retrying would block the target for good. Counted instead.
      ledger.acked(batch, { beyondRetention: Number(dropped[1]) });
      return { ok: true, ackSeq: batch.toSeq, wireBytes };
    }
    const failure = failureOf('Influx receiver', status, text, wireBytes, result.retryAfterMs);
    if (status === 404 && /database not found/i.test(text)) failure.message += ` — create the database "${target.database}" (CREATE DATABASE) or fix sync.targets[].database`;
    if (/field type conflict/i.test(text)) failure.message += ' — another writer stored these fields with another type; the gateway writes every value as a float';
    return failure;
  }

  return { encode, send, skipped: ledger.totals, close: async () => {} };
}
