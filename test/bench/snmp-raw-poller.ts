/**
 * The baseline of the SNMP benchmark, run as its own process: the same GETs at the same rate as
 * the gateway, with net-snmp sessions and better-sqlite3 used directly (one session per agent,
 * one GET of all OIDs per poll, rows committed every commitIntervalMs). Started by
 * snmp-polling.ts with one JSON argument; prints `ready`, then `round <n> <ms>` after each round
 * (n: readings taken so far), so a rate can be taken over whole rounds.
 */
import snmp from 'net-snmp';
import { openRawReadingsDb } from './raw-readings-db.js';

export interface SnmpRawPollerArgs {
  ports: number[];
  oids: string[];
  community: string;
  pollIntervalMs: number;
  commitIntervalMs: number;
  synchronous: 'full' | 'normal';
  dbFile: string;
}

type Varbind = { oid: string; type: number; value: unknown };

function get(session: { get(oids: string[], cb: (err: Error | null, vbs: Varbind[]) => void): void }, oids: string[]): Promise<Varbind[]> {
  return new Promise((resolve, reject) => session.get(oids, (err, vbs) => (err ? reject(err) : resolve(vbs))));
}

async function main(args: SnmpRawPollerArgs): Promise<void> {
  const db = openRawReadingsDb(args.dbFile, args.synchronous);
  const sessions = args.ports.map((port) => snmp.createSession('127.0.0.1', args.community, { port, version: snmp.Version2c, timeout: 2000, retries: 1 }));
  const busy = new Array<boolean>(sessions.length).fill(false);
  /** readings taken so far */
  let taken = 0;
  const pollAgent = async (a: number) => {
    // Like the gateway's sampler: a poll still running when the next is due skips it.
    if (busy[a]) return;
    busy[a] = true;
    try {
      const vbs = await get(sessions[a]!, args.oids);
      const ts = Date.now();
      const base = a * args.oids.length;
      vbs.forEach((vb, i) => {
        if (snmp.isVarbindError(vb)) return;
        db.add(ts, base + i, Number(vb.value) * 0.1);
        taken += 1;
      });
    } finally {
      busy[a] = false;
    }
  };
  const round = async () => {
    await Promise.all(sessions.map((_, a) => pollAgent(a)));
    process.stdout.write(`round ${taken} ${Date.now()}\n`);
  };
  await round();
  db.commit();
  process.stdout.write('ready\n');
  setInterval(() => void round().catch((err: unknown) => process.stderr.write(`poll failed: ${String(err)}\n`)), args.pollIntervalMs);
  setInterval(() => db.commit(), args.commitIntervalMs);
  process.on('SIGTERM', () => {
    db.close();
    for (const s of sessions) s.close();
    process.exit(0);
  });
}

await main(JSON.parse(process.argv[2] ?? '{}') as SnmpRawPollerArgs);
