/**
 * analytics.db across releases: a row written before the weekday/weekend profiles existed (a
 * `week` model as JSON text) still loads and judges the same; a `daytype` model survives the
 * file; a row this release cannot read is skipped by load() (and refitted), not fatal.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fitBaseline, restoreBaseline } from '../../gateway/analytics/model/baseline.js';
import { openModelDb } from '../../gateway/analytics/model-db.js';
import type { MinutePoint } from '../../gateway/analytics/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;
/** Monday 2026-12-07 00:00 UTC */
const MONDAY = Date.UTC(2026, 11, 7);

describe('analytics.db models', () => {
  const temp = createTempStores('gw-model-db-');
  afterEach(() => temp.cleanup());

  it('reads an earlier release’s rows, keeps a daytype model, skips an unreadable row', () => {
    const file = temp.file('analytics.db');
    // the earlier release's file: same table, a week model as it wrote it (168 medians from Monday 00:00)
    const medians = Array.from({ length: 168 }, (_, h) => (h >= 120 ? 16 : 19));
    const old = { kind: 'week', fittedAt: MONDAY, trainedMinutes: 20_160, params: { medians, scales: Array(168).fill(0.3), level: 0, scale: 0.3, k: 3.5, tzOffsetMin: 540 } };
    const raw = new Database(file);
    raw.exec('CREATE TABLE models (point TEXT PRIMARY KEY, fitted_at INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID');
    raw.prepare('INSERT INTO models VALUES (?, ?, ?)').run('crac1.supply_temp', MONDAY, JSON.stringify(old));
    raw.prepare('INSERT INTO models VALUES (?, ?, ?)').run('crac2.supply_temp', MONDAY, '{not json');
    raw.close();

    // this release adds a daytype model beside it
    const pts: MinutePoint[] = [];
    for (let ts = MONDAY - 7 * DAY; ts < MONDAY; ts += MINUTE) pts.push({ ts, value: 19 + ((ts / MINUTE) % 7) / 10 });
    const daytype = fitBaseline(pts, { season: ['day', 'week'], minTrainingMinutes: 60, sensitivity: 'medium', now: MONDAY, tzOffsetMin: 540 })!;
    expect(daytype.kind).toBe('daytype');
    let db = openModelDb(file);
    db.save('crac3.supply_temp', daytype.toJSON());
    db.close();

    db = openModelDb(file);
    const loaded = db.load();
    db.close();
    expect([...loaded.keys()].sort()).toEqual(['crac1.supply_temp', 'crac3.supply_temp']);
    const week = restoreBaseline(loaded.get('crac1.supply_temp')!);
    expect(week.kind).toBe('week');
    // Saturday 12:00 in Seoul is the weekend's 16, Tuesday 12:00 a weekday's 19
    expect(week.bandAt(MONDAY + 5 * DAY + 3 * 60 * MINUTE).expected).toBeCloseTo(16, 9);
    expect(week.bandAt(MONDAY + DAY + 3 * 60 * MINUTE).expected).toBeCloseTo(19, 9);
    const back = restoreBaseline(loaded.get('crac3.supply_temp')!);
    expect(back.kind).toBe('daytype');
    for (let ts = MONDAY; ts < MONDAY + 7 * DAY; ts += 53 * MINUTE) expect(back.bandAt(ts)).toEqual(daytype.bandAt(ts));
  });
});
