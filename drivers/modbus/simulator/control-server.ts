/**
 * A tiny HTTP API to switch scenarios while a simulated site runs (for the demo and the
 * `gateway scenario NAME on|off` command):
 *   GET /scenarios            → {"power-failure":false,"cooling-failure":false}
 *   PUT /scenarios/{name}     body {"active":true} → 200 with the new state of every scenario
 * Unknown scenario → 404, bad body → 400, both as {"error": "..."}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isScenarioName } from '../../../core/scenarios.js';
import type { SimulatedSite } from './site.js';

export interface ControlServerOptions {
  /** 0 picks a free port */
  port: number;
  /** default 127.0.0.1: switching scenarios is not for the whole network */
  host?: string;
}

export interface ControlServer {
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:8502 */
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY = 4096;

export function startControlServer(
  site: Pick<SimulatedSite, 'scenarios' | 'setScenario'>,
  opts: ControlServerOptions,
): Promise<ControlServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(site, req, res).catch((err: unknown) => {
      send(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      resolve({
        host,
        port,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function handle(
  site: Pick<SimulatedSite, 'scenarios' | 'setScenario'>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
  if (path === '/scenarios') {
    if (req.method !== 'GET') return send(res, 405, { error: 'use GET' }, { allow: 'GET' });
    return send(res, 200, site.scenarios());
  }
  const match = /^\/scenarios\/([^/]+)$/.exec(path);
  if (!match) return send(res, 404, { error: `no such resource ${path || '/'}` });
  if (req.method !== 'PUT') return send(res, 405, { error: 'use PUT' }, { allow: 'PUT' });
  const name = decodeURIComponent(match[1]!);
  if (!isScenarioName(name)) {
    return send(res, 404, { error: `unknown scenario "${name}"`, scenarios: Object.keys(site.scenarios()) });
  }
  const body = await readBody(req);
  let active: unknown;
  try {
    active = (JSON.parse(body ?? '') as { active?: unknown } | null)?.active;
  } catch {
    return send(res, 400, { error: 'body must be JSON like {"active":true}' });
  }
  if (typeof active !== 'boolean') return send(res, 400, { error: 'body must be JSON like {"active":true}' });
  site.setScenario(name, active);
  return send(res, 200, site.scenarios());
}

/** The body as text, or null when it is larger than any valid request. */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let body: string | null = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      if (body === null) return;
      body += chunk;
      if (body.length > MAX_BODY) body = null;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}
