/**
 * A reference EMS receiver for the HTTP push protocol (docs/sync-protocol.md), on loopback: it
 * de-duplicates by seq (drops seq <= the last it stored), acks the highest seq it holds, and
 * records every anomaly a test should fail on (a hole nobody declared, a resent seq whose content
 * changed, items out of order). Behaviour switches simulate a receiver that is down, refuses, or
 * loses its answer after storing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type Stream = 'readings' | 'events';

export interface WireBatch {
  gatewayId: string;
  stream: Stream;
  fromSeq: number;
  toSeq: number;
  count: number;
  gaps: { fromSeq: number; toSeq: number }[];
  items: ({ seq: number } & Record<string, unknown>)[];
}

export interface ReceiverBehaviour {
  /** answer this status instead of storing (e.g. 503, 401, 413) */
  status?: number;
  /** store the batch, then drop the connection without answering (a lost ack) */
  dropAck?: boolean;
  /** wait before answering */
  delayMs?: number;
  /** answer 413 when the body (as sent) is larger than this */
  maxBodyBytes?: number;
  /** the bearer token required (none when undefined) */
  token?: string;
}

export interface ReceiverOptions {
  /** keep every item (tests); off for benchmarks, which only count */
  keepItems?: boolean;
  port?: number;
}

/** What an EMS keeps per gateway: the items by seq, the last seq per stream, and what went wrong. */
export interface Ledger {
  /** per stream: seq → the first copy received */
  items: Record<Stream, Map<number, Record<string, unknown>>>;
  /** per stream: seqs in the order they were first stored */
  order: Record<Stream, number[]>;
  last: Record<Stream, number>;
  /** seqs declared as gaps */
  gaps: Record<Stream, { fromSeq: number; toSeq: number }[]>;
  stats: { requests: number; batches: number; stored: number; duplicates: number; wireBytes: number; refused: number; inFlight: number };
  /** items per batch taken, in the order they came (what batch limits the sender used) */
  batchCounts: number[];
  anomalies: string[];
  /** Takes a batch: stores items with seq > last, returns the new last seq (the ack). */
  store(batch: WireBatch): number;
}

export interface Receiver extends Ledger {
  readonly url: string;
  readonly port: number;
  behaviour: ReceiverBehaviour;
  /** Stops listening (connections are cut): the receiver is down. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** The de-duplication every receiver does (HTTP body or MQTT payload alike). */
export function createLedger(keepItems = true): Ledger {
  const r: Ledger = {
    items: { readings: new Map(), events: new Map() },
    order: { readings: [], events: [] },
    last: { readings: 0, events: 0 },
    gaps: { readings: [], events: [] },
    stats: { requests: 0, batches: 0, stored: 0, duplicates: 0, wireBytes: 0, refused: 0, inFlight: 0 },
    batchCounts: [],
    anomalies: [],
    store,
  };
  function store(batch: WireBatch): number {
    const { stream } = batch;
    r.batchCounts.push(batch.items.length);
    let last = r.last[stream];
    if (batch.fromSeq > last + 1) r.anomalies.push(`${stream}: hole ${last + 1}..${batch.fromSeq - 1} before batch ${batch.fromSeq}..${batch.toSeq}`);
    // items and gaps must tile fromSeq..toSeq exactly
    let expected = batch.fromSeq;
    const gaps = [...batch.gaps];
    for (const item of batch.items) {
      while (gaps[0] && gaps[0].fromSeq === expected) expected = gaps.shift()!.toSeq + 1;
      if (item.seq !== expected) r.anomalies.push(`${stream}: item ${item.seq} where ${expected} was due (batch ${batch.fromSeq}..${batch.toSeq})`);
      expected = item.seq + 1;
    }
    while (gaps[0] && gaps[0].fromSeq === expected) expected = gaps.shift()!.toSeq + 1;
    if (expected !== batch.toSeq + 1) r.anomalies.push(`${stream}: batch ${batch.fromSeq}..${batch.toSeq} ends at ${expected - 1}`);
    for (const g of batch.gaps) if (g.fromSeq > last) r.gaps[stream].push(g);
    for (const item of batch.items) {
      if (item.seq <= last) {
        r.stats.duplicates++;
        if (keepItems) {
          const first = r.items[stream].get(item.seq);
          if (first && JSON.stringify(first) !== JSON.stringify(item)) r.anomalies.push(`${stream}: seq ${item.seq} resent with other content`);
        }
        continue;
      }
      if (keepItems) {
        r.items[stream].set(item.seq, item);
        r.order[stream].push(item.seq);
      }
      r.stats.stored++;
      last = item.seq;
    }
    r.last[stream] = Math.max(last, batch.toSeq);
    return r.last[stream];
  }

  return r;
}

export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  let server: Server | undefined;
  let port = opts.port ?? 0;
  // defineProperties, not Object.assign: the getters must stay live (the port is known after listen)
  const r = Object.defineProperties(createLedger(opts.keepItems ?? true), {
    url: { get: () => `http://127.0.0.1:${port}/ingest` },
    port: { get: () => port },
    behaviour: { value: {}, writable: true },
    down: { value: () => stop() },
    up: { value: () => listen() },
    close: { value: () => stop() },
  }) as Receiver;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    r.stats.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    r.stats.wireBytes += raw.length;
    const b = r.behaviour;
    if (b.delayMs) await new Promise((done) => setTimeout(done, b.delayMs));
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (b.token !== undefined && req.headers.authorization !== `Bearer ${b.token}`) {
      r.stats.refused++;
      return answer(401, { error: 'bad token' });
    }
    if (b.status) {
      r.stats.refused++;
      return answer(b.status, { error: `told to answer ${b.status}` });
    }
    if (b.maxBodyBytes !== undefined && raw.length > b.maxBodyBytes) {
      r.stats.refused++;
      return answer(413, { error: 'too large' });
    }
    const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    const batch = JSON.parse(text) as WireBatch;
    r.stats.batches++;
    const ackSeq = r.store(batch);
    if (b.dropAck) {
      res.socket?.destroy();
      return;
    }
    answer(200, { ackSeq });
  }

  function listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = createServer((req, res) => {
        r.stats.inFlight++;
        handle(req, res)
          .catch((err: unknown) => {
            r.anomalies.push(`handler failed: ${String(err)}`);
            if (!res.headersSent) res.writeHead(500).end();
          })
          .finally(() => r.stats.inFlight--);
      });
      s.keepAliveTimeout = 30_000;
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  }

  function stop(): Promise<void> {
    const s = server;
    server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  await listen();
  return r;
}
