/**
 * Debian's prometheus as a remote_write receiver for the sync tests: started with
 * --web.enable-remote-write-receiver on a free loopback port, restartable with another config
 * (the out-of-order window), and queried back through /api/v1/query.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineProcess } from './engine-process.js';
import { freePort } from './free-port.js';

export const PROMETHEUS = existsSync('/usr/bin/prometheus') ? '/usr/bin/prometheus' : 'prometheus';

export interface PromSample {
  ts: number;
  value: number;
}

export interface PrometheusPeer {
  url: string;
  /** the remote_write endpoint */
  writeUrl: string;
  start(): Promise<void>;
  stop(hard?: boolean): Promise<void>;
  dispose(): Promise<void>;
  /** stops, rewrites prometheus.yml (with this out-of-order window, e.g. '1h'), starts on the same data */
  restartWith(config: { outOfOrderWindow?: string }): Promise<void>;
  log(): string;
  /** the raw samples of each series matching `selector` in the `range` before `atMs` (a range-vector query at `@`) */
  rawSamples(selector: string, atMs: number, range?: string): Promise<{ labels: Record<string, string>; samples: PromSample[] }[]>;
}

function configText(outOfOrderWindow?: string): string {
  return ['global:', '  scrape_interval: 1h', ...(outOfOrderWindow ? ['storage:', '  tsdb:', `    out_of_order_time_window: ${outOfOrderWindow}`] : []), ''].join('\n');
}

export async function startPrometheus(config: { outOfOrderWindow?: string } = {}): Promise<PrometheusPeer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = engineProcess({
    name: 'prometheus',
    command: PROMETHEUS,
    args: (dir) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=error',
    ],
    readyUrl: `${url}/-/ready`,
  });
  writeFileSync(join(proc.dir, 'prometheus.yml'), configText(config.outOfOrderWindow));
  await proc.start();
  return {
    url,
    writeUrl: `${url}/api/v1/write`,
    start: proc.start,
    stop: proc.stop,
    dispose: proc.dispose,
    log: proc.log,
    async restartWith(next) {
      await proc.stop();
      writeFileSync(join(proc.dir, 'prometheus.yml'), configText(next.outOfOrderWindow));
      await proc.start();
    },
    async rawSamples(selector, atMs, range = '1h') {
      const query = `${selector}[${range}]`;
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query, time: (atMs / 1000).toFixed(3) })}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
      if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error}`);
      return body.data.result.map((r) => ({
        labels: r.metric,
        // seconds with millisecond decimals: back to integer ms exactly
        samples: r.values.map(([t, v]) => ({ ts: Math.round(t * 1000), value: Number(v) })),
      }));
    },
  };
}
