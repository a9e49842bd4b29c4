/**
 * A renamed device: the readings stored under its old id are still in the database after a
 * restart with the new config, and stay readable (history, trends, CSV) marked as retired, on the
 * API and on the trend page in both languages, instead of answering 404.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TrendResult } from '../../dashboard/trend-data.js';
import { createTempStores } from '../helpers/temp-store.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

const OLD = 'crac0.supply_temp';

describe('history of points no longer in the config', () => {
  const temp = createTempStores('gw-retired-');
  let rig: WebRig | undefined;
  afterEach(() => {
    rig?.close();
    rig = undefined;
    temp.cleanup();
  });

  it('is still stored after a restart and readable through the API and the page, marked retired', async () => {
    // Before the rename: the device was crac0. Then the gateway restarts with a config that calls it crac1.
    const file = temp.file();
    const before = temp.open(file);
    const now = Date.now();
    before.append([20, 21, 22].map((value, i) => ({ pointId: OLD, ts: now - (3 - i) * 60_000, value, quality: 'good' as const })));
    before.close();

    const store = temp.open(file, { commitIntervalMs: 20 });
    expect(store.storedPoints()).toContain(OLD);
    rig = createWebRig({ temp, extraDeps: { store } });
    const get = (path: string, headers: Record<string, string> = {}) => rig!.app.request(path, { headers: { ...rig!.auth.bearer('viewer'), ...headers } });

    const history = await get(`/api/v1/points/${OLD}/history?from=${now - 3_600_000}&to=${now}`);
    expect(history.status).toBe(200);
    const body = (await history.json()) as { pointId: string; retired: boolean; items: Array<{ value: number }> };
    expect(body).toMatchObject({ pointId: OLD, retired: true });
    expect(body.items.map((i) => i.value)).toEqual([20, 21, 22]);

    expect(await (await get(`/api/v1/points/${OLD}`)).json()).toMatchObject({ id: OLD, deviceId: 'crac0', retired: true, value: 22 });
    expect(await (await get('/api/v1/points/crac1.supply_temp')).json()).toMatchObject({ retired: false });
    expect(await (await get('/api/v1/points/retired')).json()).toEqual([expect.objectContaining({ id: OLD, retired: true })]);
    // configured points are not listed as retired, and a point that never existed is still a 404
    expect((await get('/api/v1/points/nope.x/history')).status).toBe(404);

    const trend = (await (await get(`/api/v1/trends?points=${OLD},crac1.supply_temp&from=${now - 3_600_000}&to=${now}`)).json()) as TrendResult;
    expect(trend.series.map((s) => [s.pointId, s.retired, s.avg.length])).toEqual([
      [OLD, true, 3],
      ['crac1.supply_temp', false, 0],
    ]);
    expect((await get(`/api/v1/trends.csv?points=${OLD}&from=${now - 3_600_000}&to=${now}`)).status).toBe(200);

    for (const [lang, heading, tag] of [
      ['en', 'Retired points', 'retired'],
      ['ko', '사용 중지된 측정점', '사용 중지'],
    ] as const) {
      const page = await (await get(`/trends?points=${OLD}`, { cookie: `gw_lang=${lang}` })).text();
      expect(page).toContain(heading);
      expect(page).toContain(`value="${OLD}" checked`);
      expect(page).toContain(`<small class="tag">${tag}</small>`);
    }
  });
});
