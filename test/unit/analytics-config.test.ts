/** The site file's `analytics:` section: patterns resolved to points, defaults, and bad entries with file:line. */
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
    expect(config!.analytics!.map((s) => s.point)).toEqual(['crac1.supply_temp', 'crac2.supply_temp', 'crac3.supply_temp']);
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
