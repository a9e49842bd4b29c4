/**
 * The catalog finds a point through its device's points sorted by id (no site-wide id → point
 * map): every configured point must be found, by the same object the lists hold, and nothing else.
 */
import { describe, expect, it } from 'vitest';
import type { LoadedDevice } from '../../core/device.js';
import { createCatalog } from '../../gateway/catalog.js';

function device(id: string, keys: readonly string[], extra: Partial<LoadedDevice> = {}): LoadedDevice {
  return { id, name: `Device ${id}`, kind: 'sensor', driver: 'modbus', pollIntervalMs: 1000, points: keys.map((key) => ({ id: `${id}.${key}`, key, name: `Point ${key}`, unit: 'V' })), ...extra };
}

describe('catalog', () => {
  it('finds every point of every device, the same object as in the lists, and no point that is not configured', () => {
    // keys in no particular order; one device with a thousand points, others with a few
    const big = Array.from({ length: 1000 }, (_, i) => `p${(i * 7919) % 1000}`);
    const devices = [device('ups1', ['load', 'battery.charge', 'a', 'Z', 'load2']), device('pdu-2', big), device('crac_3', [])];
    const catalog = createCatalog(devices);
    expect(catalog.points).toHaveLength(1005);
    for (const p of catalog.points) expect(catalog.point(p.id)).toBe(p);
    expect(catalog.point('ups1.battery.charge')).toMatchObject({ deviceId: 'ups1', key: 'battery.charge', unit: 'V' });
    for (const missing of ['ups1.loa', 'ups1.load3', 'ups1', 'ups1.', '.load', 'pdu-2.p1000', 'crac_3.x', 'nope.load', '']) {
      expect(catalog.point(missing)).toBeUndefined();
    }
    expect(catalog.device('pdu-2')?.pointIds).toHaveLength(1000);
    expect(catalog.device('nope')).toBeUndefined();
  });

  it('finds a point whose id does not start with its device id', () => {
    const odd: LoadedDevice = { ...device('gw', []), points: [{ id: 'legacy-tag', key: 'tag', name: 'Tag' }] };
    const catalog = createCatalog([odd, device('gw2', ['x'])]);
    expect(catalog.point('legacy-tag')).toMatchObject({ deviceId: 'gw', key: 'tag', unit: null });
    expect(catalog.point('gw2.x')?.deviceId).toBe('gw2');
  });
});
