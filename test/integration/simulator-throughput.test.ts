/**
 * How fast the simulator answers one modbus-serial client on one connection, reading 100 holding
 * registers per request. SIM_BENCH_MS sets the measuring time (default 1 s; 3 s for the figure
 * in the docs).
 */
import ModbusSerial from 'modbus-serial';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import type { ModbusPoint } from '../../drivers/modbus/point.js';
import { type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';

// modbus-serial is CommonJS: under NodeNext its client class is the default export's `default`
const ModbusRTU = ModbusSerial.default;

const points: ModbusPoint[] = Array.from({ length: 100 }, (_, i) => ({
  id: `bench.r${i}`,
  key: `r${i}`,
  name: `Register ${i}`,
  table: 'holding',
  address: i,
  type: 'uint16',
  wordOrder: 'ABCD',
}));

const device: ModbusDeviceConfig = {
  id: 'bench',
  name: 'Bench device',
  kind: 'other',
  driver: 'modbus',
  connection: { transport: 'tcp', host: '127.0.0.1', port: 0, unitId: 1, timeoutMs: 1000 },
  pollIntervalMs: 1000,
  wordOrder: 'ABCD',
  maxRegisters: 125,
  maxBits: 2000,
  maxGap: 8,
  points,
};

let site: SimulatedSite;
beforeAll(async () => {
  site = await startSimulatedSite([device]);
});
afterAll(() => site?.stop());

it('answers a modbus-serial client loop at thousands of requests per second', async () => {
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port: site.endpoints[0]!.port! });
  client.setID(1);
  client.setTimeout(1000);
  const durationMs = Number(process.env.SIM_BENCH_MS ?? 1000);
  try {
    // warm up the JIT before measuring
    for (let i = 0; i < 500; i++) await client.readHoldingRegisters(0, 100);
    let requests = 0;
    const started = performance.now();
    while (performance.now() - started < durationMs) {
      const { data } = await client.readHoldingRegisters(0, 100);
      if (data.length !== 100) throw new Error(`got ${data.length} registers`);
      requests++;
    }
    const perSecond = requests / ((performance.now() - started) / 1000);
    console.log(`simulator: ${Math.round(perSecond)} req/s (100 registers each, one connection)`);
    // modbus-serial's own ServerTCP manages ~800/s; a loaded CI box still does far better than that
    expect(perSecond).toBeGreaterThan(2000);
    expect(site.slave('bench').counters.responses).toBe(requests + 500);
  } finally {
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }
});
