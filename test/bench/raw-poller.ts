/**
 * The CPU baseline for the site-load benchmark, run as its own process: the same Modbus reads
 * at the same rate as the gateway, with modbus-serial and better-sqlite3 used directly. Started
 * by site-load.ts with one JSON argument (RawPollerArgs); prints `ready`, then `rows <n> <ms>`
 * every second.
 */
import ModbusRTU from 'modbus-serial';
import { openRawReadingsDb } from './raw-readings-db.js';

export interface RawPollerArgs {
  ports: number[];
  unitsPerPort: number;
  /** registers per device read (from address 0) */
  registers: number;
  /** per point: [first register, width in registers (1 or 2)] */
  layout: [number, number][];
  pollIntervalMs: number;
  commitIntervalMs: number;
  synchronous: 'full' | 'normal';
  dbFile: string;
}

async function main(args: RawPollerArgs): Promise<void> {
  const db = openRawReadingsDb(args.dbFile, args.synchronous);
  const clients = await Promise.all(
    args.ports.map(async (port) => {
      const client = new ModbusRTU.default();
      await client.connectTCP('127.0.0.1', { port });
      client.setTimeout(1000);
      return client;
    }),
  );
  const pointsPerDevice = args.layout.length;
  const pollPort = async (p: number) => {
    const client = clients[p]!;
    for (let u = 1; u <= args.unitsPerPort; u++) {
      client.setID(u);
      const { data } = await client.readHoldingRegisters(0, args.registers);
      const ts = Date.now();
      const base = (p * args.unitsPerPort + u - 1) * pointsPerDevice;
      for (let i = 0; i < pointsPerDevice; i++) {
        const [at, width] = args.layout[i]!;
        const value = width === 1 ? data[at]! * 0.1 : data[at]! * 65536 + data[at + 1]!;
        db.add(ts, base + i, value);
      }
    }
  };
  const busy = new Array<boolean>(clients.length).fill(false);
  const round = () =>
    Promise.all(
      clients.map(async (_, p) => {
        // Like the gateway's sampler: a poll still running when the next is due skips it.
        if (busy[p]) return;
        busy[p] = true;
        try {
          await pollPort(p);
        } finally {
          busy[p] = false;
        }
      }),
    );
  await round();
  db.commit();
  process.stdout.write('ready\n');
  setInterval(() => void round().catch((err: unknown) => process.stderr.write(`poll failed: ${String(err)}\n`)), args.pollIntervalMs);
  setInterval(() => db.commit(), args.commitIntervalMs);
  setInterval(() => process.stdout.write(`rows ${db.committed} ${Date.now()}\n`), 1000);
  process.on('SIGTERM', () => {
    db.close();
    for (const c of clients) c.close(() => {});
    process.exit(0);
  });
}

await main(JSON.parse(process.argv[2] ?? '{}') as RawPollerArgs);
