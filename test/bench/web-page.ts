/**
 * The web page under load: overview server time on a 10 k-point site (against a bare render of
 * the same values measured in the same run), live-update fan-out to 20 SSE clients over real
 * HTTP (commit → browser latency), and page weight before charts.
 * Run alone: `npx tsx test/bench/web-page.ts`.
 */
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import type { DeviceConfig } from '../../config/types.js';
import { createDashboardApp } from '../../dashboard/app.js';
import type { DashboardDeps } from '../../dashboard/deps.js';
import { startHttpServer } from '../../dashboard/http-server.js';
import type { AlarmRule } from '../../gateway/alarms/types.js';
import { createCatalog } from '../../gateway/catalog.js';
import { initialStatus } from '../../core/device-status.js';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { alarmRig, discreteRule, limitRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { createTestAuth } from '../helpers/web-auth.js';
import { type BenchRow, printTable } from './bench-row.js';
import { modbusDevice, modbusPoint, tcpConnection } from '../helpers/modbus-fixtures.js';

export interface WebBenchOptions {
  devices?: number;
  pointsPerDevice?: number;
  /** overview requests measured */
  requests?: number;
  clients?: number;
  /** commits measured for the fan-out */
  commits?: number;
}

const KINDS = ['ups', 'hvac', 'pdu', 'sensor'] as const;
const KEYS: Record<(typeof KINDS)[number], string[]> = {
  ups: ['output_load', 'runtime_remaining', 'battery_charge', 'mode'],
  hvac: ['supply_temp', 'return_temp', 'humidity', 'unit_status'],
  pdu: ['total_power', 'total_current', 'input_voltage'],
  sensor: ['temperature', 'humidity'],
};

function site(devices: number, perDevice: number): DeviceConfig[] {
  return Array.from({ length: devices }, (_, d) => {
    const kind = KINDS[d % KINDS.length]!;
    const keys = [...KEYS[kind], ...Array.from({ length: perDevice }, (_, i) => `p${i}`)].slice(0, perDevice);
    const points = keys.map((key) => ({ ...modbusPoint(`dev${d}`, key, 0), name: key.replaceAll('_', ' '), unit: '%' }));
    return {
      ...modbusDevice(`dev${d}`, tcpConnection(502), points),
      name: `${kind.toUpperCase()} ${d}`,
      kind,
      location: `Hall ${String.fromCharCode(65 + (d % 6))}`,
    };
  });
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export async function benchWeb(opts: WebBenchOptions = {}): Promise<BenchRow[]> {
  const devices = opts.devices ?? 500;
  const perDevice = opts.pointsPerDevice ?? 20;
  const requests = opts.requests ?? 40;
  const clients = opts.clients ?? 20;
  const commits = opts.commits ?? 30;
  const temp = createTempStores('web-bench-', { commitIntervalMs: 60_000, maxBatch: 1_000_000 });
  const testAuth = createTestAuth();
  const rows: BenchRow[] = [];
  try {
    const config = site(devices, perDevice);
    const catalog = createCatalog(config);
    const store = temp.open(temp.file());
    const now = Date.now();
    const samples = (t: number, salt: number): Sample[] => catalog.points.map((p, i) => ({ pointId: p.id, ts: t, value: ((i * 31 + salt) % 1000) / 10, quality: 'good' }));
    store.append(samples(now, 0));
    store.flush();
    // A few hundred rules, some active: the overview reads the alarm list on every render.
    const rules: AlarmRule[] = [];
    for (const d of config.slice(0, 300)) {
      const first = d.points[0]!.id;
      rules.push(d.kind === 'ups' ? discreteRule(`${d.id}.r`, first, { op: 'equals', value: 0.1 }) : limitRule(`${d.id}.r`, first, { hi: 90 }));
    }
    const alarms = alarmRig(store, rules);
    const statuses = config.map((d, i) => ({ ...initialStatus(d.id), state: i % 50 === 0 ? ('down' as const) : ('up' as const), lastSuccess: now, polls: 10 }));
    const deps: DashboardDeps = {
      gatewayId: 'bench',
      version: '0',
      startedAt: now,
      catalog,
      store,
      deviceStatus: () => statuses,
      auth: testAuth.auth,
      alarms: alarms.engine,
      logger: silentLogger,
      // 20 tablets are 20 logins; the bench opens its streams with one token, so the per-owner
      // cap (10 by default: an 11th stream closes the oldest) is raised to the client count
      maxLiveStreams: clients,
    };
    const app = createDashboardApp(deps);
    const headers = testAuth.bearer('viewer');

    // --- overview server time -------------------------------------------------------------
    for (let i = 0; i < 5; i++) await (await app.request('/', { headers })).text();
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      await (await app.request('/', { headers })).text();
      times.push(performance.now() - t0);
    }
    // Baseline: read every latest value and concatenate a bare table (what any page must do at least).
    const bare: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      let out = '';
      for (const p of catalog.points) {
        const v = store.latestOf(p.id);
        out += `<tr><td>${p.name}</td><td>${String(v?.value)}</td></tr>`;
      }
      if (out.length === 0) throw new Error('empty');
      bare.push(performance.now() - t0);
    }
    const p50 = percentile(times, 50);
    rows.push({
      name: `overview server time, ${catalog.points.length.toLocaleString('en-US')} points, p50`,
      value: p50,
      unit: 'ms',
      baseline: `bare render of every value ${percentile(bare, 50).toFixed(1)} ms`,
      ratio: p50 / percentile(bare, 50),
      target: '< 50 ms',
      pass: p50 < 50,
    });
    rows.push({ name: 'overview server time, p95', value: percentile(times, 95), unit: 'ms', target: '< 50 ms', pass: percentile(times, 95) < 50 });

    // --- page weight before charts ---------------------------------------------------------
    const html = await (await app.request('/', { headers })).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
    let raw = Buffer.byteLength(html);
    let gz = gzipSync(html).length;
    for (const url of assets) {
      const body = Buffer.from(await (await app.request(url)).arrayBuffer());
      raw += body.length;
      gz += (await (await app.request(url, { headers: { 'accept-encoding': 'gzip' } })).arrayBuffer()).byteLength;
    }
    rows.push({ name: `overview page weight (HTML+CSS+JS, ${catalog.points.length / 1000} k points), sent gzipped`, value: gz / 1024, unit: 'KB', baseline: `uncompressed ${(raw / 1024).toFixed(0)} KB`, target: '< 200 KB', pass: gz / 1024 < 200 });
    const small = createDashboardApp({ ...deps, catalog: createCatalog(config.slice(0, 6)), alarms: undefined });
    const smallHtml = await (await small.request('/', { headers })).text();
    const smallRaw = Buffer.byteLength(smallHtml);
    let smallAssets = 0;
    for (const url of [...smallHtml.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'))) {
      smallAssets += (await (await small.request(url)).arrayBuffer()).byteLength;
    }
    rows.push({ name: 'overview page weight, demo-sized site (6 devices), uncompressed', value: (smallRaw + smallAssets) / 1024, unit: 'KB', target: '< 200 KB', pass: (smallRaw + smallAssets) / 1024 < 200 });

    // --- live fan-out over HTTP -------------------------------------------------------------
    const server = await startHttpServer(app, '127.0.0.1', 0);
    try {
      const fanout = async (n: number) => {
        const latencies: number[] = [];
        const committedAt = new Map<number, number>();
        const controllers: AbortController[] = [];
        let ready = 0;
        const readers = Array.from({ length: n }, async () => {
          const ac = new AbortController();
          controllers.push(ac);
          const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/live?view=overview`, { headers, signal: ac.signal });
          const reader = res.body!.getReader();
          const decoder = new TextDecoder();
          let buffer = '';
          let counted = false;
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              buffer += decoder.decode(value, { stream: true });
              if (!counted && buffer.includes('event: hello')) {
                counted = true;
                ready++;
              }
              let end = buffer.indexOf('\n\n');
              while (end >= 0) {
                const block = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                if (block.startsWith('event: values')) {
                  const at = performance.now();
                  const ts = Number(/,"good",(\d+),/.exec(block)?.[1]);
                  const sent = committedAt.get(ts);
                  if (sent !== undefined) latencies.push(at - sent);
                }
                end = buffer.indexOf('\n\n');
              }
            }
          } catch {
            // aborted at the end
          }
        });
        while (ready < n) await new Promise((r) => setTimeout(r, 10));
        for (let c = 1; c <= commits; c++) {
          const ts = now + c * 1000;
          store.append(samples(ts, c));
          store.flush();
          committedAt.set(ts, performance.now());
          await new Promise((r) => setTimeout(r, 50));
        }
        await new Promise((r) => setTimeout(r, 300));
        for (const ac of controllers) ac.abort();
        await Promise.allSettled(readers);
        return latencies;
      };
      const one = await fanout(1);
      const many = await fanout(clients);
      const p99 = percentile(many, 99);
      rows.push({
        name: `live update, commit → ${clients} SSE clients (${catalog.points.length / 1000} k-point commits), p50`,
        value: percentile(many, 50),
        unit: 'ms',
        baseline: `1 client p50 ${percentile(one, 50).toFixed(1)} ms`,
        ratio: percentile(many, 50) / Math.max(0.01, percentile(one, 50)),
      });
      // every client should see every commit: fewer arrivals fail the row even with a fast p99
      const arrived = `${many.length} of ${clients * commits} updates arrived`;
      rows.push({ name: `live update, ${clients} clients, p99 (${arrived})`, value: p99, unit: 'ms', target: '< 1000 ms, >= 90 % arrived', pass: p99 < 1000 && many.length >= clients * commits * 0.9 });
    } finally {
      await server.close();
    }
    alarms.engine.stop();
    return rows;
  } finally {
    testAuth.close();
    temp.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchWeb().then(printTable, (err) => {
    console.error(err);
    process.exit(1);
  });
}
