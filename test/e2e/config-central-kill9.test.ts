/**
 * kill -9 of a real `gateway run` while it applies central versions (issue 18, items 4 and 6): a
 * central server on loopback serves a new 1 MiB site file at every poll (each one renames a
 * device, so each is applied and written to the site file), and the gateway is SIGKILLed a random
 * moment after a text went out, while it parses, applies or writes it. After every kill the site
 * file is exactly one of the texts (the one before or a served one), and the gateway starts again
 * from it and goes on polling.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/loader.js';
import { spawnCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';

const TOKEN = 'kill9-central-token';
const KILLS = 8;

describe('a gateway killed with SIGKILL while it applies central versions', () => {
  let dir: string;
  let file: string;
  let server: Server;
  let centralPort: number;
  let httpPort: number;
  /** every text served (and the first site file), by its device name tag */
  const texts = new Map<string, string>();
  let served = 0;
  let onServe: (() => void) | undefined;

  const site = (tag: string) => {
    const head = `gateway: { id: kill9-central, dataDir: ./data }
http: { host: 127.0.0.1, port: ${httpPort} }
configSource: { url: "http://127.0.0.1:${centralPort}/config", token: ${TOKEN}, intervalS: 1, guardS: 0 }
devices:
  - id: ups1
    name: ${tag}
    driver: modbus
    connection: { host: 127.0.0.1, port: 1, unitId: 1 }
    pollIntervalMs: 1000
    points:
      - { key: load, table: holding, address: 0, type: uint16 }
`;
    const line = `# ${tag}: notes kept with the site file, as a large commented site has them\n`;
    const text = head + line.repeat(Math.ceil((1024 * 1024 - head.length) / line.length));
    texts.set(tag, text);
    return text;
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end();
      if (req.method !== 'GET') return void res.writeHead(204).end();
      const text = site(`version ${++served}`);
      res.writeHead(200, { etag: `"v${served}"` }).end(text, () => onServe?.());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    centralPort = (server.address() as AddressInfo).port;
    httpPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'gw-central-kill9-'));
    file = join(dir, 'site.yaml');
    writeFileSync(file, site('first'));
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`leaves a whole site file the gateway starts from, after each of ${KILLS} kills`, async () => {
    let midWrite = 0;
    const report: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const before = readFileSync(file, 'utf8');
      const gateway = spawnCli(['run', '--config', file]);
      const exited = new Promise<NodeJS.Signals | null>((r) => gateway.once('exit', (_code, signal) => r(signal)));
      // it started from the file the last kill left
      await waitFor(() => (/gateway started/.test(gateway.output()) ? true : undefined), 30_000, `start ${i}: ${gateway.output()}`);
      // let it apply one served text completely, then kill a random moment after the next goes out
      const first = served;
      await waitFor(() => (served >= first + 2 ? true : undefined), 15_000, 'two polls');
      await new Promise<void>((resolve) => {
        onServe = () => {
          onServe = undefined;
          setTimeout(() => {
            gateway.kill('SIGKILL');
            resolve();
          }, Math.random() * 120);
        };
      });
      expect(await exited).toBe('SIGKILL');
      const after = readFileSync(file, 'utf8');
      const tag = [...texts.entries()].find(([, t]) => t === after)?.[0];
      expect(tag, `kill ${i}: the site file (${after.length} bytes) is none of the texts`).toBeDefined();
      expect(parseSiteConfig(after, file).config?.devices[0]?.name).toBe(tag);
      if (readdirSync(dir).some((n) => n.startsWith('.site.yaml.') && n.endsWith('.tmp'))) midWrite++;
      report.push(`${before === after ? 'same' : 'new'}:${tag}`);
    }
    if (process.env.LIVE_CONFIG_REPORT) console.log(`kills ${KILLS}, served ${served}, killed mid-write ${midWrite}, files ${report.join(' ')}`);
    // the kills fell while it applied: the file moved on between them
    expect(report.filter((r) => r.startsWith('new')).length).toBeGreaterThan(KILLS / 2);
  }, 240_000);
});
