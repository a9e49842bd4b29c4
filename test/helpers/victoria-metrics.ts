/**
 * Debian's victoria-metrics (single node) for the sync tests and bench: Prometheus remote_write at
 * /api/v1/write, Influx line protocol at /write and /api/v2/write, read back exactly through
 * /api/v1/export (raw samples, millisecond timestamps).
 */
import { existsSync } from 'node:fs';
import { engineProcess } from './engine-process.js';
import { freePort } from './free-port.js';

export const VICTORIA_METRICS = existsSync('/usr/bin/victoria-metrics') ? '/usr/bin/victoria-metrics' : 'victoria-metrics';

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export interface VictoriaMetricsPeer {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(hard?: boolean): Promise<void>;
  dispose(): Promise<void>;
  log(): string;
  /** every series matching the selector, raw (after a flush, so what was just acked is there) */
  exportSeries(match: string): Promise<ExportedSeries[]>;
}

export interface VictoriaMetricsOptions {
  /** basic auth on every endpoint (-httpAuth.*) */
  basicAuth?: { username: string; password: string };
  /** -dedup.minScrapeInterval: the documented way to drop resent duplicates (default 1ms: same timestamp) */
  dedupInterval?: string;
}

export async function startVictoriaMetrics(options: VictoriaMetricsOptions = {}): Promise<VictoriaMetricsPeer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const auth = options.basicAuth;
  const authHeader: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
  const proc = engineProcess({
    name: 'victoria-metrics',
    command: VICTORIA_METRICS,
    args: (dir) => [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${dir}`,
      '-retentionPeriod=100y',
      `-dedup.minScrapeInterval=${options.dedupInterval ?? '1ms'}`,
      '-loggerLevel=ERROR',
      ...(auth ? [`-httpAuth.username=${auth.username}`, `-httpAuth.password=${auth.password}`] : []),
    ],
    // /health is open even with -httpAuth
    readyUrl: `${url}/health`,
  });
  await proc.start();
  return {
    url,
    port,
    start: proc.start,
    stop: proc.stop,
    dispose: proc.dispose,
    log: proc.log,
    async exportSeries(match) {
      const flush = await fetch(`${url}/internal/force_flush`, { headers: authHeader });
      await flush.arrayBuffer();
      const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': match, start: '0' })}`, { headers: authHeader });
      const text = await res.text();
      if (!res.ok) throw new Error(`export answered ${res.status}: ${text}`);
      return text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as ExportedSeries);
    },
  };
}
