/**
 * Modbus RTU slaves on a serial line (a real port or one end of a pty pair). Several unit ids
 * share the line like devices on an RS-485 bus. Parity and stop bits only matter to a real
 * UART; the framing is the same either way.
 */
import { SerialPort } from 'serialport';
import type { Logger } from '../../../core/logger.js';
import { createRtuParser } from './frames.js';
import type { Rng } from '../../../core/sim-random.js';
import { createResponder, type Link } from './responder.js';
import type { ServedSlave, ServerStats } from './slave.js';

export interface SerialServerOptions {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
  slaves: ReadonlyMap<number, ServedSlave>;
  stats: ServerStats;
  rng: Rng;
  logger: Logger;
  /** line silence that ends a broken frame (see createRtuParser) */
  silenceMs?: number;
}

export interface RunningSerialServer {
  readonly path: string;
  close(): Promise<void>;
}

export async function startSerialServer(opts: SerialServerOptions): Promise<RunningSerialServer> {
  const port = new SerialPort({
    path: opts.path,
    baudRate: opts.baudRate,
    parity: opts.parity,
    dataBits: opts.dataBits,
    stopBits: opts.stopBits,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));

  let closed = false;
  const link: Link = {
    write: (bytes) => {
      if (!closed) port.write(bytes);
    },
    drop: () => {},
    get closed() {
      return closed;
    },
  };
  const responder = createResponder({ framing: 'rtu', slaves: opts.slaves, stats: opts.stats, rng: opts.rng, link });
  const parser = createRtuParser({
    onFrame: responder.onFrame,
    onDiscard: (n) => {
      opts.stats.discardedBytes += n;
    },
    silenceMs: opts.silenceMs,
  });
  port.on('data', (chunk: Buffer) => parser.push(chunk));
  port.on('error', (err) => opts.logger.warn('simulator serial port error', { path: opts.path, err }));
  port.on('close', () => {
    closed = true;
    responder.dispose();
    parser.dispose();
  });

  return {
    path: opts.path,
    close: () =>
      new Promise<void>((resolve) => {
        if (closed || !port.isOpen) {
          closed = true;
          resolve();
          return;
        }
        closed = true;
        port.close(() => resolve());
      }),
  };
}
