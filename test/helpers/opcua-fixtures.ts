/** Builds OPC UA devices and a throwaway gateway certificate store for tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeLibraryLogs } from '../../drivers/opcua/library-logs.js';
import { createOpcuaPki, type OpcuaPki } from '../../drivers/opcua/pki.js';
import { silentLogger } from '../../core/logger.js';
import type { OpcuaConnection, OpcuaDeviceSettings, OpcuaPoint } from '../../drivers/opcua/point.js';

export interface TestPki extends OpcuaPki {
  /** disposes and removes the folder */
  remove(): Promise<void>;
}

/** node-opcua's console warnings would drown the test output; the driver reports what matters. */
export function silenceOpcuaLibrary(): void {
  routeLibraryLogs(silentLogger);
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'opcua-test-gw-'));
  const pki = createOpcuaPki(join(dir, 'pki'));
  return Object.assign(pki, {
    async remove() {
      await pki.dispose().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function opcuaDevice(
  id: string,
  endpoint: string,
  points: OpcuaPoint[],
  overrides: { connection?: Partial<OpcuaConnection>; mode?: OpcuaDeviceSettings['mode']; publishingIntervalMs?: number } = {},
): OpcuaDeviceSettings {
  return {
    id,
    connection: {
      endpoint,
      securityMode: 'None',
      securityPolicy: 'None',
      timeoutMs: 3000,
      sessionTimeoutMs: 60_000,
      trustOnFirstUse: false,
      ...overrides.connection,
    },
    mode: overrides.mode ?? 'subscribe',
    subscription: { publishingIntervalMs: overrides.publishingIntervalMs ?? 100, samplingIntervalMs: 50, queueSize: 10 },
    points,
  };
}
