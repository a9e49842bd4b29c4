import type { Catalog } from '../gateway/catalog.js';
import type { DeviceStatus } from '../gateway/device-status.js';
import type { Logger } from '../gateway/logger.js';
import type { Store } from '../gateway/store/types.js';

/** What the web API reads. It never talks to drivers. */
export interface DashboardDeps {
  gatewayId: string;
  version: string;
  startedAt: number;
  catalog: Catalog;
  store: Pick<Store, 'latest' | 'latestOf' | 'history' | 'stats'>;
  deviceStatus: () => DeviceStatus[];
  logger: Logger;
  now?: () => number;
}
