import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig } from '../../config/types.js';
import { planReads } from '../../drivers/modbus/index.js';
import { type BenchSiteOptions, mixedPoints, registerPoints, writeBenchSite } from './site-generator.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function write(opts: Partial<BenchSiteOptions> & Pick<BenchSiteOptions, 'devices' | 'points' | 'modbusPorts'>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gen-test-'));
  dirs.push(dir);
  return writeBenchSite(dir, { dataDir: join(dir, 'data'), httpPort: 0, pollIntervalMs: 1000, ...opts });
}

/** The generator writes Modbus devices only. */
function loadModbusSite(file: string) {
  const config = loadSiteConfig(file);
  return { ...config, devices: config.devices as ModbusDeviceConfig[] };
}

const PORTS = Array.from({ length: 20 }, (_, i) => 21000 + i);

describe('benchmark site generator', () => {
  it('writes the 200 × 50 site as a config the gateway loads: 10 000 points, 20 ports × 10 unit ids', () => {
    const config = loadModbusSite(write({ devices: 200, points: mixedPoints(50), modbusPorts: PORTS }));
    expect(config.devices).toHaveLength(200);
    expect(config.devices.reduce((n, d) => n + d.points.length, 0)).toBe(10_000);
    const endpoints = new Map<number, number[]>();
    for (const d of config.devices) {
      expect(d.connection.transport).toBe('tcp');
      if (d.connection.transport !== 'tcp') continue;
      expect(d.connection.host).toBe('127.0.0.1');
      endpoints.set(d.connection.port, [...(endpoints.get(d.connection.port) ?? []), d.connection.unitId]);
      expect(d.pollIntervalMs).toBe(1000);
    }
    expect([...endpoints.keys()].sort()).toEqual(PORTS);
    for (const units of endpoints.values()) expect(units).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 0 });
  });

  it.each([
    { name: 'mixed, 50 points', points: mixedPoints(50), registers: 65 },
    { name: 'one register per point, 125 points', points: registerPoints(125), registers: 125 },
  ])('$name: contiguous, read in one request of $registers registers', ({ points, registers }) => {
    const device = loadModbusSite(write({ devices: 1, points, modbusPorts: [21000] })).devices[0]!;
    const plan = planReads(device.points, device);
    expect(plan.map((r) => [r.table, r.address, r.count])).toEqual([['holding', 0, registers]]);
  });

  it('mixes the register kinds a real map has', () => {
    const points = loadModbusSite(write({ devices: 1, points: mixedPoints(10), modbusPorts: [21000] })).devices[0]!.points;
    expect(new Set(points.map((p) => p.type))).toEqual(new Set(['uint16', 'int16', 'uint32', 'int32', 'float32']));
    expect(points.some((p) => p.scale === 0.1)).toBe(true);
    expect(points.some((p) => p.binaryPoint !== undefined)).toBe(true);
    expect(points.some((p) => p.wordOrder === 'CDAB')).toBe(true);
    expect(points.some((p) => p.bit !== undefined)).toBe(true);
    expect(points.some((p) => p.sentinel?.includes(0xffff))).toBe(true);
  });

  it('gives the same points through a profile as inline, in a far smaller site file', () => {
    const viaProfile = write({ devices: 20, points: mixedPoints(50), modbusPorts: PORTS.slice(0, 2) });
    const inline = write({ devices: 20, points: mixedPoints(50), modbusPorts: PORTS.slice(0, 2), inlinePoints: true });
    const strip = (file: string) => loadSiteConfig(file).devices.map((d) => d.points);
    expect(strip(viaProfile)).toEqual(strip(inline));
    expect(readFileSync(viaProfile, 'utf8')).toContain('profile: bench-device');
    expect(statSync(viaProfile).size * 10).toBeLessThan(statSync(inline).size);
  });

  it('refuses more devices on a port than Modbus has unit ids', () => {
    expect(() => write({ devices: 248, points: mixedPoints(1), modbusPorts: [21000] })).toThrow(/247 unit ids/);
  });
});
