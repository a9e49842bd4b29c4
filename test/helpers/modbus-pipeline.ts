/**
 * The gateway's polling path over real Modbus devices for integration tests: a real store in
 * `dir`, one shared link pool and the sampler writing into the store (not started, so a test can
 * wire more around it first).
 */
import { join } from 'node:path';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { createModbusDriver, createModbusLinkPool } from '../../drivers/modbus/index.js';
import type { BackoffPolicy } from '../../core/backoff.js';
import { silentLogger } from '../../core/logger.js';
import { createSampler, type Sampler } from '../../gateway/sampler.js';
import { createStore } from '../../gateway/store/index.js';
import type { Store } from '../../gateway/store/types.js';

export interface ModbusPipeline {
  store: Store;
  sampler: Sampler;
}

export function createModbusPipeline(dir: string, devices: ModbusDeviceConfig[], backoff: BackoffPolicy): ModbusPipeline {
  const store = createStore({
    file: join(dir, 'g.db'),
    synchronous: 'normal',
    commitIntervalMs: 50,
    maxBatch: 1000,
    retention: { maxAgeDays: 0, maxSizeMB: 0 },
    logger: silentLogger,
  });
  const links = createModbusLinkPool({ logger: silentLogger });
  const sampler = createSampler({
    devices: devices.map((d) => ({
      driver: createModbusDriver(d, { links, logger: silentLogger }),
      pollIntervalMs: d.pollIntervalMs,
      pointIds: d.points.map((p) => p.id),
    })),
    sink: (s) => store.append(s),
    logger: silentLogger,
    backoff,
  });
  return { store, sampler };
}
