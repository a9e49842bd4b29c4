/** The difference between two loaded site configs, section by section (config/live/diff.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { SiteConfig } from '../../config/types.js';
import { describeDiff, diffSiteConfigs, isEmptyDiff } from '../../config/live/diff.js';

const FILE = 'site.yaml';
const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGk=';

interface Parts {
  http?: string;
  gateway?: string;
  ups1Conn?: string;
  ups1Poll?: number;
  ups1Points?: string;
  extraDevice?: string;
  alarms?: string;
  syncTarget?: string;
  brokerUsers?: string;
  auth?: string;
}

function site(p: Parts = {}): string {
  return `gateway: { ${p.gateway ?? 'id: gw1, dataDir: ./data'} }
http: { ${p.http ?? 'port: 8080'} }
${p.auth ? `auth: { ${p.auth} }\n` : ''}mqttBroker:
  enabled: true
  users: [${p.brokerUsers ?? `{ username: rack, password: "${HASH}" }`}]
sync:
  targets:
    - { id: ems, kind: http, url: "http://127.0.0.1:9/ingest", token: "\${DIFF_TEST_TOKEN}", ${p.syncTarget ?? 'batchItems: 500'} }
devices:
  - id: ups1
    driver: modbus
    connection: { ${p.ups1Conn ?? 'host: 127.0.0.1, port: 5020'} }
    pollIntervalMs: ${p.ups1Poll ?? 1000}
    points:
      - { key: load, table: holding, address: 1, type: uint16 }
${p.ups1Points ?? ''}  - id: pdu1
    driver: modbus
    connection: { host: 127.0.0.1, port: 5021 }
    points:
      - { key: power, table: holding, address: 1, type: uint16 }
${p.extraDevice ?? ''}alarms:
  - { id: ups-load-hi, point: ups1.load, hi: ${p.alarms ?? '80'} }
`;
}

function load(text: string): SiteConfig {
  const { config, problems } = parseSiteConfig(text, FILE, { profilesDirs: [] });
  expect(problems).toEqual([]);
  return config!;
}

afterEach(() => {
  process.env.DIFF_TEST_TOKEN = 'token-one';
});
process.env.DIFF_TEST_TOKEN = 'token-one';

describe('config diff', () => {
  it('finds nothing between a config and itself loaded twice', () => {
    const diff = diffSiteConfigs(load(site()), load(site()));
    expect(isEmptyDiff(diff)).toBe(true);
    expect(describeDiff(diff)).toEqual([]);
  });

  it('names added and removed devices by id', () => {
    const extra = `  - id: crac9\n    driver: modbus\n    connection: { host: 127.0.0.1, port: 5029 }\n    points:\n      - { key: t, table: input, address: 3, type: int16 }\n`;
    const before = load(site());
    const after = load(site({ extraDevice: extra }));
    expect(diffSiteConfigs(before, after).lists.devices).toEqual({ added: ['crac9'], removed: [], changed: [] });
    expect(diffSiteConfigs(after, before).lists.devices).toEqual({ added: [], removed: ['crac9'], changed: [] });
  });

  it.each<[string, Parts, string[]]>([
    ['the connection', { ups1Conn: 'host: 127.0.0.1, port: 5030' }, ['connection']],
    ['the poll interval', { ups1Poll: 2000 }, ['pollIntervalMs']],
    ['a point', { ups1Points: '      - { key: temp, table: input, address: 9, type: int16 }\n' }, ['points']],
    ['connection and interval together', { ups1Conn: 'host: 127.0.0.1, port: 5020, unitId: 4', ups1Poll: 500 }, ['connection', 'pollIntervalMs']],
  ])('says which fields of a changed device changed: %s', (_name, parts, fields) => {
    const diff = diffSiteConfigs(load(site()), load(site(parts)));
    expect(diff.lists.devices).toEqual({ added: [], removed: [], changed: [{ id: 'ups1', fields }] });
    expect(diff.restartRequired).toEqual([]);
  });

  it('a changed alarm limit is an alarm change, not a device change', () => {
    const diff = diffSiteConfigs(load(site()), load(site({ alarms: '90' })));
    expect(diff.lists.alarms.changed.map((c) => c.id)).toEqual(['ups-load-hi']);
    expect(diff.lists.devices.changed).toEqual([]);
  });

  it('sees a changed sync target, and a changed secret without showing it', () => {
    const before = load(site());
    expect(diffSiteConfigs(before, load(site({ syncTarget: 'batchItems: 50' }))).lists.syncTargets.changed).toEqual([{ id: 'ems', fields: ['batchItems'] }]);
    process.env.DIFF_TEST_TOKEN = 'token-two';
    const diff = diffSiteConfigs(before, load(site()));
    expect(diff.lists.syncTargets.changed).toEqual([{ id: 'ems', fields: ['token'] }]);
    const shown = JSON.stringify(diff) + describeDiff(diff).join('\n');
    expect(shown).not.toContain('token-one');
    expect(shown).not.toContain('token-two');
  });

  it('lists broker users by username', () => {
    const two = `{ username: rack, password: "${HASH}" }, { username: ems, password: "${HASH}", subscribe: ["dc1/#"] }`;
    const diff = diffSiteConfigs(load(site()), load(site({ brokerUsers: two })));
    expect(diff.lists.brokerUsers).toEqual({ added: ['ems'], removed: [], changed: [] });
    // the users list is not also reported as a setting of the broker
    expect(diff.settings).toEqual([]);
  });

  it('reports settings a running gateway can take by path', () => {
    const diff = diffSiteConfigs(load(site()), load(site({ http: 'port: 8080, maxBodyKB: 256', auth: 'sessionIdleMinutes: 5' })));
    expect(diff.settings).toEqual(['http.maxBodyKB', 'auth.sessionIdleMinutes']);
    expect(diff.restartRequired).toEqual([]);
  });

  it.each<[string, Parts, string[]]>([
    ['the listener port', { http: 'port: 8081' }, ['http.port']],
    ['the listener address', { http: 'host: 127.0.0.1, port: 8080' }, ['http.host']],
    ['the data folder', { gateway: 'id: gw1, dataDir: ./other' }, ['gateway.dataDir']],
    ['the gateway id', { gateway: 'id: gw2, dataDir: ./data' }, ['gateway.id']],
  ])('names %s as needing a restart', (_name, parts, paths) => {
    const diff = diffSiteConfigs(load(site()), load(site(parts)));
    expect(diff.restartRequired).toEqual(paths);
    expect(diff.settings).toEqual([]);
    expect(describeDiff(diff)).toEqual([`needs a restart: ${paths.join(', ')}`]);
  });

  it('reports a changed topology, but not the bare node an added device brings', () => {
    const topo = (fedBy: string) => `topology:\n  - { id: feed-a, kind: feed, name: Feed A }\n  - { id: feed-b, kind: feed, name: Feed B }\n  - { device: pdu1, fedBy: [${fedBy}] }\n`;
    const extra = `  - id: crac9\n    driver: modbus\n    connection: { host: 127.0.0.1, port: 5029 }\n    points:\n      - { key: t, table: input, address: 3, type: int16 }\n`;
    const before = load(site() + topo('feed-a'));
    expect(diffSiteConfigs(before, load(site() + topo('feed-b'))).settings).toEqual(['topology']);
    const added = diffSiteConfigs(before, load(site({ extraDevice: extra }) + topo('feed-a')));
    expect(added.settings).toEqual([]);
    expect(added.lists.devices.added).toEqual(['crac9']);
  });

  it('describes a mixed change in one line per section', () => {
    const extra = `  - id: crac9\n    driver: modbus\n    connection: { host: 127.0.0.1, port: 5029 }\n    points:\n      - { key: t, table: input, address: 3, type: int16 }\n`;
    const diff = diffSiteConfigs(load(site()), load(site({ extraDevice: extra, ups1Poll: 2000, alarms: '85', http: 'port: 9090' })));
    expect(describeDiff(diff)).toEqual([
      'devices: + crac9, ~ ups1 (pollIntervalMs)',
      'alarms: ~ ups-load-hi (levels)',
      'needs a restart: http.port',
    ]);
  });
});
