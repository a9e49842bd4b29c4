import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LatestValue, Store } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('store-latest-');
afterEach(() => temp.cleanup());

const T = Date.UTC(2025, 0, 15, 12);
const s = (pointId: string, ts: number, value: Sample['value'], quality: Sample['quality'] = 'good', reason?: string): Sample =>
  reason === undefined ? { pointId, ts, value, quality } : { pointId, ts, value, quality, reason };

const byPoint = (values: LatestValue[]) =>
  Object.fromEntries(values.map((v) => [v.pointId, { value: v.value, seq: v.seq, quality: v.quality, reason: v.reason }]));

const expected = {
  'ups1.load': { value: 41.5, seq: 4, quality: 'good', reason: undefined },
  'ups1.onBattery': { value: false, seq: 5, quality: 'good', reason: undefined },
  'crac1.mode': { value: null, seq: 6, quality: 'bad', reason: 'timeout' },
};

function writeHistory(store: Store): void {
  store.append([s('ups1.load', T, 40), s('ups1.onBattery', T, true), s('crac1.mode', T, 'cooling')]);
  store.flush();
  store.append([s('ups1.load', T + 1000, 41.5), s('ups1.onBattery', T + 1000, false), s('crac1.mode', T + 1000, null, 'bad', 'timeout')]);
  store.flush();
}

describe('latest-value view', () => {
  it('holds the newest committed value of every point', () => {
    const store = temp.open(temp.file());
    writeHistory(store);
    expect(byPoint(store.latest())).toEqual(expected);
    expect(store.latestOf('ups1.load')).toEqual({ pointId: 'ups1.load', seq: 4, ts: T + 1000, value: 41.5, quality: 'good' });
    expect(store.latestOf('nope')).toBeUndefined();
  });

  it('does not change before the commit', () => {
    const store = temp.open(temp.file());
    store.append([s('ups1.load', T, 40)]);
    expect(store.latestOf('ups1.load')).toBeUndefined();
    store.flush();
    expect(store.latestOf('ups1.load')?.value).toBe(40);
  });

  it('keeps a newer value when a back-dated sample arrives later', () => {
    const store = temp.open(temp.file());
    store.append([s('ups1.load', T + 5000, 50)]);
    store.flush();
    store.append([s('ups1.load', T, 10)]);
    store.flush();
    expect(store.latestOf('ups1.load')).toMatchObject({ value: 50, seq: 1 });
  });

  it('is the same after close and reopen', () => {
    const file = temp.file();
    const a = temp.open(file);
    writeHistory(a);
    a.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM latest').pluck().get()).toBe(3);
    raw.close();
    expect(byPoint(temp.open(file).latest())).toEqual(expected);
  });

  it('is rebuilt from readings when the process died without closing', () => {
    const file = temp.file();
    const crashed = temp.open(file);
    writeHistory(crashed);
    // The first store is never closed: as after kill -9, the latest table was never written.
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM latest').pluck().get()).toBe(0);
    raw.close();
    const reopened = temp.open(file);
    expect(byPoint(reopened.latest())).toEqual(expected);
  });

  it('combines the last checkpoint with readings committed after it', async () => {
    const file = temp.file();
    const crashed = temp.open(file, { latestCheckpointMs: 20 });
    crashed.append([s('ups1.load', T, 40), s('crac1.mode', T, 'cooling')]);
    crashed.flush();
    const raw = new Database(file, { readonly: true });
    const checkpointed = raw.prepare("SELECT value FROM meta WHERE key = 'latest_seq'").pluck();
    for (let i = 0; i < 50 && checkpointed.get() !== 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(checkpointed.get()).toBe(2);
    crashed.append([s('ups1.load', T + 1000, 42)]);
    crashed.flush();
    expect(raw.prepare('SELECT count(*) FROM latest').pluck().get()).toBe(2);
    raw.close();

    const reopened = temp.open(file);
    expect(byPoint(reopened.latest())).toEqual({
      'ups1.load': { value: 42, seq: 3, quality: 'good', reason: undefined },
      'crac1.mode': { value: 'cooling', seq: 2, quality: 'good', reason: undefined },
    });
  });

  it('returns copies the caller cannot corrupt', () => {
    const store = temp.open(temp.file());
    store.append([s('ups1.load', T, 40)]);
    store.flush();
    const v = store.latestOf('ups1.load')!;
    v.value = 999;
    store.latest()[0]!.value = 999;
    expect(store.latestOf('ups1.load')?.value).toBe(40);
  });
});
