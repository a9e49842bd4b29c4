/**
 * The incident engine on a real SQLite store with a fake clock: alarm transitions are committed as
 * `alarm.*` events (what the alarm engine writes), readings as samples; the test moves the clock,
 * ticks, and reads the committed `incident.*` events back. Topology is built by hand.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinProfilesDir, parseSiteConfig } from '../../config/index.js';
import { formatProblem } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { createAlarmNotifier } from '../../gateway/alarms/notifier.js';
import type { AlarmEventData, AlarmRecord, Severity } from '../../gateway/alarms/types.js';
import { incidentListSchema } from '../../gateway/incidents/config-schema.js';
import { createIncidentEngine, type IncidentEngine } from '../../gateway/incidents/engine.js';
import type { Store } from '../../gateway/store/types.js';
import { alarmRecord, handTopology } from '../helpers/incident-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const T0 = 1_700_000_000_000;

const rules = (raw: unknown) => incidentListSchema.parse(raw);

const POWER = rules([
  { id: 'site-power-failure', severity: 'critical', message: 'Utility power lost: {count} UPS on battery ({devices})', when: { any: [{ alarm: '*.on-battery' }], min: 2, withinS: 30 } },
]);
const COOLING = rules([
  {
    id: 'cooling-loss-hall-a',
    message: 'Cooling loss Hall A',
    when: { all: [{ alarm: 'crac*.compressor-fault', zone: 'hall-a' }, { point: 'racks-a.*-temperature', risePerMin: 0.5 }], withinS: 120 },
  },
]);

describe('incident engine', () => {
  const temp = createTempStores('gw-incidents-');
  let store: Store;
  let clock: { now: number };
  let seeded: AlarmRecord[];
  const engines: IncidentEngine[] = [];
  beforeEach(() => {
    store = temp.open(temp.file());
    clock = { now: T0 };
    seeded = [];
  });
  afterEach(() => {
    for (const e of engines.splice(0)) e.stop();
    temp.cleanup();
  });

  function engine(r = POWER, extra: { symptoms?: boolean; hold?: Severity[] } = {}): IncidentEngine {
    const e = createIncidentEngine({
      rules: r,
      correlation: { symptoms: extra.symptoms ?? true, holdNotifications: extra.hold ?? ['warning', 'minor', 'major'] },
      store,
      alarms: { list: () => seeded },
      topology: handTopology(),
      logger: silentLogger,
      now: () => clock.now,
      tickMs: 0,
    });
    e.start();
    engines.push(e);
    return e;
  }
  const alarm = (id: string, active: boolean, severity: Severity = 'major') => {
    const record = alarmRecord(id, severity, active, clock.now);
    const data: AlarmEventData = { ...record, alarmId: id, transition: active ? 'raised' : 'returned', from: active ? 'normal' : 'unack', who: null, comment: null };
    store.appendEvent(`alarm.${data.transition}`, data as unknown as Record<string, unknown>, clock.now);
    store.flush();
  };
  const feed = (values: Record<string, number>) => {
    store.append(Object.entries(values).map(([pointId, value]) => ({ pointId, ts: clock.now, value, quality: 'good' as const })));
    store.flush();
  };
  const advance = (ms: number, e: IncidentEngine) => {
    clock.now += ms;
    e.tick();
    store.flush();
  };
  const incidentEvents = () => {
    store.flush();
    return store.eventsAfter(0, 10_000).filter((e) => e.type.startsWith('incident.'));
  };

  it.each([
    { name: 'one UPS on battery is not enough (min 2)', steps: [['ups1.on-battery', true]] as const, raised: false },
    { name: 'two UPS on battery raise it', steps: [['ups1.on-battery', true], ['ups2.on-battery', true]] as const, raised: true },
    { name: 'other alarms do not count', steps: [['ups1.on-battery', true], ['ups2.battery-low', true]] as const, raised: false },
    { name: 'a UPS that returned more than 30 s before the second raise does not count', steps: [['ups1.on-battery', true], ['ups1.on-battery', false], ['wait', 31_000], ['ups2.on-battery', true]] as const, raised: false },
    { name: 'a UPS that returned 10 s before the second raise still counts (window)', steps: [['ups1.on-battery', true], ['ups1.on-battery', false], ['wait', 10_000], ['ups2.on-battery', true]] as const, raised: true },
  ])('any/min/withinS: $name', ({ steps, raised }) => {
    const e = engine();
    for (const [what, v] of steps) {
      if (what === 'wait') advance(v as number, e);
      else alarm(what, v as boolean);
    }
    expect(e.get('site-power-failure')!.state).toBe(raised ? 'unack' : 'normal');
    expect(incidentEvents().filter((x) => x.type === 'incident.raised')).toHaveLength(raised ? 1 : 0);
  });

  it('counts an alarm raised and returned within one commit (a glitch shorter than the commit interval)', () => {
    engine(); // listening to the store from here on
    const append = (id: string, active: boolean) => {
      const record = alarmRecord(id, 'major', active, clock.now);
      const data: AlarmEventData = { ...record, alarmId: id, transition: active ? 'raised' : 'returned', from: active ? 'normal' : 'unack', who: null, comment: null };
      store.appendEvent(`alarm.${data.transition}`, data as unknown as Record<string, unknown>, clock.now);
    };
    append('ups1.on-battery', true);
    append('ups1.on-battery', false);
    append('ups2.on-battery', true);
    append('ups2.on-battery', false);
    store.flush();
    expect(incidentEvents().filter((x) => x.type === 'incident.raised')).toHaveLength(1);
  });

  it('raises once with the message filled, members joining later, returns when it no longer holds, acks once', () => {
    const e = engine();
    alarm('ups1.on-battery', true);
    alarm('ups2.on-battery', true);
    const raised = e.get('site-power-failure')!;
    expect(raised).toMatchObject({ severity: 'critical', state: 'unack', active: true, message: 'Utility power lost: 2 UPS on battery (ups1, ups2)', raisedAt: T0 });
    expect(raised.members).toEqual(['ups1.on-battery', 'ups2.on-battery']);
    alarm('ups3.on-battery', true);
    expect(e.get('site-power-failure')!.members).toEqual(['ups1.on-battery', 'ups2.on-battery', 'ups3.on-battery']);
    expect(e.ack('site-power-failure', 'olivia')).toMatchObject({ state: 'acked', ackedBy: 'olivia' });
    // a second ack changes nothing and writes nothing
    expect(e.ack('site-power-failure', 'olivia')!.state).toBe('acked');
    expect(e.ack('nope', 'olivia')).toBeUndefined();
    clock.now += 1000;
    alarm('ups1.on-battery', false);
    alarm('ups2.on-battery', false);
    alarm('ups3.on-battery', false);
    // still within the window: the matches count for 30 s after they were last true
    advance(29_000, e);
    expect(e.get('site-power-failure')!.active).toBe(true);
    advance(2000, e);
    expect(e.get('site-power-failure')).toMatchObject({ state: 'normal', active: false, returnedAt: T0 + 32_000 });
    expect(incidentEvents().map((x) => x.type)).toEqual(['incident.raised', 'incident.acked', 'incident.returned']);
    const last = incidentEvents().at(-1)!.data;
    expect(last).toMatchObject({ incidentId: 'site-power-failure', transition: 'returned', state: 'normal' });
  });

  it('an active alarm counts however long it lasts; one that stops matching (its severity changed) counts for the window after', () => {
    const e = engine(rules([{ id: 'critical-battery', severity: 'critical', when: { any: [{ alarm: '*.on-battery', severity: ['critical'] }], min: 2, withinS: 30 } }]));
    alarm('ups1.on-battery', true, 'critical');
    alarm('ups2.on-battery', true, 'critical');
    expect(e.get('critical-battery')!.active).toBe(true);
    // ten minutes of ticks, far beyond the 30 s window: both are still active and matching
    for (let i = 0; i < 60; i++) advance(10_000, e);
    expect(e.get('critical-battery')!.active).toBe(true);
    // ups1 is re-rated major while still active: it no longer matches, but counts 30 s more
    alarm('ups1.on-battery', true, 'major');
    advance(29_000, e);
    expect(e.get('critical-battery')!.active).toBe(true);
    advance(2000, e);
    expect(e.get('critical-battery')).toMatchObject({ state: 'rtn-unack', active: false });
    // critical again: it matches again, the incident holds and is raised again with both members
    alarm('ups1.on-battery', true, 'critical');
    expect(e.get('critical-battery')).toMatchObject({ state: 'unack', active: true, members: ['ups1.on-battery', 'ups2.on-battery'] });
    expect(incidentEvents().map((x) => x.type)).toEqual(['incident.raised', 'incident.returned', 'incident.raised']);
  });

  it('all: a compressor fault in the zone and a rising rack temperature, within the window', () => {
    const e = engine(COOLING);
    for (let i = 0; i <= 6; i++) {
      feed({ 'racks-a.a01-temperature': 24, 'racks-a.a02-temperature': 25 });
      advance(10_000, e);
    }
    alarm('crac1.compressor-fault', true, 'critical');
    // the alarm alone: temperatures are flat
    expect(e.get('cooling-loss-hall-a')!.state).toBe('normal');
    for (let i = 1; i <= 4; i++) {
      feed({ 'racks-a.a01-temperature': 24 + i * 0.3, 'racks-a.a02-temperature': 25 });
      advance(10_000, e);
    }
    // 1.2 °C over 40 s: 1.8 °C/min
    expect(e.get('cooling-loss-hall-a')).toMatchObject({ state: 'unack', members: ['crac1.compressor-fault'], message: 'Cooling loss Hall A' });
  });

  it('all: a compressor fault outside the zone does not count', () => {
    const e = engine(COOLING);
    alarm('crac9.compressor-fault', true, 'critical');
    for (let i = 0; i <= 6; i++) {
      feed({ 'racks-a.a01-temperature': 24 + i });
      advance(10_000, e);
    }
    expect(e.get('cooling-loss-hall-a')!.state).toBe('normal');
  });

  it('point limits (hi) and falling rates', () => {
    const e = engine(
      rules([
        { id: 'hot', when: { any: [{ point: 'racks-a.*-temperature', hi: 35 }], withinS: 10 } },
        { id: 'drop', when: { any: [{ point: 'ups1.voltage', fallPerMin: 10 }], withinS: 60 } },
      ]),
    );
    feed({ 'racks-a.a01-temperature': 30, 'ups1.voltage': 230 });
    advance(30_000, e);
    expect(e.get('hot')!.state).toBe('normal');
    feed({ 'racks-a.a01-temperature': 36, 'ups1.voltage': 200 });
    // point conditions are judged on the engine's tick (every second), not on each commit
    expect(e.get('hot')!.state).toBe('normal');
    e.tick();
    expect(e.get('hot')!.state).toBe('unack');
    expect(e.get('drop')!.state).toBe('unack');
    feed({ 'racks-a.a01-temperature': 30 });
    advance(11_000, e);
    expect(e.get('hot')!.state).toBe('rtn-unack');
  });

  it('groups symptoms under the nearest upstream active alarm, and releases them when the cause returns', () => {
    const e = engine();
    alarm('pdu-a1.breaker', true, 'minor');
    // nothing upstream in alarm yet
    expect(e.causeOf('pdu-a1.breaker')).toBeUndefined();
    alarm('ups1.on-battery', true);
    alarm('ups2.on-battery', true, 'critical');
    alarm('crac1.comm-loss', true);
    expect(e.causeOf('pdu-a1.breaker')).toBe('ups1.on-battery');
    expect(e.causeOf('crac1.comm-loss')).toBe('ups2.on-battery');
    expect(e.causeOf('ups1.on-battery')).toBeUndefined();
    expect(e.symptoms()).toEqual([
      { alarmId: 'crac1.comm-loss', causeId: 'ups2.on-battery' },
      { alarmId: 'pdu-a1.breaker', causeId: 'ups1.on-battery' },
    ]);
    const raisedEvent = incidentEvents().find((x) => x.type === 'incident.raised')!;
    expect(raisedEvent.data.symptoms).toEqual([{ alarmId: 'pdu-a1.breaker', causeId: 'ups1.on-battery' }]);
    alarm('ups1.on-battery', false);
    expect(e.causeOf('pdu-a1.breaker')).toBeUndefined();
  });

  it('symptoms: false turns the grouping and the hold-back off', () => {
    const e = engine(POWER, { symptoms: false });
    alarm('ups1.on-battery', true);
    alarm('pdu-a1.breaker', true, 'minor');
    expect(e.causeOf('pdu-a1.breaker')).toBeUndefined();
    expect(e.symptoms()).toEqual([]);
    expect(e.isHeld({ id: 'pdu-a1.breaker', severity: 'minor', device: 'pdu-a1' })).toBe(false);
  });

  it.each([
    { severity: 'minor' as Severity, held: true },
    { severity: 'major' as Severity, held: true },
    { severity: 'critical' as Severity, held: false },
  ])('hold-back: a $severity symptom notification is held: $held', async ({ severity, held }) => {
    const e = engine(POWER, { hold: ['warning', 'minor', 'major'] });
    const sent: string[] = [];
    const notifier = createAlarmNotifier({
      targets: [{ type: 'webhook', url: 'http://127.0.0.1:1/x', headers: {}, severities: ['critical', 'major', 'minor', 'warning'], kinds: ['raised', 'returned'], timeoutMs: 100, retries: 0 }],
      gatewayId: 'gw',
      logger: silentLogger,
      isHeld: (a) => e.isHeld(a),
      createSender: () => ({ name: 'fake', send: async (n) => void sent.push(String((n.body as { alarm: AlarmEventData }).alarm.alarmId)), close: async () => {} }),
    });
    const off = store.onCommit((b) => notifier.notify(b.events));
    alarm('ups1.on-battery', true);
    alarm('pdu-a1.breaker', true, severity);
    await notifier.idle();
    expect(sent).toEqual(held ? ['ups1.on-battery'] : ['ups1.on-battery', 'pdu-a1.breaker']);
    expect(notifier.health()[0]!.suppressed).toBe(held ? 1 : 0);
    // the cause gone, a symptom's later notification goes out
    alarm('ups1.on-battery', false);
    alarm('pdu-a1.breaker', false, severity);
    await notifier.idle();
    expect(sent.at(-1)).toBe('pdu-a1.breaker');
    off();
    await notifier.close();
  });

  it('restart: a raised, acknowledged incident is restored from the events, not raised again', () => {
    const file = temp.file();
    store = temp.open(file);
    let e = engine();
    alarm('ups1.on-battery', true);
    alarm('ups2.on-battery', true);
    e.ack('site-power-failure', 'olivia');
    e.stop();
    engines.splice(0);
    store.close();

    store = temp.open(file);
    clock.now += 5000;
    // the alarm engine's active alarms as it restored them
    seeded = [alarmRecord('ups1.on-battery', 'major', true, T0), alarmRecord('ups2.on-battery', 'major', true, T0)];
    e = engine();
    expect(e.get('site-power-failure')).toMatchObject({ state: 'acked', active: true, ackedBy: 'olivia', raisedAt: T0, members: ['ups1.on-battery', 'ups2.on-battery'] });
    advance(60_000, e);
    expect(e.get('site-power-failure')!.state).toBe('acked');
    expect(incidentEvents().map((x) => x.type)).toEqual(['incident.raised', 'incident.acked']);
    // the UPS alarms return: the incident returns
    alarm('ups1.on-battery', false);
    alarm('ups2.on-battery', false);
    advance(31_000, e);
    expect(e.get('site-power-failure')!.state).toBe('normal');
  });

  it('restart: an unacknowledged raised incident whose alarms ended while it was down returns at start', () => {
    const file = temp.file();
    store = temp.open(file);
    let e = engine();
    alarm('ups1.on-battery', true);
    alarm('ups2.on-battery', true);
    e.stop();
    engines.splice(0);
    store.close();
    store = temp.open(file);
    // the alarm engine restored no active alarm: nothing holds the incident any more
    e = engine();
    expect(e.get('site-power-failure')).toMatchObject({ state: 'rtn-unack', raisedAt: T0 });
    advance(1000, e);
    expect(incidentEvents().map((x) => x.type)).toEqual(['incident.raised', 'incident.returned']);
    expect(e.ack('site-power-failure', 'olivia')!.state).toBe('normal');
  });
});

describe('incident rules (config)', () => {
  it.each([
    [{ id: 'x', when: { any: [{ alarm: '*' }], all: [{ alarm: '*' }] } }, 'exactly one of any or all'],
    [{ id: 'x', when: { all: [{ alarm: '*' }], min: 2 } }, 'min goes with any'],
    [{ id: 'x', when: { any: [{ point: 'a.b' }] } }, 'hi, lo, risePerMin or fallPerMin'],
    [{ id: 'x', when: { any: [{ alarm: '*', colour: 'red' }] } }, ''],
    [{ id: 'x', severity: 'huge', when: { any: [{ alarm: '*' }] } }, ''],
  ])('rejects %j', (rule, message) => {
    const result = incidentListSchema.safeParse([rule]);
    expect(result.success).toBe(false);
    if (message) expect(JSON.stringify(result.error?.issues)).toContain(message);
  });

  it('rejects a duplicate id and fills defaults', () => {
    expect(incidentListSchema.safeParse([{ id: 'a', when: { any: [{ alarm: '*' }] } }, { id: 'a', when: { any: [{ alarm: '*' }] } }]).success).toBe(false);
    expect(incidentListSchema.parse([{ id: 'a', when: { any: [{ alarm: '*' }] } }])[0]).toMatchObject({ severity: 'major', when: { withinS: 60 } });
  });
});

describe('incidents in the site file', () => {
  const HEAD = `gateway: { id: t }
devices:
  - { id: ups1, name: UPS 1, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 502 } }
`;
  const check = (text: string) => parseSiteConfig(text, 'site.yaml', { profilesDirs: [builtinProfilesDir()] });

  it('loads the rules and the correlation settings, with defaults', () => {
    const { config, problems } = check(`${HEAD}incidents:\n  - { id: power, when: { any: [ { alarm: "*.on-battery" } ], min: 2, withinS: 30 } }\n`);
    expect(problems).toEqual([]);
    expect(config!.incidents).toEqual([{ id: 'power', severity: 'major', when: { any: [{ alarm: '*.on-battery' }], min: 2, withinS: 30 } }]);
    expect(config!.correlation).toEqual({ symptoms: true, holdNotifications: ['warning', 'minor', 'major'] });
    expect(check(HEAD).config!.incidents).toEqual([]);
  });

  it('reports a bad rule at its file, line and path', () => {
    const text = `${HEAD}incidents:\n  - id: power\n    when: { any: [ { alarm: "*", colour: red } ] }\n  - { id: cool, when: { all: [ { point: "x.y" } ] } }\ncorrelation: { holdNotifications: [loud] }\n`;
    const out = check(text).problems.map(formatProblem);
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^site\.yaml:6 .*incidents\[0\]\.when\.any\[0\]/),
        expect.stringMatching(/^site\.yaml:7 .*incidents\[1\]\.when\.all\[0\]/),
        expect.stringMatching(/^site\.yaml:8 .*correlation\.holdNotifications\[0\]/),
      ]),
    );
  });
});
