/**
 * The site file's `analytics:` section and the profiles' defaults: patterns resolved to points,
 * defaults, a site entry replacing a profile's, UPS batteries, and bad entries with file:line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinProfilesDir, parseSiteConfig } from '../../config/index.js';
import { analyticsAlarmRules } from '../../gateway/analytics/index.js';

const SITE = `gateway: { id: t, dataDir: ./d }
devices:
  - { id: crac1, name: C1, kind: hvac, driver: modbus, profile: crac-generic, connection: { host: 127.0.0.1, port: 1502, unitId: 1 } }
  - { id: crac2, name: C2, kind: hvac, driver: modbus, profile: crac-generic, connection: { host: 127.0.0.1, port: 1502, unitId: 2 } }
  - { id: crac3, name: C3, kind: hvac, driver: modbus, profile: crac-generic, connection: { host: 127.0.0.1, port: 1502, unitId: 3 } }
`;
const parse = (analytics: string) => parseSiteConfig(`${SITE}analytics:\n${analytics}`, 'site.yaml', { profilesDirs: [builtinProfilesDir()] });

describe('analytics config', () => {
  it('expands a pattern to one spec per point, with the defaults and the peers', () => {
    const { config, problems } = parse(`  - points: "crac*.supply_temp"\n    anomaly: {}\n    forecast: {}\n    peers: "crac*.supply_temp"\n`);
    expect(problems).toEqual([]);
    // the site's entry first, then the profile's default for the point the site did not name
    expect(config!.analytics!.map((s) => s.point)).toEqual([
      'crac1.supply_temp',
      'crac2.supply_temp',
      'crac3.supply_temp',
      'crac1.return_temp',
      'crac2.return_temp',
      'crac3.return_temp',
    ]);
    expect(config!.analytics![0]).toEqual({
      point: 'crac1.supply_temp',
      baseline: { season: ['day', 'week'], trainingDays: 7, minTrainingMinutes: 60 },
      anomaly: { sensitivity: 'medium', severity: 'minor', onDelayS: 300, kinds: ['band', 'spike', 'drift', 'peer'] },
      forecast: { horizonMin: 60, windowMin: 10, severity: 'warning' },
      peers: ['crac2.supply_temp', 'crac3.supply_temp'],
    });
    const rules = analyticsAlarmRules(config!.analytics!);
    expect(rules.filter((r) => r.point === 'crac1.supply_temp').map((r) => [r.id, r.severity, r.onDelayS])).toEqual([
      ['crac1.supply_temp.anomaly-band', 'minor', 300],
      ['crac1.supply_temp.anomaly-spike', 'minor', 0],
      ['crac1.supply_temp.anomaly-drift', 'minor', 0],
      ['crac1.supply_temp.anomaly-peer', 'minor', 0],
      ['crac1.supply_temp.forecast-limit', 'warning', 0],
    ]);
  });

  it('names every bad entry with its line and path', () => {
    const { problems } = parse(
      `  - points: "nothing.*"\n    forecast: {}\n  - points: "crac1.supply_temp"\n    peers: "crac1.supply*"\n    anomaly: {}\n  - points: "crac1.supply_temp"\n`,
    );
    expect(problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '7 analytics[0].points: "nothing.*" matches no point of this site',
      '10 analytics[1].peers: "crac1.supply*" gives crac1.supply_temp 0 other point(s); comparing needs at least 2',
      '12 analytics[2].points: crac1.supply_temp is already analysed by analytics[1]',
    ]);
  });

  it('refuses an unknown sensitivity', () => {
    const { problems } = parse(`  - points: "crac1.supply_temp"\n    anomaly: { sensitivity: extreme }\n`);
    expect(problems.map((p) => p.message)).toEqual(['expected one of low, medium, high, got "extreme"']);
  });
});

describe('analytics in profiles', () => {
  const CRAC = `gateway: { id: t, dataDir: ./d }
devices:
  - { id: crac1, name: C1, kind: hvac, driver: modbus, profile: crac-generic, connection: { host: 127.0.0.1, port: 1502, unitId: 1 } }
`;
  const UPS = `gateway: { id: t, dataDir: ./d }
devices:
  - { id: ups1, name: U1, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 1502, unitId: 1 } }
  - { id: ups2, name: U2, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 1502, unitId: 2 } }
`;
  const load = (text: string, dirs: string[] = [builtinProfilesDir()]) => parseSiteConfig(text, 'site.yaml', { profilesDirs: dirs });

  it('a site with a CRAC and no analytics section analyses the profile’s supply and return air', () => {
    const { config, problems } = load(CRAC);
    expect(problems).toEqual([]);
    const profileSpec = (point: string) => ({
      point,
      baseline: { season: ['day', 'week'], trainingDays: 7, minTrainingMinutes: 60 },
      anomaly: { sensitivity: 'medium', severity: 'minor', onDelayS: 300, kinds: ['band', 'drift'] },
      forecast: { horizonMin: 30, windowMin: 10, severity: 'warning' },
      peers: [],
    });
    expect(config!.analytics).toEqual([profileSpec('crac1.supply_temp'), profileSpec('crac1.return_temp')]);
    expect(analyticsAlarmRules(config!.analytics!).map((r) => r.id)).toEqual([
      'crac1.supply_temp.anomaly-band',
      'crac1.supply_temp.anomaly-drift',
      'crac1.supply_temp.forecast-limit',
      'crac1.return_temp.anomaly-band',
      'crac1.return_temp.anomaly-drift',
      'crac1.return_temp.forecast-limit',
    ]);
  });

  it('a site entry for the same point replaces the profile’s; enabled: false switches one off', () => {
    const { config, problems } = load(
      `${CRAC}analytics:\n  - { points: crac1.supply_temp, baseline: { minTrainingMinutes: 10 }, anomaly: { sensitivity: high, kinds: [spike] } }\n  - { points: crac1.return_temp, enabled: false }\n`,
    );
    expect(problems).toEqual([]);
    expect(config!.analytics).toEqual([
      {
        point: 'crac1.supply_temp',
        baseline: { season: ['day', 'week'], trainingDays: 7, minTrainingMinutes: 10 },
        anomaly: { sensitivity: 'high', severity: 'minor', onDelayS: 300, kinds: ['spike'] },
        peers: [],
      },
    ]);
  });

  it('a UPS’s runtime is projected under its own load: battery.load is a key of the same device', () => {
    const { config, problems } = load(UPS);
    expect(problems).toEqual([]);
    const runtime = config!.analytics!.filter((s) => s.point.endsWith('runtime_remaining'));
    expect(runtime.map((s) => [s.point, s.battery])).toEqual([
      ['ups1.runtime_remaining', { load: 'ups1.output_load', windowMin: 10, severity: 'warning' }],
      ['ups2.runtime_remaining', { load: 'ups2.output_load', windowMin: 10, severity: 'warning' }],
    ]);
    expect(analyticsAlarmRules(runtime).map((r) => [r.id, r.check, r.severity])).toEqual([
      ['ups1.runtime_remaining.forecast-limit', 'forecast.limit', 'warning'],
      ['ups1.runtime_remaining.battery-runtime', 'battery.runtime', 'warning'],
      ['ups2.runtime_remaining.forecast-limit', 'forecast.limit', 'warning'],
      ['ups2.runtime_remaining.battery-runtime', 'battery.runtime', 'warning'],
    ]);
    // in the site file, with its own minimum; a load key the device lacks is a located problem
    const site = load(`${UPS}analytics:\n  - { points: "ups*.runtime_remaining", battery: { load: output_power, minRuntimeMin: 15, severity: major } }\n  - { points: ups1.output_current, battery: { load: output_amps } }\n`);
    expect(site.problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '7 analytics[1].battery.load: ups1 has no point "output_amps" (battery.load is a point key of the analysed point\'s device)',
    ]);
    const ok = load(`${UPS}analytics:\n  - { points: "ups*.runtime_remaining", battery: { load: output_power, minRuntimeMin: 15, severity: major } }\n`);
    expect(ok.config!.analytics!.find((s) => s.point === 'ups2.runtime_remaining')).toEqual({
      point: 'ups2.runtime_remaining',
      baseline: { season: ['day', 'week'], trainingDays: 7, minTrainingMinutes: 60 },
      peers: [],
      battery: { load: 'ups2.output_power', minRuntimeMin: 15, windowMin: 10, severity: 'major' },
    });
  });

  it('a profile’s own mistakes are reported in the profile file, with line and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-profile-analytics-'));
    try {
      mkdirSync(join(dir, 'profiles'));
      writeFileSync(
        join(dir, 'profiles', 'my-crac.yaml'),
        `name: My CRAC
kind: hvac
driver: modbus
points:
  - { key: supply_temp, name: Supply, unit: °C, table: input, address: 0, type: int16, scale: 0.1 }
  - { key: load, name: Load, unit: "%", table: input, address: 1, type: uint16 }
analytics:
  - { points: "return*" }
  - { points: "supply_temp", forecast: {} }
  - { points: "*_temp", battery: { load: output_load } }
  - { points: load, peers: "crac*.load" }
`,
      );
      const { problems } = load(`${CRAC.replace('crac-generic', 'my-crac')}`, [join(dir, 'profiles'), builtinProfilesDir()]);
      const inProfile = problems.filter((p) => p.file.endsWith('my-crac.yaml')).map((p) => `${p.line} ${p.path}: ${p.message}`);
      expect(inProfile).toEqual([
        '8 analytics[0].points: "return*" matches no point key of this profile',
        '10 analytics[2].points: supply_temp is already analysed by analytics[1]',
        '10 analytics[2].battery.load: "output_load" is not a point key of this profile',
        '11 analytics[3].peers: unknown key "peers"',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
