/**
 * Rollups from every committed sample (the minute accumulator), on real SQLite files: a steady
 * point stored by exception still has a bucket for every minute, with the count/min/max/avg of
 * every sample it reported; without policies the accumulator writes exactly the rows the pass over
 * the stored readings writes; late timestamps fold into their own minute; a reopen and a failed
 * rollup write count nothing twice and lose nothing stored. Staging: every pass stages, closed
 * spans fold into the per-point table once (also across an interrupted fold), queries see both
 * tables through key lookups, retention and an upgrade from the schema before staging keep them.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../core/types.js';
import type { StorePolicy } from '../../gateway/store/index.js';
import { silentLogger } from '../../core/logger.js';
import { createMeta } from '../../gateway/store/meta.js';
import { createMinuteAccumulator } from '../../gateway/store/minute-accumulator.js';
import { createPointRegistry } from '../../gateway/store/point-registry.js';
import { FOLD_CHUNK_ROWS, FOLD_CHUNK_SQL, FOLD_SPAN_MINUTES, ROLLUP_QUERY_SQL, createRollups } from '../../gateway/store/rollups.js';
import { openDatabase } from '../../gateway/store/schema.js';
import { createTempStores } from '../helpers/temp-store.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
/** the timer never fires inside a test: rollUp() decides when the accumulator is written */
const BY_HAND = { rollupIntervalMs: 3_600_000 };
/** no accumulator: the rollups come from the stored rows only (the path before it) */
const ROWS_ONLY = { rollupIntervalMs: 0 };

type Row = [point: string, minute: number, n: number, vmin: number | null, vmax: number | null, vsum: number | null];

/**
 * The rollup rows of a store's file, by point name and minute (a second connection: the store may
 * be open): those of one table, or (default) of both, a bucket split between them summed and the
 * staged rows a fold in progress has already moved left out.
 */
function rollupRows(file: string, table: 'rollups_1m' | 'rollups_recent' | 'both' = 'both'): Row[] {
  const db = new Database(file, { readonly: true });
  const fold = (key: string) => `(SELECT coalesce(max(value), 0) FROM meta WHERE key = '${key}')`;
  const from =
    table === 'both'
      ? `(SELECT point, minute, n, vmin, vmax, vsum FROM rollups_1m UNION ALL SELECT point, minute, n, vmin, vmax, vsum FROM rollups_recent
          WHERE NOT (minute < ${fold('rollup_fold_before')} AND point <= ${fold('rollup_fold_point')}))`
      : table;
  try {
    return db
      .prepare(
        `SELECT p.name, r.minute, sum(r.n), min(r.vmin), max(r.vmax), sum(r.vsum) FROM ${from} r JOIN points p ON p.id = r.point
         GROUP BY p.name, r.minute ORDER BY p.name, r.minute`,
      )
      .raw()
      .all() as Row[];
  } finally {
    db.close();
  }
}

/** What the samples give per (point, minute) by the rollup rules, summed plainly. */
function expectedBuckets(samples: readonly Sample[]): Map<string, { n: number; min: number; max: number; sum: number }> {
  const out = new Map<string, { n: number; min: number; max: number; sum: number }>();
  for (const s of samples) {
    if (s.quality === 'bad') continue;
    const x = typeof s.value === 'boolean' ? Number(s.value) : s.value;
    if (typeof x !== 'number' || Number.isNaN(x)) continue;
    const key = `${s.pointId}@${Math.floor(s.ts / MIN)}`;
    const b = out.get(key);
    if (b === undefined) out.set(key, { n: 1, min: x, max: x, sum: x });
    else {
      b.n++;
      b.min = Math.min(b.min, x);
      b.max = Math.max(b.max, x);
      b.sum += x;
    }
  }
  return out;
}

/** A little random walk, so sums are not trivially exact. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

describe('rollups of every committed sample', () => {
  const temp = createTempStores('gw-rollup-acc-');
  afterEach(() => temp.cleanup());

  it('gives a steady point stored by exception a bucket every minute, with every sample in it', () => {
    const policy: StorePolicy = { deadband: 0.5, heartbeatS: 300 };
    const policies = new Map([['crac1.supply', policy]]);
    const samples: Sample[] = [];
    // 20 minutes, a sample every 5 s, jittering ±0.2 around 18 °C: inside the band all along
    for (let t = T0; t < T0 + 20 * MIN; t += 5000) {
      samples.push({ pointId: 'crac1.supply', ts: t, value: 18 + (((t - T0) / 5000) % 5) * 0.1 - 0.2, quality: 'good' });
    }
    const every = temp.file();
    const rowsOnly = temp.file();
    for (const [file, timing] of [
      [every, BY_HAND],
      [rowsOnly, ROWS_ONLY],
    ] as const) {
      const store = temp.open(file, { ...timing, storePolicies: policies });
      // appended a poll at a time, as the sampler does; rolled up every 2 minutes on the way
      for (let i = 0; i < samples.length; i++) {
        store.append([samples[i]!]);
        if (i % 24 === 23) {
          store.flush();
          store.rollUp();
        }
      }
      store.flush();
      store.rollUp();
      // first reading, then a heartbeat at 5, 10 and 15 minutes
      expect(store.stats().readingCount).toBe(4);
      const buckets = store.rollups('crac1.supply', T0, T0 + 20 * MIN, MIN);
      if (file === rowsOnly) {
        // the stored rows alone: four minutes of twenty, one reading each
        expect(buckets.map((b) => [(b.ts - T0) / MIN, b.count])).toEqual([
          [0, 1],
          [5, 1],
          [10, 1],
          [15, 1],
        ]);
        continue;
      }
      const expected = expectedBuckets(samples);
      expect(buckets.map((b) => b.ts)).toEqual(Array.from({ length: 20 }, (_, m) => T0 + m * MIN));
      for (const b of buckets) {
        const e = expected.get(`crac1.supply@${b.ts / MIN}`)!;
        expect(b.count).toBe(12);
        expect(b.min).toBe(e.min);
        expect(b.max).toBe(e.max);
        expect(b.avg).toBeCloseTo(e.sum / e.n, 12);
      }
      // grouped in 5-minute buckets: every sample, once
      const fives = store.rollups('crac1.supply', T0, T0 + 20 * MIN, 5 * MIN);
      expect(fives.map((b) => b.count)).toEqual([60, 60, 60, 60]);
    }
  });

  it('writes exactly the rows the pass over the stored readings writes when every sample is stored', () => {
    const random = seeded(19);
    const batches: Sample[][] = [];
    let t = T0;
    for (let b = 0; b < 40; b++) {
      const batch: Sample[] = [];
      for (let i = 0; i < 250; i++) {
        t += 400;
        const r = random();
        const point = `dev${i % 3}.p${i % 7}`;
        let sample: Sample = { pointId: point, ts: t, value: 20 + r * 5 + Math.sin(t / 7000), quality: 'good' };
        if (r < 0.04) sample = { pointId: point, ts: t, value: null, quality: 'bad', reason: 'timeout' };
        else if (r < 0.08) sample = { pointId: `dev${i % 3}.mode`, ts: t, value: r < 0.06 ? 'online' : 'bypass', quality: 'good' };
        else if (r < 0.12) sample = { pointId: `dev${i % 3}.on_battery`, ts: t, value: r < 0.1, quality: 'good' };
        else if (r < 0.14) sample = { ...sample, quality: 'uncertain', reason: 'clock' };
        else if (r < 0.15) sample = { ...sample, value: Number.NaN };
        else if (r < 0.16) sample = { ...sample, value: 7 + Math.floor(r * 1000) }; // an integral number
        else if (r < 0.2) sample = { ...sample, ts: t - Math.floor(r * 100) * MIN }; // late, up to 20 minutes
        batch.push(sample);
      }
      batches.push(batch);
    }
    const all = batches.flat();
    const files = [temp.file(), temp.file()];
    for (const [k, file] of files.entries()) {
      const store = temp.open(file, k === 0 ? ROWS_ONLY : BY_HAND);
      for (const [b, batch] of batches.entries()) {
        store.append(batch);
        store.flush();
        // passes at the same commits on both paths, some minutes written in parts
        if (b % 7 === 6) store.rollUp();
      }
      store.rollUp();
      expect(store.stats().readingCount).toBe(all.length);
      store.close();
    }
    const fromRows = rollupRows(files[0]!);
    const fromEverySample = rollupRows(files[1]!);
    expect(fromRows.length).toBeGreaterThan(200);
    // the same rows, to the last bit (the accumulator sums as SQLite's sum() does)
    expect(fromEverySample).toEqual(fromRows);
    // and both are what the samples give
    const expected = expectedBuckets(all);
    expect(fromRows.length).toBe(expected.size);
    for (const [point, minute, n, vmin, vmax, vsum] of fromRows) {
      const e = expected.get(`${point}@${minute}`)!;
      expect([n, vmin, vmax]).toEqual([e.n, e.min, e.max]);
      expect(vsum).toBeCloseTo(e.sum, 9);
    }
  });

  it('folds late timestamps into their own minute, a backlog in order beside the live samples', () => {
    const store = temp.open(temp.file(), BY_HAND);
    const live: Sample[] = [];
    const backlog: Sample[] = [];
    // a push source catching up an hour-old 3 minutes while the live samples go on
    for (let i = 0; i < 180; i++) {
      live.push({ pointId: 'rack.temp', ts: T0 + 60 * MIN + i * 1000, value: 25 + (i % 10), quality: 'good' });
      backlog.push({ pointId: 'rack.temp', ts: T0 + i * 1000, value: 30 + (i % 4), quality: 'good' });
    }
    for (let i = 0; i < 180; i += 10) {
      store.append(live.slice(i, i + 10));
      store.append(backlog.slice(i, i + 10));
      store.flush();
    }
    // and one reading from a device clock 2 days behind, committed last
    const stray: Sample = { pointId: 'rack.temp', ts: T0 - 2 * 24 * 60 * MIN + 5000, value: 99, quality: 'good' };
    store.append([stray]);
    store.flush();
    store.rollUp();
    const expected = expectedBuckets([...live, ...backlog, stray]);
    const buckets = store.rollups('rack.temp', T0 - 3 * 24 * 60 * MIN, T0 + 70 * MIN, MIN);
    expect(buckets.map((b) => b.ts)).toEqual([...expected.keys()].map((k) => Number(k.split('@')[1]) * MIN).sort((a, b) => a - b));
    for (const b of buckets) {
      const e = expected.get(`rack.temp@${b.ts / MIN}`)!;
      expect([b.count, b.min, b.max]).toEqual([e.n, e.min, e.max]);
      expect(b.avg).toBeCloseTo(e.sum / e.n, 12);
    }
  });

  it('counts nothing twice across a reopen, and keeps the minutes of samples without a row', () => {
    const file = temp.file();
    const policies = new Map([['ups1.load', { deadband: 5, heartbeatS: 3600 } satisfies StorePolicy]]);
    const at = (s: number, value: number): Sample => ({ pointId: 'ups1.load', ts: T0 + s * 1000, value, quality: 'good' });
    const first = temp.open(file, { ...BY_HAND, storePolicies: policies });
    first.append([at(0, 40), at(10, 41)]);
    first.flush();
    first.rollUp();
    first.append([at(20, 42), at(70, 43)]); // 42 has no row; 70 s is the next minute
    first.flush();
    // closing stages what the accumulator holds (42 and 43 are rows nowhere else), and does not
    // fold, although those hours are long closed: the next start does
    first.close();
    const atClose: Row[] = [
      ['ups1.load', T0 / MIN, 3, 40, 42, 123],
      ['ups1.load', T0 / MIN + 1, 1, 43, 43, 43],
    ];
    expect(rollupRows(file)).toEqual(atClose);
    // rollUp() above folded 40 and 41 (their hour is long closed); the close only staged 42 and 43
    expect(rollupRows(file, 'rollups_1m')).toEqual([['ups1.load', T0 / MIN, 2, 40, 41, 81]]);
    expect(rollupRows(file, 'rollups_recent')).toEqual([
      ['ups1.load', T0 / MIN, 1, 42, 42, 42],
      ['ups1.load', T0 / MIN + 1, 1, 43, 43, 43],
    ]);
    const second = temp.open(file, { ...BY_HAND, storePolicies: policies });
    second.rollUp();
    expect(rollupRows(file, 'rollups_1m')).toEqual(atClose);
    expect(rollupRows(file, 'rollups_recent')).toEqual([]);
    second.append([at(80, 60)]); // the first reading of this run is stored
    second.flush();
    second.rollUp();
    second.rollUp();
    expect(second.stats().readingCount).toBe(2);
    expect(second.rollups('ups1.load', T0, T0 + MIN, MIN)).toEqual([
      { ts: T0, count: 3, min: 40, max: 42, avg: 41 },
      { ts: T0 + MIN, count: 2, min: 43, max: 60, avg: 51.5 },
    ]);
  });

  it('aggregates the stored rows a crashed run had not rolled up before its own minutes, each once', () => {
    const file = temp.file();
    const at = (s: number, value: number): Sample => ({ pointId: 'pdu.kw', ts: T0 + s * 1000, value, quality: 'good' });
    const crashed = temp.open(file, BY_HAND);
    crashed.append([at(0, 1), at(1, 2)]);
    crashed.flush();
    crashed.rollUp();
    crashed.append([at(2, 4), at(3, 8)]);
    crashed.flush();
    // As a kill -9 leaves it: committed rows after rollup_seq, the accumulator gone. A second
    // connection copies the file's state while the crashed store is still open.
    const snapshot = temp.file();
    const db = new Database(file);
    db.exec(`VACUUM INTO '${snapshot.replaceAll("'", "''")}'`);
    db.close();
    const next = temp.open(snapshot, BY_HAND);
    expect(next.stats().lastReadingSeq).toBe(4);
    next.append([at(4, 16)]);
    next.flush();
    next.rollUp();
    expect(next.rollups('pdu.kw', T0, T0, MIN)).toEqual([{ ts: T0, count: 5, min: 1, max: 16, avg: 31 / 5 }]);
  });

  it('keeps the buckets when their write fails, and writes them once the database is free', () => {
    const file = temp.file();
    const store = temp.open(file, { ...BY_HAND, busyTimeoutMs: 10 });
    store.append([
      { pointId: 'a.t', ts: T0, value: 1, quality: 'good' },
      { pointId: 'a.t', ts: T0 + 1000, value: 5, quality: 'good' },
    ]);
    store.flush();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    expect(() => store.rollUp()).toThrow(/locked|busy/i);
    other.exec('ROLLBACK');
    other.close();
    store.rollUp();
    store.rollUp();
    expect(store.rollups('a.t', T0, T0, MIN)).toEqual([{ ts: T0, count: 2, min: 1, max: 5, avg: 3 }]);
  });

  it('answers from the buckets not yet written, writes them on the timer, and counts none twice', async () => {
    const file = temp.file();
    const store = temp.open(file, { rollupIntervalMs: 10, storePolicies: new Map([['p.x', { deadband: 1, heartbeatS: 3600 }]]) });
    const at = (i: number, value: number): Sample => ({ pointId: 'p.x', ts: T0 + i * 1000, value, quality: 'good' });
    store.append(Array.from({ length: 600 }, (_, i) => at(i, 7)));
    store.flush();
    expect(store.stats().readingCount).toBe(1);
    const tableRows = () => rollupRows(file).filter((r) => r[0] === 'p.x');
    // nothing staged yet (no await since the commit), and the query has every minute already
    expect(tableRows()).toEqual([]);
    const minutes = (to: number) => store.rollups('p.x', T0, T0 + to * MIN, MIN).map((b) => [(b.ts - T0) / MIN, b.count, b.avg]);
    expect(minutes(10)).toEqual(Array.from({ length: 10 }, (_, m) => [m, 60, 7]));
    // the timer's next pass stages them
    const deadline = Date.now() + 5000;
    while (tableRows().length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(tableRows().map((r) => r[2])).toEqual(Array.from({ length: 10 }, () => 60));
    expect(minutes(10)).toEqual(Array.from({ length: 10 }, (_, m) => [m, 60, 7]));
    // a minute partly written and partly held: both halves, once
    store.append([at(598, 9), at(640, 10)]);
    store.flush();
    expect(minutes(10).slice(-2)).toEqual([
      [9, 61, (60 * 7 + 9) / 61],
      [10, 1, 10],
    ]);
    expect(store.rollups('p.x', T0, T0 + 10 * MIN, 5 * MIN).map((b) => b.count)).toEqual([300, 301, 1]);
  });
});

describe('staged rollups', () => {
  const temp = createTempStores('gw-rollup-staged-');
  afterEach(() => temp.cleanup());
  /** T0 is the start of a fold span (UTC-aligned: 12:00 for 1, 2, 3, 4 or 6 h spans) */
  const S = FOLD_SPAN_MINUTES;
  const H = S * MIN;
  const count = (file: string, table: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    } finally {
      db.close();
    }
  };
  /** `points` points, a sample every 10 s over [fromMin, toMin) minutes after T0, value = minute. */
  const minutesOf = (points: number, fromMin: number, toMin: number): Sample[] => {
    const out: Sample[] = [];
    for (let t = T0 + fromMin * MIN; t < T0 + toMin * MIN; t += 10_000) {
      for (let p = 0; p < points; p++) out.push({ pointId: `d.p${p}`, ts: t, value: Math.floor((t - T0) / MIN) + p, quality: 'good' });
    }
    return out;
  };

  it('stages every pass, folds closed spans once, and answers from both tables and the held buckets', () => {
    let clock = T0 + (S + 30) * MIN;
    const file = temp.file();
    const store = temp.open(file, { ...BY_HAND, now: () => clock });
    const samples = minutesOf(3, 0, S + 30);
    store.append(samples);
    store.flush();
    store.rollUp();
    // minutes 0 to S-1 are a closed span: folded; the next 30 staged
    expect(count(file, 'rollups_1m')).toBe(3 * S);
    expect(count(file, 'rollups_recent')).toBe(3 * 30);
    const expected = expectedBuckets(samples);
    const check = (extra: Sample[] = []) => {
      const want = expectedBuckets([...samples, ...extra]);
      for (const point of ['d.p0', 'd.p2']) {
        const buckets = store.rollups(point, T0, T0 + 2 * H, MIN);
        expect(buckets.map((b) => (b.ts - T0) / MIN)).toEqual([...want.keys()].filter((k) => k.startsWith(`${point}@`)).map((k) => Number(k.split('@')[1]) - T0 / MIN));
        for (const b of buckets) {
          const e = want.get(`${point}@${b.ts / MIN}`)!;
          expect([b.count, b.min, b.max, b.avg]).toEqual([e.n, e.min, e.max, e.sum / e.n]);
        }
      }
      // 15-minute buckets across the folded/staged boundary (S-15 to S-1 folded, S to S+14 staged)
      expect(store.rollups('d.p1', T0 + (S - 15) * MIN, T0 + (S + 14) * MIN, 15 * MIN).map((b) => b.count)).toEqual([90, 90]);
    };
    expect(expected.size).toBe(3 * (S + 30));
    check();
    // a late sample into a folded minute and one into a staged minute: held, then staged, then
    // the late one folded by the next pass (its span is closed), each once
    const late: Sample[] = [
      { pointId: 'd.p0', ts: T0 + 30 * MIN + 1, value: -5, quality: 'good' },
      { pointId: 'd.p0', ts: T0 + (S + 15) * MIN + 1, value: 500, quality: 'good' },
    ];
    store.append(late);
    store.flush();
    check(late);
    store.rollUp();
    check(late);
    expect(count(file, 'rollups_1m')).toBe(3 * S);
    expect(count(file, 'rollups_recent')).toBe(3 * 30);
    expect(rollupRows(file, 'rollups_1m').find((r) => r[0] === 'd.p0' && r[1] === T0 / MIN + 30)).toEqual(['d.p0', T0 / MIN + 30, 7, -5, 30, 6 * 30 - 5]);
    // the next span closes: everything is in rollups_1m, staging is empty, the answers are the same
    clock = T0 + 2 * H + 1;
    store.rollUp();
    expect(count(file, 'rollups_recent')).toBe(0);
    expect(count(file, 'rollups_1m')).toBe(3 * (S + 30));
    check(late);
    store.close();
  });

  it('resumes a fold a kill -9 interrupted, and counts every bucket once meanwhile', () => {
    // 20 staged minutes a point: a chunk is FOLD_CHUNK_ROWS / 20 points, the fold three chunks
    const perChunk = FOLD_CHUNK_ROWS / 20;
    const points = perChunk * 2 + 100;
    const file = temp.file();
    const clock = T0 + 2 * H + 5 * MIN;
    const first = temp.open(file, { ...BY_HAND, now: () => clock });
    const samples = minutesOf(points, 50, 70);
    first.append(samples);
    first.flush();
    // close stages and does not fold: 20 minutes of every point in staging
    first.close();
    expect(count(file, 'rollups_recent')).toBe(points * 20);
    const answers = (read: (point: string) => ReturnType<typeof first.rollups>) =>
      ['d.p0', `d.p${perChunk - 1}`, `d.p${perChunk}`, `d.p${points - 1}`].map((p) => read(p).map((b) => [b.ts, b.count, b.min, b.max]));
    const want = answers((p) => {
      const e = expectedBuckets(samples);
      return [...e].filter(([k]) => k.startsWith(`${p}@`)).map(([k, b]) => ({ ts: Number(k.split('@')[1]) * MIN, count: b.n, min: b.min, max: b.max, avg: 0 }));
    });
    expect(want[0]).toHaveLength(20);
    // the parts of a store, driven a step at a time: start the fold, move one chunk, "crash"
    const db = openDatabase(file, { synchronous: 'normal', busyTimeoutMs: 1000, cacheKiB: 2048, logger: silentLogger });
    const rollups = createRollups(db, createMeta(db), createPointRegistry(db), { now: () => clock });
    const range = (p: string) => rollups.query(p, T0, T0 + 3 * H, MIN);
    expect(rollups.step(0)).toBe(1); // the fold starts
    expect(answers(range)).toEqual(want);
    expect(rollups.step(0)).toBe(perChunk * 20); // the first chunk moved (point ids 1..perChunk)
    // mid-fold: the first chunk's rows are in both tables, counted once by a query and by the
    // test's own reading of the file (which honours the fold's progress in meta)
    expect(count(file, 'rollups_1m')).toBe(perChunk * 20);
    expect(count(file, 'rollups_recent')).toBe(points * 20);
    expect(answers(range)).toEqual(want);
    expect(rollupRows(file).length).toBe(points * 20);
    db.close();
    // the next start resumes the fold where it stopped
    const next = temp.open(file, { ...BY_HAND, now: () => clock });
    expect(answers((p) => next.rollups(p, T0, T0 + 3 * H, MIN))).toEqual(want);
    next.rollUp();
    expect(count(file, 'rollups_recent')).toBe(0);
    expect(count(file, 'rollups_1m')).toBe(points * 20);
    expect(answers((p) => next.rollups(p, T0, T0 + 3 * H, MIN))).toEqual(want);
    const e = expectedBuckets(samples);
    for (const [point, minute, n, vmin, vmax, vsum] of rollupRows(file, 'rollups_1m')) {
      expect([n, vmin, vmax, vsum]).toEqual([e.get(`${point}@${minute}`)!.n, e.get(`${point}@${minute}`)!.min, e.get(`${point}@${minute}`)!.max, e.get(`${point}@${minute}`)!.sum]);
    }
  });

  it('looks a point up by key in staging, a seek per minute, never a scan of every point', () => {
    const db = openDatabase(temp.file(), { synchronous: 'normal', busyTimeoutMs: 1000, cacheKiB: 2048, logger: silentLogger });
    try {
      const plan = (sql: string, params: Record<string, number>) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
      const query = plan(ROLLUP_QUERY_SQL, { per: 1, point: 1, from: 0, to: 10, lo: 0, hi: 10, foldBefore: 0, foldDone: 0 });
      expect(query).toContain('SEARCH r USING PRIMARY KEY (minute=? AND point=?)');
      expect(query).toContain('SEARCH rollups_1m USING PRIMARY KEY (point=? AND minute>? AND minute<?)');
      expect(query.filter((d) => /SCAN (r|rollups_recent|rollups_1m)\b/.test(d))).toEqual([]);
      const fold = plan(FOLD_CHUNK_SQL, { lo: 0, hi: 10, done: 0, upTo: 10 });
      expect(fold).toContain('SEARCH r USING PRIMARY KEY (minute=? AND point>? AND point<?)');
      expect(fold.filter((d) => /SCAN (r|rollups_recent)\b/.test(d))).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('deletes old minutes from both tables', () => {
    const file = temp.file();
    const clock = T0 + 2 * H + 5 * MIN;
    const store = temp.open(file, { ...BY_HAND, now: () => clock });
    store.append(minutesOf(2, 0, 120));
    store.flush();
    store.rollUp();
    store.append(minutesOf(2, 0, 30)); // late: staged again under folded minutes
    store.flush();
    store.close();
    expect([count(file, 'rollups_1m'), count(file, 'rollups_recent')]).toEqual([2 * 120, 2 * 30]);
    const db = openDatabase(file, { synchronous: 'normal', busyTimeoutMs: 1000, cacheKiB: 2048, logger: silentLogger });
    try {
      const rollups = createRollups(db, createMeta(db), createPointRegistry(db), { now: () => clock });
      expect(rollups.deleteBefore(T0 + 20 * MIN)).toBe(2 * 20 + 2 * 20);
      expect([count(file, 'rollups_1m'), count(file, 'rollups_recent')]).toEqual([2 * 100, 2 * 10]);
      expect(rollups.query('d.p1', T0, T0 + 2 * H, 60 * MIN).map((b) => b.count)).toEqual([40 * 6 + 10 * 6, 60 * 6]);
    } finally {
      db.close();
    }
  });

  it('keeps the rollups of a file from the schema before staging', () => {
    const file = temp.file();
    const old = temp.open(file, BY_HAND);
    old.append(minutesOf(2, 0, 10));
    old.flush();
    old.rollUp();
    old.close();
    // back to schema version 3: no staging table, every rollup in rollups_1m
    const db = new Database(file);
    db.exec('DROP TABLE rollups_recent');
    db.pragma('user_version = 3');
    db.close();
    const before = rollupRows(file, 'rollups_1m');
    expect(before).toHaveLength(20);
    const upgraded = temp.open(file, BY_HAND);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(4);
    check.close();
    expect(rollupRows(file)).toEqual(before);
    expect(upgraded.rollups('d.p0', T0, T0 + 10 * MIN, 5 * MIN).map((b) => b.count)).toEqual([30, 30]);
    upgraded.append(minutesOf(1, 10, 11));
    upgraded.flush();
    upgraded.rollUp();
    expect(upgraded.rollups('d.p0', T0, T0 + 10 * MIN, 5 * MIN).map((b) => b.count)).toEqual([30, 30, 6]);
  });
});

describe('the minute accumulator', () => {
  const ids = (n: number, id: number) => new Int32Array(n).fill(id);
  const collect = (acc: ReturnType<typeof createMinuteAccumulator>) => {
    const merged = new Map<string, number[]>();
    acc.forEach((point, minute, n, min, max, sum) => {
      const key = `${point}@${minute}`;
      const m = merged.get(key);
      merged.set(key, m ? [m[0]! + n, Math.min(m[1]!, min), Math.max(m[2]!, max), m[3]! + sum] : [n, min, max, sum]);
    });
    return Object.fromEntries(merged);
  };

  it('merges samples jumping between minutes into the right buckets and starts empty after clear', () => {
    const acc = createMinuteAccumulator(10);
    expect([acc.baseSeq, acc.coveredSeq, acc.size]).toEqual([10, 10, 0]);
    const minute = (m: number, value: Sample['value'], quality: Sample['quality'] = 'good'): Sample => ({ pointId: 'x', ts: m * MIN + 1, value, quality });
    // minutes 5, 3, 5, 4, 3, 6 for point 2: every change of minute moves a bucket
    const samples = [minute(5, 1), minute(3, 2), minute(5, 3), minute(4, 4), minute(3, 5), minute(6, true), minute(6, null), minute(6, 'on'), minute(6, 9, 'bad')];
    acc.add(samples, ids(samples.length, 2), 17);
    acc.add([minute(6, 2)], ids(1, 300), 18); // a point id beyond the first capacity
    expect(acc.coveredSeq).toBe(18);
    expect(collect(acc)).toEqual({ '2@5': [2, 1, 3, 4], '2@3': [2, 2, 5, 7], '2@4': [1, 4, 4, 4], '2@6': [1, 1, 1, 1], '300@6': [1, 2, 2, 2] });
    acc.clear();
    expect(acc.size).toBe(0);
    expect(collect(acc)).toEqual({});
    acc.add([minute(6, 4)], ids(1, 2), 19);
    expect(collect(acc)).toEqual({ '2@6': [1, 4, 4, 4] });
    expect(acc.coveredSeq).toBe(19);
  });
});
