/**
 * Rule resolution without files: profile rules per device, site overrides and disables by id,
 * defaults, and the problems a rule can have (each located at the field to fix).
 */
import { describe, expect, it } from 'vitest';
import { type AlarmRuleInput, alarmRuleSchema, alarmSettingsSchema, resolveAlarmRules, type WrittenRule } from '../../gateway/alarms/config-schema.js';

/** A written rule whose location is `<origin>:<field>`. */
function written(origin: string, raw: Record<string, unknown>): WrittenRule<string> {
  const input: AlarmRuleInput = alarmRuleSchema.parse(raw);
  return { input, where: (field) => `${origin}:${field ?? ''}` };
}

const UPS_POINTS = ['on_battery', 'battery_charge', 'runtime_remaining', 'mode'];
const upsProfile = [
  written('profile', { id: 'on-battery', point: 'on_battery', equals: true, severity: 'major', message: 'On battery' }),
  written('profile', { id: 'battery-low', point: 'battery_charge', lo: 30, lolo: 15, deadband: 2 }),
  written('profile', { id: 'comm-loss', commLossS: 30, severity: 'critical' }),
];
const device = (id: string, rules = upsProfile) => ({ id, points: UPS_POINTS.map((k) => ({ id: `${id}.${k}`, key: k })), profileRules: rules });

function resolve(site: Array<Record<string, unknown>>, devices = [device('ups1'), device('ups2')]) {
  return resolveAlarmRules({
    devices,
    siteRules: site.map((r, i) => written(`site[${i}]`, r)),
    suggest: (word, candidates) => candidates.find((c) => c.replace(/_/g, '') === word.replace(/_/g, '') || c.replace('batt', 'bat') === word),
  });
}

describe('alarm rule resolution', () => {
  it('gives every device its profile rules, ids and points prefixed by the device', () => {
    const { rules, problems } = resolve([]);
    expect(problems).toEqual([]);
    expect(rules.map((r) => r.id)).toEqual(['ups1.on-battery', 'ups1.battery-low', 'ups1.comm-loss', 'ups2.on-battery', 'ups2.battery-low', 'ups2.comm-loss']);
    expect(rules[0]).toEqual({ id: 'ups1.on-battery', type: 'discrete', point: 'ups1.on_battery', match: { op: 'equals', value: true }, severity: 'major', message: 'On battery', onDelayS: 0, offDelayS: 0, latch: false });
    expect(rules[1]).toMatchObject({ type: 'limit', point: 'ups1.battery_charge', deadband: 2, levels: { lo: { limit: 30, severity: 'major' }, lolo: { limit: 15, severity: 'critical' } } });
    expect(rules[2]).toMatchObject({ type: 'comm-loss', device: 'ups1', commLossS: 30, severity: 'critical' });
  });

  it('a site entry with a profile rule id overrides its fields, or disables it', () => {
    const { rules, problems } = resolve([
      { id: 'ups1.on-battery', severity: 'critical', onDelayS: 5 },
      { id: 'ups2.comm-loss', disabled: true },
    ]);
    expect(problems).toEqual([]);
    expect(rules.find((r) => r.id === 'ups1.on-battery')).toMatchObject({ severity: 'critical', onDelayS: 5, message: 'On battery', point: 'ups1.on_battery' });
    expect(rules.find((r) => r.id === 'ups2.on-battery')).toMatchObject({ severity: 'major', onDelayS: 0 });
    expect(rules.map((r) => r.id)).not.toContain('ups2.comm-loss');
  });

  it('resolves site rules of every kind with their defaults', () => {
    const { rules, problems } = resolve([
      { id: 'load-hi', point: 'ups1.battery_charge', hi: { limit: 99, severity: 'warning' }, hihi: 100 },
      { id: 'mode', point: 'ups1.mode', in: ['battery', 'fault'], latch: true },
      { id: 'bits', point: 'ups1.runtime_remaining', bitSet: 3 },
      { id: 'not-online', point: 'ups1.mode', notEquals: 'online' },
      { id: 'drain', point: 'ups1.battery_charge', ratePerMin: 5, direction: 'fall' },
      { id: 'stale', point: 'ups2.mode', staleS: 60 },
      { id: 'ups2-comm', device: 'ups2', commLossS: 10 },
    ], [device('ups1', []), device('ups2', [])]);
    expect(problems).toEqual([]);
    expect(rules.map((r) => [r.id, r.type])).toEqual([
      ['load-hi', 'limit'],
      ['mode', 'discrete'],
      ['bits', 'discrete'],
      ['not-online', 'discrete'],
      ['drain', 'rate'],
      ['stale', 'stale'],
      ['ups2-comm', 'comm-loss'],
    ]);
    expect(rules[0]).toMatchObject({ levels: { hi: { limit: 99, severity: 'warning' }, hihi: { limit: 100, severity: 'critical' } }, deadband: 0 });
    expect(rules[1]).toMatchObject({ match: { op: 'in', values: ['battery', 'fault'] }, latch: true });
    expect(rules[4]).toMatchObject({ perMinute: 5, windowS: 60, direction: 'fall' });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['an unknown point', { id: 'x', point: 'ups1.on_batery', equals: true }, 'site[0]:point', 'unknown point "ups1.on_batery"'],
    ['a typo with a suggestion', { id: 'x', point: 'ups1.onbattery', equals: true }, 'site[0]:point', 'did you mean "ups1.on_battery"?'],
    ['no condition', { id: 'x', point: 'ups1.mode' }, 'site[0]:', 'needs a condition'],
    ['two kinds of condition', { id: 'x', point: 'ups1.mode', hi: 3, equals: 'fault' }, 'site[0]:equals', 'two kinds'],
    ['two discrete matches', { id: 'x', point: 'ups1.mode', equals: 'fault', notEquals: 'online' }, 'site[0]:notEquals', 'give one of'],
    ['a deadband on a discrete alarm', { id: 'x', point: 'ups1.mode', equals: 'fault', deadband: 1 }, 'site[0]:deadband', 'only applies to limit'],
    ['hihi below hi', { id: 'x', point: 'ups1.battery_charge', hi: 90, hihi: 80 }, 'site[0]:hihi', 'must be above hi'],
    ['lo above hi', { id: 'x', point: 'ups1.battery_charge', hi: 50, lo: 60 }, 'site[0]:lo', 'must be below hi'],
    ['no point', { id: 'x', equals: true }, 'site[0]:', 'needs `point`'],
    ['a comm-loss with a point', { id: 'x', point: 'ups1.mode', commLossS: 5, device: 'ups1' }, 'site[0]:point', 'give `device`'],
    ['a comm-loss of an unknown device', { id: 'x', device: 'ups9', commLossS: 5 }, 'site[0]:device', 'unknown device "ups9"'],
    ['an override of nothing', { id: 'ups1.on-batt', severity: 'minor' }, 'site[0]:id', 'no profile alarm "ups1.on-batt" to override'],
  ])('reports %s', (_, rule, where, message) => {
    const { problems } = resolve([rule]);
    expect(problems).toEqual([expect.objectContaining({ where, message: expect.stringContaining(message) })]);
  });

  it('reports a duplicate site id once and keeps the first', () => {
    const { rules, problems } = resolve([
      { id: 'a', point: 'ups1.mode', equals: 'fault' },
      { id: 'a', point: 'ups1.mode', equals: 'off' },
    ], [device('ups1', []), device('ups2', [])]);
    expect(problems).toEqual([{ where: 'site[1]:id', message: 'duplicate alarm id "a"' }]);
    expect(rules).toHaveLength(1);
  });

  it('blames an override’s own fields on the site file and the rest on the profile', () => {
    const { problems } = resolve([{ id: 'ups1.battery-low', lolo: 40 }]);
    expect(problems).toEqual([{ where: 'site[0]:lolo', message: 'must be below lo (30)' }]);
  });

  it('says a profile rule’s unknown point the same way for every device, so it is listed once', () => {
    const bad = [written('profile', { id: 'x', point: 'on_batery', equals: true })];
    const { problems } = resolve([], [device('ups1', bad), device('ups2', bad)]);
    const message = 'unknown point key "on_batery" (did you mean "on_battery"?)';
    expect(problems).toEqual([
      { where: 'profile:point', message },
      { where: 'profile:point', message },
    ]);
  });

  it('refuses a profile rule with a dotted id or a device', () => {
    const bad = [written('profile', { id: 'a.b', point: 'mode', equals: 'x' }), written('profile', { id: 'c', device: 'ups1', commLossS: 3 })];
    const { problems } = resolve([], [device('ups1', bad)]);
    expect(problems.map((p) => p.where)).toEqual(['profile:id', 'profile:device']);
  });
});

describe('alarm settings', () => {
  it('has defaults', () => {
    expect(alarmSettingsSchema.parse({})).toEqual({ chatterPerMinute: 5, floodPer10Min: 10, maxShelveMinutes: 1440, notify: [] });
  });

  it('parses notification targets with their defaults and keeps secrets hidden', () => {
    const s = alarmSettingsSchema.parse({
      notify: [
        { type: 'webhook', url: 'https://ems.example/hook', headers: { Authorization: 'Bearer abc' }, severities: ['critical'] },
        { type: 'mqtt', url: 'mqtt://broker.local:1883', password: 'pw' },
      ],
    });
    expect(s.notify[0]).toMatchObject({ type: 'webhook', severities: ['critical'], kinds: ['raised', 'returned'], timeoutMs: 5000, retries: 5 });
    expect(JSON.stringify(s.notify[0])).not.toContain('abc');
    expect(s.notify[0]!.type === 'webhook' && s.notify[0]!.headers.Authorization!.reveal()).toBe('Bearer abc');
    expect(s.notify[1]).toMatchObject({ type: 'mqtt', topic: 'facility/{gatewayId}/alarms/{alarmId}', qos: 1, retain: false });
    expect(JSON.stringify(s.notify[1])).not.toContain('pw');
  });

  it.each([
    [{ notify: [{ type: 'webhook', url: 'ftp://x' }] }],
    [{ notify: [{ type: 'mqtt', url: 'http://x' }] }],
    [{ notify: [{ type: 'sms', url: 'http://x' }] }],
    [{ chatterPerMinute: 0 }],
  ])('refuses %j', (input) => {
    expect(alarmSettingsSchema.safeParse(input).success).toBe(false);
  });
});
