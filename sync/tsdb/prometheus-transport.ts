/**
 * Prometheus remote_write (`kind: prometheus`): each batch of readings as one snappy-compressed
 * WriteRequest POSTed to the receiver (Prometheus with --web.enable-remote-write-receiver,
 * VictoriaMetrics, Mimir, Thanos receive …). Any 2xx means the engine has the samples: the cursor
 * moves to the batch's end. A resend carries identical samples: VictoriaMetrics keeps one with
 * -dedup.minScrapeInterval, Prometheus drops them only with its out-of-order window on (else it
 * refuses all but each series' newest as "out of order", and the advice below says what to do).
 * See docs/sync-protocol.md §13.
 */
import type { Reading } from '../../core/types.js';
import type { Batch } from '../batch.js';
import type { SendOutcome, Transport } from '../transport.js';
import type { PrometheusTargetConfig } from './config-schema.js';
import { type NumericBatch, numericBatch } from './numeric-samples.js';
import { remoteWriteBody } from './remote-write.js';
import { createSeriesNamer, type SeriesInfoLookup } from './series-labels.js';
import { createSkipLedger } from './skip-ledger.js';
import { authorization, failureOf, post } from './tsdb-post.js';

export interface PrometheusTransportOptions {
  target: PrometheusTargetConfig;
  gatewayId: string;
  version: string;
  seriesInfo?: SeriesInfoLookup | undefined;
  fetch?: typeof fetch;
}

/** What Prometheus (and Mimir/Cortex) answer for a sample older than the series' newest or the head block. */
const TOO_OLD = /out of order|out of bounds|duplicate sample|too old|out-of-order/i;

export function createPrometheusTransport({ target, gatewayId, version, seriesInfo, fetch }: PrometheusTransportOptions): Transport {
  const name = createSeriesNamer({ gatewayId, metricPrefix: target.metricPrefix, seriesInfo });
  const numeric = (batch: Batch): NumericBatch => numericBatch(batch.rows as readonly Reading[], name);
  const ledger = createSkipLedger(numeric);
  const headers: Record<string, string> = {
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
    'user-agent': `facility-gateway/${version}`,
    ...authorization(target, 'Bearer'),
  };

  async function encode(batch: Batch): Promise<Buffer> {
    const samples = numeric(batch);
    ledger.noted(batch, samples);
    // Nothing numeric (only text, or only a gap): no request at all, the batch is acked as it is.
    return samples.samples === 0 ? Buffer.alloc(0) : remoteWriteBody(samples);
  }

  async function send(batch: Batch, body: Buffer, signal: AbortSignal): Promise<SendOutcome> {
    if (body.length === 0) {
      ledger.acked(batch);
      return { ok: true, ackSeq: batch.toSeq, wireBytes: 0 };
    }
    const result = await post({ url: target.url, headers, body, timeoutMs: target.timeoutMs, signal, ...(fetch ? { fetch } : {}) });
    if (!result.answered) return result.outcome;
    const { status, text } = result;
    if (status >= 200 && status < 300) {
      ledger.acked(batch);
      return { ok: true, ackSeq: batch.toSeq, wireBytes: body.length };
    }
    const failure = failureOf('remote_write receiver', status, text, body.length, result.retryAfterMs);
    if (status === 400 && TOO_OLD.test(text)) {
      failure.message +=
        ' — the receiver refuses samples older than the newest it has for a series (a backlog after an outage, or clocks set back).' +
        ' Enable its out-of-order window (Prometheus: storage.tsdb.out_of_order_time_window in prometheus.yml; Mimir/Cortex: out_of_order_time_window)' +
        ' wide enough for the gateway backlog; the batch is retried and nothing is lost meanwhile';
    }
    return failure;
  }

  return { encode, send, skipped: ledger.totals, close: async () => {} };
}
