/**
 * Alarm rules through the config loader: the built-in profiles bring theirs, the site adds,
 * overrides and disables, and every problem is located as file:line path like the rest of the
 * config (`gateway check` lists them all).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinProfilesDir, loadProfileFile, parseSiteConfig } from '../../config/index.js';
import { formatProblem } from '../../core/errors.js';

const HEAD = `gateway: { id: t }
devices:
  - { id: ups1, name: UPS 1, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 502 } }
  - { id: crac1, name: CRAC 1, driver: modbus, profile: crac-generic, connection: { host: 127.0.0.1, port: 503 } }
`;

const check = (text: string, profilesDirs = [builtinProfilesDir()]) => parseSiteConfig(text, 'site.yaml', { profilesDirs });
const messages = (text: string, profilesDirs?: string[]) => check(text, profilesDirs).problems.map(formatProblem);

describe('alarm rules in the config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-alarm-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['ups-generic', 'crac-generic', 'pdu-generic'])('the built-in profile %s has alarms and no problems', (name) => {
    const profile = loadProfileFile(name, join(builtinProfilesDir(), `${name}.yaml`));
    expect(profile.problems).toEqual([]);
    expect(profile.alarms!.length).toBeGreaterThanOrEqual(4);
  });

  it('gives each device its profile’s alarms, plus the site’s, overridden and disabled by id', () => {
    const { config, problems } = check(`${HEAD}alarms:
  - { id: ups1.on-battery, severity: critical, onDelayS: 2 }
  - { id: crac1.water-detected, disabled: true }
  - { id: hall-hot, point: crac1.return_temp, hi: 32, severity: minor }
alarmSettings: { chatterPerMinute: 3 }
`);
    expect(problems).toEqual([]);
    const ids = config!.alarms.map((a) => a.id);
    expect(ids).toEqual(expect.arrayContaining(['ups1.on-battery', 'ups1.battery-low', 'ups1.overload', 'ups1.runtime-low', 'ups1.comm-loss', 'crac1.supply-temp', 'crac1.compressor-fault', 'hall-hot']));
    expect(ids).not.toContain('crac1.water-detected');
    expect(config!.alarms.find((a) => a.id === 'ups1.on-battery')).toMatchObject({ type: 'discrete', point: 'ups1.on_battery', severity: 'critical', onDelayS: 2 });
    expect(config!.alarms.find((a) => a.id === 'crac1.supply-temp')).toMatchObject({ type: 'limit', point: 'crac1.supply_temp', deadband: 0.5, levels: { hi: { limit: 27 }, hihi: { limit: 30, severity: 'critical' } } });
    expect(config!.alarms.find((a) => a.id === 'ups1.comm-loss')).toMatchObject({ type: 'comm-loss', device: 'ups1' });
    expect(config!.alarmSettings).toMatchObject({ chatterPerMinute: 3, floodPer10Min: 10, notify: [] });
  });

  it('a site without alarms still has its devices’ profile alarms and default settings', () => {
    const { config } = check(HEAD);
    expect(config!.alarms.length).toBeGreaterThan(8);
    expect(config!.alarmSettings.maxShelveMinutes).toBe(1440);
  });

  it('locates every alarm problem as file:line path, all at once', () => {
    expect(
      messages(`${HEAD}alarms:
  - { id: a, point: ups1.on_batery, equals: true }
  - { id: b, point: crac1.supply_temp, hii: 30 }
  - { id: c, point: crac1.supply_temp, hi: 30, hihi: 25 }
  - { id: ups1.on-batery, severity: minor }
  - { id: Bad Id, point: ups1.mode, equals: fault }
  - { id: d, device: chiller9, commLossS: 5 }
alarmSettings:
  notify:
    - { type: webhook, url: "ftp://x" }
`),
    ).toEqual([
      'site.yaml:6 alarms[0].point: unknown point "ups1.on_batery" (did you mean "ups1.on_battery"?)',
      'site.yaml:7 alarms[1].hii: unknown key "hii" (did you mean "hi"?)',
      'site.yaml:8 alarms[2].hihi: must be above hi (30)',
      'site.yaml:9 alarms[3].id: no profile alarm "ups1.on-batery" to override (did you mean "ups1.on-battery"?)',
      expect.stringMatching(/^site\.yaml:10 alarms\[4\]\.id: "Bad Id" has characters other than/),
      'site.yaml:11 alarms[5].device: unknown device "chiller9"',
      'site.yaml:14 alarmSettings.notify[0].url: must be a URL starting http://, https://',
    ]);
  });

  it('reports a profile’s bad alarm in the profile file, once for all devices using it', () => {
    writeFileSync(
      join(dir, 'meter.yaml'),
      `name: Meter
driver: modbus
points:
  - { key: energy, table: input, address: 0, type: uint32 }
alarms:
  - { id: energy-stale, point: energy, staleS: 600 }
  - { id: power-hi, point: power, hi: 10 }
`,
    );
    const text = `gateway: { id: t }
devices:
  - { id: m1, driver: modbus, profile: meter, connection: { host: 127.0.0.1, port: 502 } }
  - { id: m2, driver: modbus, profile: meter, connection: { host: 127.0.0.1, port: 502, unitId: 2 } }
`;
    const found = messages(text, [dir]);
    expect(found).toEqual([`${join(dir, 'meter.yaml')}:7 alarms[1].point: unknown point key "power"`]);
  });

  it('`alarms:` that is not a list is one problem', () => {
    expect(messages(`${HEAD}alarms: { id: a }\n`)).toEqual(['site.yaml:5 alarms: expected a list, got a mapping']);
  });
});
