import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { SCHEMA_VERSION } from '../../gateway/store/index.js';
import type { PointValue, Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('store-values-');
afterEach(() => temp.cleanup());

const T = Date.UTC(2025, 0, 15);

const cases: { name: string; value: PointValue; quality: Sample['quality']; reason?: string }[] = [
  { name: 'true', value: true, quality: 'good' },
  { name: 'false', value: false, quality: 'good' },
  { name: 'uncertain true', value: true, quality: 'uncertain', reason: 'stale' },
  { name: 'zero', value: 0, quality: 'good' },
  { name: 'one (not a boolean)', value: 1, quality: 'good' },
  { name: 'negative float', value: -12.375, quality: 'good' },
  { name: 'large integer', value: 2 ** 52 + 1, quality: 'good' },
  { name: 'infinity', value: Number.POSITIVE_INFINITY, quality: 'uncertain', reason: 'out-of-range' },
  { name: 'string', value: 'cooling', quality: 'good' },
  { name: 'numeric-looking string', value: '042', quality: 'good' },
  { name: 'empty string', value: '', quality: 'good' },
  { name: 'korean string', value: '냉방 운전', quality: 'good' },
  { name: 'null, bad', value: null, quality: 'bad', reason: 'illegal-address' },
];

describe('values round-trip', () => {
  const file = () => {
    const f = temp.file();
    const store = temp.open(f);
    store.append(cases.map((c, i) => ({ pointId: `dev.${c.name}`, ts: T + i, value: c.value, quality: c.quality, reason: c.reason })));
    store.flush();
    return { f, store };
  };

  it.each(cases)('$name through readingsAfter, history and latest, before and after reopen', (c) => {
    const { f, store } = file();
    const i = cases.indexOf(c);
    const expected = { seq: i + 1, pointId: `dev.${c.name}`, ts: T + i, value: c.value, quality: c.quality, ...(c.reason ? { reason: c.reason } : {}) };
    for (const reopen of [false, true]) {
      let s = store;
      if (reopen) {
        store.close();
        s = temp.open(f);
      }
      expect(s.readingsAfter(i, 1)).toEqual([expected]);
      expect(s.history(`dev.${c.name}`, T, T + 100)).toEqual([expected]);
      const { seq: _seq, ...latest } = expected;
      expect(s.latestOf(`dev.${c.name}`)).toEqual({ ...latest, seq: i + 1 });
    }
  });

  it('stores an invalid sample as bad quality instead of poisoning the queue', () => {
    const lines: string[] = [];
    const store = temp.open(temp.file(), { logger: createLogger({ write: (l) => lines.push(l) }) });
    const bogus = [
      { pointId: 'dev.obj', ts: T, value: { a: 1 }, quality: 'good' },
      { pointId: 'dev.undef', ts: T, value: undefined, quality: 'good' },
      { pointId: 'dev.quality', ts: T, value: 1, quality: 'great' },
      { pointId: 'dev.ts', ts: Number.NaN, value: 1, quality: 'good' },
    ] as unknown as Sample[];
    store.append(bogus);
    store.append([{ pointId: 'dev.ok', ts: T, value: 3, quality: 'good' }]);
    store.flush();
    const rows = store.readingsAfter(0, 10);
    expect(rows.map((r) => [r.pointId, r.value, r.quality, r.reason])).toEqual([
      ['dev.obj', null, 'bad', 'invalid-sample'],
      ['dev.undef', null, 'bad', 'invalid-sample'],
      ['dev.quality', null, 'bad', 'invalid-sample'],
      ['dev.ts', null, 'bad', 'invalid-sample'],
      ['dev.ok', 3, 'good', undefined],
    ]);
    expect(Number.isFinite(rows[3]!.ts)).toBe(true);
    expect(lines.filter((l) => l.includes('invalid sample'))).toHaveLength(4);
    expect(() => store.append([{ ts: T, value: 1, quality: 'good' } as unknown as Sample])).toThrow(TypeError);
  });

  it('refuses event data that is not JSON at appendEvent, not at commit', () => {
    const store = temp.open(temp.file());
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => store.appendEvent('bad', circular)).toThrow(TypeError);
    expect(() => store.appendEvent('bad', { n: 1n })).toThrow(TypeError);
    store.append([{ pointId: 'dev.ok', ts: T, value: 1, quality: 'good' }]);
    store.flush();
    expect(store.stats()).toMatchObject({ lastReadingSeq: 1, lastEventSeq: 0 });
  });

  it('keeps event data as JSON', () => {
    const store = temp.open(temp.file());
    store.appendEvent('alarm.raised', { point: 'ups1.load', limit: 'HI', value: 91.5, tags: ['a'] }, T);
    store.flush();
    expect(store.eventsAfter(0, 10)).toEqual([
      { seq: 1, ts: T, type: 'alarm.raised', data: { point: 'ups1.load', limit: 'HI', value: 91.5, tags: ['a'] } },
    ]);
  });
});

describe('database file', () => {
  it('uses WAL, incremental auto-vacuum and the current schema version', () => {
    const f = temp.file();
    temp.open(f).close();
    const db = new Database(f);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const indexes = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'readings'").pluck().all();
    expect(indexes).toEqual(['CREATE INDEX readings_ts_point ON readings (ts, point)']);
    db.close();
  });

  it('refuses a database written by a newer schema', () => {
    const f = temp.file();
    temp.open(f).close();
    const db = new Database(f);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => temp.open(f)).toThrow(/newer than this gateway understands/);
  });

  it('stores point names once and readings by integer id', () => {
    const f = temp.file();
    const store = temp.open(f);
    store.append(Array.from({ length: 10 }, (_, i) => ({ pointId: `pdu${i % 2}.kw`, ts: T + i, value: i, quality: 'good' as const })));
    store.flush();
    const db = new Database(f, { readonly: true });
    expect(db.prepare('SELECT name FROM points ORDER BY id').pluck().all()).toEqual(['pdu0.kw', 'pdu1.kw']);
    expect(db.prepare('SELECT DISTINCT typeof(point) FROM readings').pluck().all()).toEqual(['integer']);
    db.close();
  });
});

describe('history', () => {
  const setup = () => {
    const store = temp.open(temp.file());
    const samples: Sample[] = [];
    for (let i = 0; i < 30; i++) {
      samples.push({ pointId: 'crac1.supplyTemp', ts: T + i * 1000, value: 18 + i / 10, quality: 'good' });
      samples.push({ pointId: 'crac1.returnTemp', ts: T + i * 1000, value: 25, quality: 'good' });
    }
    store.append(samples);
    store.flush();
    return store;
  };

  it.each([
    { name: 'whole range', from: T, to: T + 29_000, limit: undefined, first: T, count: 30 },
    { name: 'inclusive bounds', from: T + 5000, to: T + 7000, limit: undefined, first: T + 5000, count: 3 },
    { name: 'limit keeps the oldest', from: T, to: T + 29_000, limit: 4, first: T, count: 4 },
    { name: 'empty range', from: T + 500, to: T + 900, limit: undefined, first: undefined, count: 0 },
    { name: 'before any data', from: 0, to: T - 1, limit: undefined, first: undefined, count: 0 },
  ])('$name', ({ from, to, limit, first, count }) => {
    const rows = setup().history('crac1.supplyTemp', from, to, limit);
    expect(rows).toHaveLength(count);
    expect(rows[0]?.ts).toBe(first);
    expect(rows.every((r) => r.pointId === 'crac1.supplyTemp')).toBe(true);
    expect(rows.map((r) => r.ts)).toEqual([...rows.map((r) => r.ts)].sort((a, b) => a - b));
  });

  it('is empty for an unknown point', () => {
    expect(setup().history('nope', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('readingsAfter pages through every reading in seq order', () => {
    const store = setup();
    const seen: number[] = [];
    for (let after = 0; ; ) {
      const page = store.readingsAfter(after, 7);
      if (page.length === 0) break;
      seen.push(...page.map((r) => r.seq));
      after = page.at(-1)!.seq;
    }
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});
