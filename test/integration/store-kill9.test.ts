/**
 * kill -9 while a child process ingests through the store: after every kill the database is intact,
 * every seq the child reported as committed is there, seqs have no gap and no duplicate, the
 * latest-value view is right, and the next run carries on with higher seqs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/index.js';
import { createTempStores } from '../helpers/temp-store.js';

const CHILD = fileURLToPath(new URL('../helpers/store-ingest-child.ts', import.meta.url));
const ROUNDS = 6;
const temp = createTempStores('store-kill9-', { commitIntervalMs: 1000 });
const file = temp.file();
afterAll(() => temp.cleanup());

interface Round {
  firstReported: number;
  lastReading: number;
  lastEvent: number;
}

/** Starts the child, lets it commit for a random while, then SIGKILLs it. */
async function runAndKill(): Promise<Round> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const round: Round = { firstReported: 0, lastReading: 0, lastEvent: 0 };
  let buffered = '';
  let killTimer: NodeJS.Timeout | undefined;
  const killAfter = 50 + Math.floor(Math.random() * 400);
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [reading, event] = line.split(' ').map(Number) as [number, number];
      if (round.firstReported === 0) round.firstReported = reading;
      round.lastReading = reading;
      round.lastEvent = event;
    }
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), killAfter);
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  if (killTimer) clearTimeout(killTimer);
  expect(signal, `child exited on its own with code ${code}`).toBe('SIGKILL');
  return round;
}

function inspect() {
  const db = new Database(file);
  try {
    const one = (sql: string) => db.prepare(sql).pluck().get() as number;
    const [rMin, rMax, rCount] = db.prepare('SELECT min(seq), max(seq), count(*) FROM readings').raw().get() as [number, number, number];
    const [eMin, eMax, eCount] = db.prepare('SELECT min(seq), max(seq), count(*) FROM events').raw().get() as [number, number, number];
    const latestBySql = db
      .prepare(
        `SELECT p.name, r.seq FROM readings r JOIN points p ON p.id = r.point
         WHERE r.seq IN (SELECT max(seq) FROM readings GROUP BY point)`,
      )
      .raw()
      .all() as [string, number][];
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      readings: { min: rMin, max: rMax, count: rCount },
      events: { min: eMin, max: eMax, count: eCount },
      hwm: one("SELECT value FROM meta WHERE key = 'readings_hwm'"),
      latestBySql: Object.fromEntries(latestBySql),
    };
  } finally {
    db.close();
  }
}

describe('store under kill -9', () => {
  it(`stays intact and gap-free over ${ROUNDS} kills`, { timeout: 30_000 }, async () => {
    let previousMax = 0;
    const leftOpen: Store[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = await runAndKill();
      expect(r.lastReading, `round ${round} committed nothing before the kill`).toBeGreaterThan(previousMax);
      expect(r.firstReported).toBeGreaterThan(previousMax);

      const db = inspect();
      expect(db.integrity).toBe('ok');
      // Every reported seq is there, nothing is missing or doubled from 1 up.
      expect(db.readings.min).toBe(1);
      expect(db.readings.max).toBeGreaterThanOrEqual(r.lastReading);
      expect(db.readings.count).toBe(db.readings.max);
      expect(db.hwm).toBe(db.readings.max);
      if (r.lastEvent > 0) {
        expect(db.events.min).toBe(1);
        expect(db.events.max).toBeGreaterThanOrEqual(r.lastEvent);
        expect(db.events.count).toBe(db.events.max);
      }

      // The latest view a fresh open rebuilds matches the newest reading of every point.
      const store = temp.open(file);
      const latest = Object.fromEntries(store.latest().map((v) => [v.pointId, v.seq]));
      expect(store.stats().lastReadingSeq).toBe(db.readings.max);
      // Only every other round closes cleanly, so the child also starts from a stale checkpoint.
      if (round % 2 === 0) store.close();
      else leftOpen.push(store);
      expect(latest).toEqual(db.latestBySql);
      previousMax = db.readings.max;
    }
    for (const store of leftOpen) store.close();
  });
});
