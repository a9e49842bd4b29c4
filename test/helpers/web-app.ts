/**
 * The whole web app on a real store, a real alarm engine and a real auth database, for
 * `app.request()` tests: a browser-like cookie jar, login helpers and the demo-like catalog.
 */
import type { DeviceConfig } from '../../config/types.js';
import { createDashboardApp } from '../../dashboard/app.js';
import type { DashboardDeps } from '../../dashboard/deps.js';
import { createCatalog } from '../../gateway/catalog.js';
import { type DeviceStatus, initialStatus } from '../../core/device-status.js';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/types.js';
import { type AlarmRig, alarmRig, discreteRule, limitRule } from './alarm-fixtures.js';
import { modbusDevice, tcpConnection } from './modbus-fixtures.js';
import { createTempStores, type TempStores } from './temp-store.js';
import { createTestAuth, TEST_PASSWORD, type TestAuth, type TestAuthOptions } from './web-auth.js';

const point = (key: string, name: string, unit?: string) => ({
  id: `${key}`,
  key: key.split('.')[1]!,
  name,
  ...(unit ? { unit } : {}),
  table: 'holding' as const,
  address: 0,
  type: 'uint16' as const,
  wordOrder: 'ABCD' as const,
});

function device(id: string, name: string, kind: DeviceConfig['kind'], location: string, points: ReturnType<typeof point>[]): DeviceConfig {
  return { ...modbusDevice(id, tcpConnection(502), points), name, kind, location };
}

export const WEB_DEVICES: DeviceConfig[] = [
  device('ups1', 'UPS-1 <Hall A>', 'ups', 'Hall A', [
    point('ups1.output_load', 'Output load', '%'),
    point('ups1.runtime_remaining', 'Runtime remaining', 'min'),
    point('ups1.on_battery', 'On battery'),
  ]),
  device('crac1', 'CRAC-1', 'hvac', 'Hall A', [point('crac1.supply_temp', 'Supply air temperature', '°C'), point('crac1.return_temp', 'Return air', '°C')]),
  device('pdu1', 'PDU-1', 'pdu', 'Hall B', [point('pdu1.total_power', 'Total power', 'kW')]),
];

export interface WebRig {
  app: ReturnType<typeof createDashboardApp>;
  deps: DashboardDeps;
  store: Store;
  alarms: AlarmRig;
  auth: TestAuth;
  statuses: DeviceStatus[];
  /** a browser: keeps cookies between requests */
  browser(): Browser;
  close(): void;
}

export interface Browser {
  request(path: string, init?: RequestInit): Promise<Response>;
  cookies: Map<string, string>;
  /** GET /login, then POST the form; returns the final response (a redirect when it worked) */
  login(user: string, password?: string): Promise<Response>;
  /** the CSRF token of the current session (from GET /api/v1/session) */
  csrf(): Promise<string>;
}

export function createWebRig(
  options: { tls?: boolean; temp?: TempStores; extraDeps?: Partial<DashboardDeps>; authOptions?: TestAuthOptions } = {},
): WebRig {
  const temp = options.temp ?? createTempStores('gw-web-');
  const store = temp.open(temp.file(), { commitIntervalMs: 20 });
  const auth = createTestAuth(options.authOptions);
  const alarms = alarmRig(store, [
    discreteRule('ups1.on-battery', 'ups1.on_battery', { op: 'equals', value: true }, { severity: 'critical', message: 'UPS-1 on battery' }),
    limitRule('crac1.supply-hi', 'crac1.supply_temp', { hi: 27 }, { message: 'Supply air {value}{unit}' }),
  ]);
  const statuses = WEB_DEVICES.map((d) => ({ ...initialStatus(d.id), state: 'up' as const, lastSuccess: Date.now(), polls: 3 }));
  const deps: DashboardDeps = {
    gatewayId: 'gw-web',
    version: '9.9.9',
    startedAt: Date.now() - 60_000,
    catalog: createCatalog(WEB_DEVICES),
    store,
    deviceStatus: () => statuses,
    auth: auth.auth,
    tokens: auth.tokens,
    alarms: alarms.engine,
    diskUsage: () => ({ path: '/data', totalBytes: 100e9, freeBytes: 60e9 }),
    tls: options.tls,
    logger: silentLogger,
    ...options.extraDeps,
  };
  const app = createDashboardApp(deps, { heartbeatMs: 200 });
  const origin = options.tls ? 'https://gw.local' : 'http://gw.local';

  function browser(): Browser {
    const cookies = new Map<string, string>();
    const request = async (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      if (cookies.size > 0) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      const method = (init.method ?? 'GET').toUpperCase();
      if (method !== 'GET' && !headers.has('origin')) headers.set('origin', origin);
      const res = await app.request(`${origin}${path}`, { ...init, headers });
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq);
        const value = pair.slice(eq + 1);
        if (value === '' || /max-age=0/i.test(line)) cookies.delete(name);
        else cookies.set(name, value);
      }
      return res;
    };
    return {
      request,
      cookies,
      async login(user, password = TEST_PASSWORD) {
        const page = await (await request('/login')).text();
        const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
        return request('/login', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ user, password, _csrf: csrf, next: '/' }).toString(),
        });
      },
      async csrf() {
        return ((await (await request('/api/v1/session')).json()) as { csrf: string }).csrf;
      },
    };
  }

  return {
    app,
    deps,
    store,
    alarms,
    auth,
    statuses,
    browser,
    close() {
      alarms.engine.stop();
      auth.close();
      if (!options.temp) temp.cleanup();
    },
  };
}
