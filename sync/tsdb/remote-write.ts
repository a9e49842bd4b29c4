/**
 * The Prometheus remote_write 1.0 body: a `WriteRequest` protobuf, snappy-compressed (block
 * format, not framed). Only the messages the gateway sends are declared (no metadata, exemplars
 * or histograms); field numbers are those of prometheus/prompb/types.proto and remote.proto.
 */
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import type { NumericBatch } from './numeric-samples.js';

const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`;

const root = protobuf.parse(PROTO).root;
export const WriteRequest = root.lookupType('prometheus.WriteRequest');
const Label = root.lookupType('prometheus.Label');

/** Field keys (field number << 3 | wire type 2, length-delimited) as protobufjs' generated encoders write them. */
const TIMESERIES_KEY = (1 << 3) | 2;
const LABEL_KEY = (1 << 3) | 2;
const SAMPLE_KEY = (2 << 3) | 2;
/** Inside a Sample: value (field 1, 64-bit) and timestamp (field 2, varint). */
const VALUE_KEY = (1 << 3) | 1;
const TIMESTAMP_KEY = 2 << 3;

/**
 * One Sample entry. Its length is known up front (key + 8-byte double + key + the timestamp's
 * varint), so it is written straight through, without fork/ldelim's bookkeeping per sample: a
 * drain writes a million of them. Unlike Type.encode it also writes a 0 value; decoders take both.
 */
function writeSample(w: protobuf.Writer, value: number, timestamp: number): void {
  const ts = protobuf.util.LongBits.fromNumber(timestamp);
  w.uint32(SAMPLE_KEY)
    .uint32(10 + ts.length())
    .uint32(VALUE_KEY)
    .double(value)
    .uint32(TIMESTAMP_KEY)
    .int64(timestamp);
}

/**
 * Each series' labels as encoded `Label` messages, made once: they are most of a request and
 * repeat in every batch (a series has a few samples per batch and seven labels).
 */
const encodedLabels = new WeakMap<object, Uint8Array[]>();

function labelsOf(labels: readonly (readonly [string, string])[]): Uint8Array[] {
  let list = encodedLabels.get(labels);
  if (!list) {
    list = labels.map(([name, value]) => Label.encode({ name, value }).finish());
    encodedLabels.set(labels, list);
  }
  return list;
}

/**
 * The WriteRequest of a batch, uncompressed, on protobufjs' Writer: a length-delimited entry per
 * repeated message as its generated `encode` writes them, the labels' bytes from the cache.
 */
export function encodeWriteRequest(batch: NumericBatch): Uint8Array {
  const w = protobuf.Writer.create();
  for (const s of batch.series) {
    w.uint32(TIMESERIES_KEY).fork();
    // A length-delimited entry holding an encoded message is the same bytes as a `bytes` field.
    for (const label of labelsOf(s.series.labels)) w.uint32(LABEL_KEY).bytes(label);
    for (const sample of s.samples) writeSample(w, sample.value, sample.timestamp);
    w.ldelim();
  }
  return w.finish();
}

/** What goes on the wire: the WriteRequest in snappy's block format. */
export function remoteWriteBody(batch: NumericBatch): Buffer {
  const compressed = snappy.compress(encodeWriteRequest(batch));
  return Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength);
}
