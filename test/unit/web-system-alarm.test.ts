/**
 * The storage fault as the page and the API show it (issue 11 §3): health `degraded` with the
 * `storage` condition, and the system.storage alarm on the overview in English and Korean.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDashboardApp } from '../../dashboard/app.js';
import { createCatalog } from '../../gateway/catalog.js';
import { silentLogger } from '../../core/logger.js';
import { createSelfHealth, type SelfHealth } from '../../core/self-health.js';
import type { Store } from '../../gateway/store/types.js';
import { type AlarmRig, alarmRig } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { WEB_DEVICES } from '../helpers/web-app.js';
import { createTestAuth } from '../helpers/web-auth.js';

describe('the storage fault on the page and in health', () => {
  const temp = createTempStores('gw-web-system-alarm-');
  const testAuth = createTestAuth();
  let store: Store;
  let selfHealth: SelfHealth;
  let rig: AlarmRig;
  beforeEach(() => {
    store = temp.open(temp.file());
    selfHealth = createSelfHealth();
    rig = alarmRig(store, [], { selfHealth });
  });
  afterEach(() => temp.cleanup());
  afterAll(() => testAuth.close());

  const app = () =>
    createDashboardApp({
      gatewayId: 'gw',
      version: '1.0.0',
      startedAt: Date.now(),
      catalog: createCatalog(WEB_DEVICES),
      store,
      deviceStatus: () => [],
      auth: testAuth.auth,
      alarms: rig.engine,
      selfHealth,
      logger: silentLogger,
    });
  const get = (path: string, lang = 'en') => app().request(path, { headers: { ...testAuth.bearer('viewer'), 'accept-language': lang } });

  it('health is degraded with the reason, and the overview shows system.storage in English and Korean', async () => {
    selfHealth.raise('storage', 'database commits failing: database or disk is full; 20000 samples queued (at most 200000 are kept)');
    rig.advance(1000);
    const health = (await (await get('/api/v1/health')).json()) as { status: string; conditions: Array<{ id: string; reason: string }> };
    expect(health.status).toBe('degraded');
    expect(health.conditions).toEqual([expect.objectContaining({ id: 'storage', reason: expect.stringContaining('database or disk is full') })]);

    const alarms = (await (await get('/api/v1/alarms')).json()) as Array<{ id: string; severity: string; type: string }>;
    expect(alarms.map((a) => [a.id, a.severity, a.type])).toEqual([['system.storage', 'critical', 'system']]);

    expect(await (await get('/')).text()).toContain('Gateway storage failing: new readings are not being saved');
    expect(await (await get('/', 'ko-KR')).text()).toContain('게이트웨이 저장소 오류: 새 측정값이 저장되지 않고 있습니다');

    // the write queue's bound is visible to monitoring
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^gateway_store_max_queue_samples 200000$/m);
    expect(metrics).toMatch(/^gateway_store_commits_failing 0$/m);

    selfHealth.clear('storage');
    rig.advance(1000);
    expect(((await (await get('/api/v1/health')).json()) as { status: string }).status).toBe('ok');
    expect(rig.engine.get('system.storage')?.state).toBe('rtn-unack');
  });
});
