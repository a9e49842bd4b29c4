/**
 * A device's page and API say what the equipment is: driver, profile, and the vendor and model
 * the profile's header names (carried by the loader onto the device), in English and Korean.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig } from '../../config/index.js';
import type { DeviceConfig } from '../../config/types.js';
import { createCatalog } from '../../gateway/catalog.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

describe('device view: driver, profile, vendor and model', () => {
  let dir: string;
  let devices: DeviceConfig[];
  let rig: WebRig;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-device-model-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      [
        'gateway: { id: model-view, dataDir: ./data }',
        'devices:',
        '  - { id: ups1, name: UPS-1, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 502, unitId: 1 } }',
        '  - { id: meter1, name: Meter, kind: meter, driver: modbus, connection: { host: 127.0.0.1, port: 502, unitId: 2 }, points: [{ key: power, table: holding, address: 0, type: uint16 }] }',
        '',
      ].join('\n'),
    );
    devices = loadSiteConfig(file).devices;
    rig = createWebRig({ extraDeps: { catalog: createCatalog(devices) } });
    await rig.auth.addUser('viewer1', 'viewer');
  });

  afterAll(() => {
    rig?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the loader carries the profile header vendor and model onto the device', () => {
    expect(devices[0]).toMatchObject({ vendor: 'Generic', model: 'Online double-conversion UPS (simulated)' });
    expect(devices[1]!.vendor).toBeUndefined();
    expect(devices[1]!.model).toBeUndefined();
  });

  it('GET /api/v1/devices/:id gives them (null without a profile)', async () => {
    const browser = rig.browser();
    await browser.login('viewer1');
    const ups = await (await browser.request('/api/v1/devices/ups1')).json();
    expect(ups).toMatchObject({ driver: 'modbus', profile: 'ups-generic', vendor: 'Generic', model: 'Online double-conversion UPS (simulated)' });
    const meter = await (await browser.request('/api/v1/devices/meter1')).json();
    expect(meter).toMatchObject({ driver: 'modbus', profile: null, vendor: null, model: null });
  });

  it('the device page shows them in an Equipment card, in English and in Korean', async () => {
    const browser = rig.browser();
    await browser.login('viewer1');
    const en = await (await browser.request('/devices/ups1', { headers: { 'accept-language': 'en' } })).text();
    expect(en).toContain('<h2 id="h-equipment">Equipment</h2>');
    expect(en).toMatch(/<th scope="row">Vendor<\/th><td data-equipment="vendor">Generic<\/td>/);
    expect(en).toMatch(/<th scope="row">Model<\/th><td data-equipment="model">Online double-conversion UPS \(simulated\)<\/td>/);
    expect(en).toMatch(/<td data-equipment="profile">ups-generic<\/td>/);
    const ko = await (await browser.request('/devices/ups1', { headers: { 'accept-language': 'ko' } })).text();
    expect(ko).toContain('<h2 id="h-equipment">장비 정보</h2>');
    expect(ko).toMatch(/<th scope="row">제조사<\/th><td data-equipment="vendor">Generic<\/td>/);
    expect(ko).toMatch(/<th scope="row">모델<\/th>/);
    const meter = await (await browser.request('/devices/meter1')).text();
    expect(meter).toMatch(/<td data-equipment="model">—<\/td>/);
  });
});
