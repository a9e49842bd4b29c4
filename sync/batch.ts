/**
 * One batch of a stream, read from the store after a cursor and encoded as the wire JSON of
 * docs/sync-protocol.md. Push (HTTP body, MQTT payload) and pull pages share this encoding.
 *
 * Seqs are gap-free except where retention deleted rows, so any seq in [fromSeq, toSeq] without an
 * item is a declared gap: the receiver learns exactly what it will never get.
 */
import type { Store, StoredEvent, SyncStream } from '../gateway/store/types.js';
import type { Reading } from '../core/types.js';

export type BatchSource = Pick<Store, 'readingsAfter' | 'eventsAfter' | 'stats'>;

export interface BatchLimits {
  /** most items */
  items: number;
  /** most bytes of JSON body (at least one item is always taken) */
  bytes: number;
}

export interface Gap {
  fromSeq: number;
  toSeq: number;
}

export interface Batch {
  stream: SyncStream;
  /** cursor + 1 */
  fromSeq: number;
  /** highest seq covered (the last item's, or the end of a trailing gap) */
  toSeq: number;
  count: number;
  gaps: Gap[];
  /** ts of the first item (null when the batch is only a gap) */
  oldestTs: number | null;
  /** the last committed seq of the stream when the batch was read */
  lastSeq: number;
  /** the items as a JSON array ('' from a rows-only reader) */
  itemsJson: string;
  /** the same items as rows, for transports with an encoding of their own (remote_write, line protocol) */
  rows: readonly (Reading | StoredEvent)[];
  /** the push body (HTTP, MQTT): the header fields and the items ('' from a rows-only reader) */
  body: string;
}

/** Header bytes a body has around its items, generously (gaps are counted apart). */
const HEADER_BYTES = 256;

export interface BatchReader {
  /** The next batch after `after`, or undefined when the stream holds nothing beyond it. */
  read(stream: SyncStream, after: number, limits: BatchLimits): Batch | undefined;
}

export interface BatchReaderOptions {
  /**
   * false: rows only, no JSON (a time-series target encodes the rows its own way; building the JSON
   * it never sends was an eighth of its CPU). The byte limit then goes by each item's estimated size.
   */
  json?: boolean;
}

/** About what an item's JSON takes, without building it: the fixed fields, the point name and a text value. */
function estimatedJsonBytes(row: Reading | StoredEvent): number {
  if ('pointId' in row) return 72 + row.pointId.length + (typeof row.value === 'string' ? row.value.length : 0) + (row.reason?.length ?? 0);
  return 64 + row.type.length + JSON.stringify(row.data).length;
}

export function createBatchReader(source: BatchSource, gatewayId: string, options: BatchReaderOptions = {}): BatchReader {
  const withJson = options.json ?? true;
  const gatewayJson = JSON.stringify(gatewayId);
  // JSON-escaped point names, reused across batches: most of an item's encoding cost otherwise.
  const pointJson = new Map<string, string>();
  const encodePoint = (id: string) => {
    let json = pointJson.get(id);
    if (json === undefined) {
      if (pointJson.size > 100_000) pointJson.clear();
      json = JSON.stringify(id);
      pointJson.set(id, json);
    }
    return json;
  };

  function encodeReading(r: Reading): string {
    const reason = r.reason === undefined ? '' : `,"reason":${JSON.stringify(r.reason)}`;
    return `{"seq":${r.seq},"ts":${r.ts},"point":${encodePoint(r.pointId)},"value":${encodeValue(r.value)},"quality":"${r.quality}"${reason}}`;
  }

  return {
    read(stream, after, limits) {
      const stats = source.stats();
      const lastSeq = stream === 'readings' ? stats.lastReadingSeq : stats.lastEventSeq;
      if (lastSeq <= after) return undefined;
      const maxItems = Math.max(1, Math.floor(limits.items));
      const rows: (Reading | StoredEvent)[] =
        stream === 'readings' ? source.readingsAfter(after, maxItems) : source.eventsAfter(after, maxItems);
      const budget = Math.max(1, limits.bytes) - HEADER_BYTES;
      const items: string[] = [];
      const taken: (Reading | StoredEvent)[] = [];
      const gaps: Gap[] = [];
      let bytes = 0;
      let expected = after + 1;
      let truncated = rows.length === maxItems;
      for (const row of rows) {
        const json = !withJson ? '' : stream === 'readings' ? encodeReading(row as Reading) : encodeEvent(row as StoredEvent);
        // +1 for the comma; a gap costs about 40 bytes of header
        const cost = (withJson ? json.length : estimatedJsonBytes(row)) + 1 + (row.seq > expected ? 40 : 0);
        if (taken.length > 0 && bytes + cost > budget) {
          truncated = true;
          break;
        }
        if (row.seq > expected) gaps.push({ fromSeq: expected, toSeq: row.seq - 1 });
        if (withJson) items.push(json);
        taken.push(row);
        bytes += cost;
        expected = row.seq + 1;
      }
      // Everything after the last item was read: seqs up to lastSeq without rows were deleted.
      if (!truncated && expected <= lastSeq) {
        gaps.push({ fromSeq: expected, toSeq: lastSeq });
        expected = lastSeq + 1;
      }
      const fromSeq = after + 1;
      const toSeq = expected - 1;
      const itemsJson = withJson ? `[${items.join(',')}]` : '';
      const body = withJson
        ? `{"gatewayId":${gatewayJson},"stream":"${stream}","fromSeq":${fromSeq},"toSeq":${toSeq},` +
          `"count":${items.length},"gaps":${JSON.stringify(gaps)},"items":${itemsJson}}`
        : '';
      return {
        stream,
        fromSeq,
        toSeq,
        count: taken.length,
        gaps,
        oldestTs: rows[0]?.ts ?? null,
        lastSeq,
        itemsJson,
        rows: taken,
        body,
      };
    },
  };
}

function encodeEvent(e: StoredEvent): string {
  return `{"seq":${e.seq},"ts":${e.ts},"type":${JSON.stringify(e.type)},"data":${JSON.stringify(e.data)}}`;
}

function encodeValue(value: Reading['value']): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}
