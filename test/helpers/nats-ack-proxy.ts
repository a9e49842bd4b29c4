/**
 * A loopback TCP proxy in front of a NATS server that can go deaf: while deaf, what the server
 * sends back (PubAcks included) is thrown away, but what the client sends still arrives, so the
 * server stores messages whose acks are lost. `hear()` cuts the connections (the protocol stream is
 * broken by the dropped bytes) and passes everything again: the client reconnects and resends.
 */
import { connect, createServer, type Socket } from 'node:net';
import { freePort } from './free-port.js';

export interface AckProxy {
  readonly port: number;
  readonly url: string;
  deaf(): void;
  /** goes deaf as soon as the client sends `text` (`HPUB <subject> `: the first publish, after the login and the stream check) */
  deafOn(text: string): void;
  /** whether it is deaf now */
  isDeaf(): boolean;
  hear(): void;
  close(): Promise<void>;
}

export async function startAckProxy(serverPort: number): Promise<AckProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let deaf = false;
  let trigger: Buffer | undefined;
  const server = createServer((client) => {
    const upstream = connect(serverPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      if (trigger && d.includes(trigger)) {
        trigger = undefined;
        deaf = true;
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!deaf) client.write(d);
    });
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', drop);
      s.on('close', drop);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    deaf() {
      deaf = true;
    },
    deafOn(text) {
      trigger = Buffer.from(text);
    },
    isDeaf: () => deaf,
    hear() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      deaf = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
