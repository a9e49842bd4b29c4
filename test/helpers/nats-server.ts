/**
 * Debian's nats-server with JetStream for integration tests and benches: one server, or a cluster
 * of servers routed to each other on loopback, each with its own temporary store folder. A node can
 * be killed (SIGKILL) and started again on the same ports and store, as an operator's restart does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { waitForPort } from './wait-for-port.js';
import { freePort } from './free-port.js';

export const NATS_SERVER = existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';

export interface NatsAuth {
  user?: string;
  password?: string;
  token?: string;
  /** an NKey user's public key (`U…`) */
  nkey?: string;
  /** subjects the user/password user may not publish to */
  denyPublish?: string[];
}

export interface NatsNode {
  name: string;
  port: number;
  url: string;
  running(): boolean;
  /** SIGKILL (hard) or SIGTERM */
  stop(hard?: boolean): Promise<void>;
  start(): Promise<void>;
  log(): string;
}

export interface NatsCluster {
  nodes: NatsNode[];
  urls: string[];
  /** A client connection (for the test's own checks), with the cluster's auth. */
  client(options?: Partial<NodeConnectionOptions>): Promise<NatsConnection>;
  /** Resolves when JetStream answers (a meta leader is elected). */
  ready(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  /** 1 for a single server; 3 for a cluster */
  nodes?: number;
  auth?: NatsAuth;
  /** TLS on the client port with this certificate and key (PEM files) */
  tls?: { certFile: string; keyFile: string };
  /** options for the test's own client connections (an NKey authenticator, TLS CA) */
  clientOptions?: Partial<NodeConnectionOptions>;
}

function authBlock(auth: NatsAuth | undefined): string[] {
  if (!auth) return [];
  if (auth.token) return [`authorization { token: "${auth.token}" }`];
  if (auth.nkey) return [`authorization { users: [ { nkey: "${auth.nkey}" } ] }`];
  const deny = auth.denyPublish ? `, permissions: { publish: { deny: [${auth.denyPublish.map((d) => `"${d}"`).join(', ')}] } }` : '';
  return [`authorization { users: [ { user: "${auth.user}", password: "${auth.password}"${deny} } ] }`];
}

function tlsBlock(tls: NatsServerOptions['tls']): string[] {
  return tls ? [`tls { cert_file: "${tls.certFile}", key_file: "${tls.keyFile}" }`] : [];
}


export async function startNats(options: NatsServerOptions = {}): Promise<NatsCluster> {
  const count = options.nodes ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'nats-'));
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const routePorts = count > 1 ? await Promise.all(Array.from({ length: count }, () => freePort())) : [];
  const nodes: NatsNode[] = ports.map((port, i) => {
    const name = `n${i + 1}`;
    const store = join(dir, name);
    mkdirSync(store);
    const conf = join(dir, `${name}.conf`);
    const cluster =
      count > 1
        ? [
            'cluster {',
            '  name: gw-test',
            `  listen: 127.0.0.1:${routePorts[i]}`,
            `  routes: [${routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]`,
            '}',
          ]
        : [];
    writeFileSync(
      conf,
      [`server_name: ${name}`, `listen: 127.0.0.1:${port}`, `jetstream { store_dir: "${store}", max_mem: 64M, max_file: 4G }`, ...authBlock(options.auth), ...tlsBlock(options.tls), ...cluster, ''].join(
        '\n',
      ),
    );
    let child: ChildProcess | undefined;
    let output = '';
    const node: NatsNode = {
      name,
      port,
      url: `nats://127.0.0.1:${port}`,
      running: () => child !== undefined,
      async start() {
        if (child) return;
        const proc = spawn(NATS_SERVER, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
        child = proc;
        const keep = (d: Buffer) => {
          output = (output + d.toString()).slice(-20_000);
        };
        proc.stdout?.on('data', keep);
        proc.stderr?.on('data', keep);
        proc.once('exit', () => {
          if (child === proc) child = undefined;
        });
        try {
          await waitForPort('nats-server', port, 10_000, () => proc.exitCode !== null);
        } catch (err) {
          proc.kill('SIGKILL');
          throw new Error(`${(err as Error).message}\n${output}`);
        }
      },
      async stop(hard = true) {
        const proc = child;
        if (!proc) return;
        child = undefined;
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
        });
      },
      log: () => output,
    };
    return node;
  });
  const auth: Partial<NodeConnectionOptions> = options.auth?.token
    ? { token: options.auth.token }
    : options.auth?.user
      ? { user: options.auth.user, pass: options.auth.password ?? '' }
      : {};
  const urls = nodes.map((n) => n.url);
  const client = (extra: Partial<NodeConnectionOptions> = {}) => connect({ servers: urls, ...auth, maxReconnectAttempts: -1, reconnectTimeWait: 100, ...options.clientOptions, ...extra });

  const cluster: NatsCluster = {
    nodes,
    urls,
    client,
    async ready(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        try {
          const nc = await client({ maxReconnectAttempts: 0, timeout: 1000 });
          try {
            const jsm = await jetstreamManager(nc, { timeout: 1000 });
            await jsm.getAccountInfo();
            return;
          } finally {
            await nc.close();
          }
        } catch (err) {
          last = err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`JetStream not ready within ${timeoutMs} ms: ${String(last)}\n${nodes.map((n) => n.log().slice(-1500)).join('\n')}`);
    },
    async dispose() {
      await Promise.all(nodes.map((n) => n.stop(true)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await cluster.ready();
  } catch (err) {
    await cluster.dispose();
    throw err;
  }
  return cluster;
}
