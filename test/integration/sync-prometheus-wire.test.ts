/**
 * What the time-series targets put on the wire, seen by a plain HTTP server on loopback that
 * decodes it independently (snappy + the remote_write protobuf, gunzip + line protocol): the
 * headers, bearer/token auth, samples sorted by time within a series, and the answers' handling
 * (413 halves the batch, 429/5xx retried, other 4xx held). Real engines are in the other files.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import snappy from 'snappyjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../core/secret.js';
import type { Sample } from '../../core/types.js';
import { WriteRequest } from '../../sync/tsdb/remote-write.js';
import { until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { drained, influxTarget, prometheusTarget, tsdbGateway } from '../helpers/tsdb-fixtures.js';

const temp = createTempStores('sync-tsdb-wire-');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  temp.cleanup();
});

interface Seen {
  status: number;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Records every request; answers with `answer(n)` (status, text) for the n-th one. */
async function recorder(answer: (n: number, body: Buffer) => [number, string] = () => [204, '']): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const [status, text] = answer(seen.length + 1, body);
      seen.push({ status, url: req.url!, headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

interface Decoded {
  timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[];
}

function decode(body: Buffer): Decoded {
  const raw = snappy.uncompress(new Uint8Array(body));
  return WriteRequest.toObject(WriteRequest.decode(raw), { longs: Number, defaults: true }) as Decoded;
}

describe('remote_write on the wire', () => {
  it('sends snappy protobuf with the remote_write headers and a bearer token, samples sorted by time per series', async () => {
    const rec = await recorder();
    const { store, sync } = await tsdbGateway(temp, prometheusTarget(`${rec.url}/api/v1/write`, { token: new Secret('bearer-abc') }));
    cleanups.push(() => sync.stop());
    const t0 = Date.UTC(2026, 0, 1);
    // stored out of time order: the series must still arrive sorted; two readings at one ts keep the later seq
    const samples: Sample[] = [
      { pointId: 'dev0.p1', ts: t0 + 3000, value: 3, quality: 'good' },
      { pointId: 'dev0.p1', ts: t0 + 1000, value: 1, quality: 'good' },
      { pointId: 'dev0.p1', ts: t0 + 2000, value: true, quality: 'good' },
      { pointId: 'dev0.p1', ts: t0 + 2000, value: false, quality: 'uncertain', reason: 'stale' },
      { pointId: 'dev0.p2', ts: t0, value: 'text', quality: 'good' },
      { pointId: 'dev0.p2', ts: t0 + 1, value: Number.NaN, quality: 'good' },
      { pointId: 'dev0.p2', ts: t0 + 2, value: 7, quality: 'bad', reason: 'timeout' },
    ];
    store.append(samples);
    store.flush();
    sync.start();
    await until(drained(sync), 5000, 'the drain');
    expect(rec.seen).toHaveLength(1);
    const { headers, body } = rec.seen[0]!;
    expect(headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      authorization: 'Bearer bearer-abc',
    });
    const decoded = decode(body);
    expect(decoded.timeseries).toHaveLength(1);
    expect(decoded.timeseries[0]!.labels.map((l) => l.name)).toEqual(['__name__', 'device', 'gateway', 'key', 'kind', 'point', 'unit']);
    expect(decoded.timeseries[0]!.samples).toEqual([
      { value: 1, timestamp: t0 + 1000 },
      { value: 0, timestamp: t0 + 2000 },
      { value: 3, timestamp: t0 + 3000 },
    ]);
    expect(sync.health().targets[0]!.skipped).toEqual({ text: 1, noValue: 1, badQuality: 1, sameTimestamp: 1, beyondRetention: 0 });
  });

  it('halves the batch on 413, retries 429 and 5xx, and holds other 4xx as rejected', async () => {
    let refuse = false;
    const rec = await recorder((n, body) => {
      if (refuse) return [404, 'no such path'];
      const size = decode(body).timeseries.reduce((a, s) => a + s.samples.length, 0);
      if (size > 100) return [413, 'too big'];
      if (n === 5) return [429, 'slow down'];
      if (n === 6) return [503, 'busy'];
      return [204, ''];
    });
    const { store, sync } = await tsdbGateway(temp, prometheusTarget(`${rec.url}/api/v1/write`, { batchItems: 400 }));
    cleanups.push(() => sync.stop());
    const t0 = Date.UTC(2026, 0, 1);
    store.append(Array.from({ length: 800 }, (_, i) => ({ pointId: `dev0.p${i % 4}`, ts: t0 + i, value: i, quality: 'good' as const })));
    store.flush();
    sync.start();
    await until(drained(sync), 10_000, 'the drain');
    expect(rec.seen.map((s) => s.status).slice(0, 6)).toEqual([413, 413, 204, 204, 429, 503]);
    expect(sync.health().targets[0]!.batchItems).toBe(100);
    // every sample arrived in an accepted request, and exactly once
    const accepted = rec.seen.filter((s) => s.status === 204).flatMap((s) => decode(s.body).timeseries.flatMap((t) => t.samples.map((x) => x.timestamp)));
    expect(accepted.sort((a, b) => a - b)).toEqual(Array.from({ length: 800 }, (_, i) => t0 + i));

    refuse = true;
    store.append([{ pointId: 'dev0.p0', ts: t0 + 5000, value: 1, quality: 'good' }]);
    store.flush();
    await until(() => sync.health().targets[0]!.lastError?.status === 404, 5000, 'the 404');
    const t = sync.health().targets[0]!;
    expect(t).toMatchObject({ state: 'error', lastError: { kind: 'rejected' } });
    expect(t.streams.readings?.depth).toBe(1);
  });
});

describe('Influx v2 on the wire', () => {
  it('POSTs gzip line protocol to /api/v2/write with org, bucket, precision=ms and a Token header', async () => {
    const rec = await recorder();
    const target = influxTarget(`${rec.url}/base/`, { api: 'v2', org: 'my org', bucket: 'b&1', database: undefined, token: new Secret('tok-xyz') });
    const { store, sync } = await tsdbGateway(temp, target, { gatewayId: 'gw 1' });
    cleanups.push(() => sync.stop());
    const t0 = Date.UTC(2026, 0, 1);
    store.append([
      { pointId: 'dev0.p1', ts: t0, value: 21.5, quality: 'good' },
      { pointId: 'dev0.p1', ts: t0 + 1000, value: true, quality: 'good' },
      { pointId: 'dev0.p1', ts: t0 + 2000, value: 1e21, quality: 'good' },
    ]);
    store.flush();
    sync.start();
    await until(drained(sync), 5000, 'the drain');
    const { url, headers, body } = rec.seen[0]!;
    expect(url).toBe('/base/api/v2/write?org=my+org&bucket=b%261&precision=ms');
    expect(headers).toMatchObject({ authorization: 'Token tok-xyz', 'content-encoding': 'gzip' });
    const prefix = 'facility,device=dev0,gateway=gw\\ 1,key=p1_temp,kind=crac,point=dev0.p1,unit=°C p1_temp=';
    expect(gunzipSync(body).toString('utf8')).toBe(`${prefix}21.5 ${t0}\n${prefix}1 ${t0 + 1000}\n${prefix}1e+21 ${t0 + 2000}\n`);
  });
});
