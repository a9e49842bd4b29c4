/**
 * Debian's influxdb (1.x) for the sync tests: influxd on free loopback ports (HTTP and the RPC
 * bind address) with its meta, data and WAL in a temp folder; a database created; points read
 * back through /query with epoch=ms.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineProcess } from './engine-process.js';
import { freePort } from './free-port.js';

export const INFLUXD = existsSync('/usr/bin/influxd') ? '/usr/bin/influxd' : 'influxd';

export interface InfluxDbPeer {
  url: string;
  start(): Promise<void>;
  stop(hard?: boolean): Promise<void>;
  dispose(): Promise<void>;
  log(): string;
  /** runs an InfluxQL statement (as the admin user when auth is on); the JSON answer */
  query(q: string, db?: string): Promise<InfluxQueryResult>;
}

export interface InfluxQueryResult {
  results: { series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[]; error?: string }[];
}

export interface InfluxDbOptions {
  database: string;
  /** turns auth on and creates this admin user */
  admin?: { username: string; password: string };
}

export async function startInfluxDb(options: InfluxDbOptions): Promise<InfluxDbPeer> {
  const port = await freePort();
  const rpcPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = engineProcess({
    name: 'influxdb',
    command: INFLUXD,
    args: (dir) => ['run', '-config', join(dir, 'influxdb.conf')],
    readyUrl: `${url}/ping`,
    readyTimeoutMs: 30_000,
  });
  const dir = proc.dir;
  writeFileSync(
    join(dir, 'influxdb.conf'),
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      `  auth-enabled = ${options.admin ? 'true' : 'false'}`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  await proc.start();
  const admin = options.admin;
  const run = async (q: string, db: string | undefined, asAdmin: boolean): Promise<InfluxQueryResult> => {
    const params = new URLSearchParams({ q, epoch: 'ms', ...(db ? { db } : {}) });
    const headers: Record<string, string> = admin && asAdmin ? { authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}` } : {};
    const res = await fetch(`${url}/query`, { method: 'POST', body: params, headers });
    const body = (await res.json()) as InfluxQueryResult & { error?: string };
    if (!res.ok || body.error || body.results?.some((r) => r.error)) throw new Error(`influx query ${q} answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const query = (q: string, db?: string) => run(q, db, true);
  // With no user yet, influxd lets the first admin be created without credentials.
  if (admin) await run(`CREATE USER "${admin.username}" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES`, undefined, false);
  await query(`CREATE DATABASE "${options.database}"`);
  return { url, start: proc.start, stop: proc.stop, dispose: proc.dispose, log: proc.log, query };
}
