/**
 * Modbus TCP (MBAP) or RTU-over-TCP server on node:net. Requests are answered synchronously in
 * the socket's 'data' handler (no timer per reply), so one connection sustains tens of
 * thousands of requests per second.
 */
import { createServer, type Socket } from 'node:net';
import type { Logger } from '../../../core/logger.js';
import { createMbapParser, createRtuParser, type FrameParser } from './frames.js';
import type { Rng } from '../../../core/sim-random.js';
import { createResponder, type Framing, type Link } from './responder.js';
import type { ServedSlave, ServerStats } from './slave.js';

export interface TcpServerOptions {
  framing: Framing;
  host: string;
  /** 0 picks a free port */
  port: number;
  slaves: ReadonlyMap<number, ServedSlave>;
  stats: ServerStats;
  rng: Rng;
  logger: Logger;
  /** RTU framing: line silence that ends a broken frame (see createRtuParser) */
  silenceMs?: number;
}

export interface RunningTcpServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function startTcpServer(opts: TcpServerOptions): Promise<RunningTcpServer> {
  const sockets = new Set<Socket>();

  const server = createServer({ noDelay: true }, (socket) => {
    opts.stats.connections++;
    opts.stats.openConnections++;
    sockets.add(socket);
    let closed = false;
    const link: Link = {
      write: (bytes) => {
        if (!closed) socket.write(bytes);
      },
      drop: () => {
        closed = true;
        socket.destroy();
      },
      get closed() {
        return closed;
      },
    };
    const responder = createResponder({ framing: opts.framing, slaves: opts.slaves, stats: opts.stats, rng: opts.rng, link });
    const parser: FrameParser =
      opts.framing === 'mbap'
        ? createMbapParser({
            onFrame: responder.onFrame,
            onError: (reason) => {
              opts.logger.debug('closing connection after a bad frame', { reason });
              link.drop();
            },
          })
        : createRtuParser({
            onFrame: responder.onFrame,
            onDiscard: (n) => {
              opts.stats.discardedBytes += n;
            },
            silenceMs: opts.silenceMs,
          });

    socket.on('data', (chunk: Buffer) => {
      // several requests in one chunk leave in one segment
      socket.cork();
      parser.push(chunk);
      socket.uncork();
    });
    socket.on('error', (err) => opts.logger.debug('simulator connection error', { err }));
    socket.on('close', () => {
      closed = true;
      opts.stats.openConnections--;
      sockets.delete(socket);
      responder.dispose();
      parser.dispose();
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      server.on('error', (err) => opts.logger.warn('simulator server error', { err }));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      resolve({
        host: opts.host,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
