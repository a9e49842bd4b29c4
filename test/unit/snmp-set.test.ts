/** SNMP SET varbinds (issue 14): each syntax, the read mapping in reverse, and what is refused before sending. */
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { SNMP_TAG } from '../../drivers/snmp/codec.js';
import type { SnmpPoint } from '../../drivers/snmp/point.js';
import { SetRefusal, setVarbind } from '../../drivers/snmp/set.js';

const OID = '1.3.6.1.4.1.99999.5.0';
const p = (extra: Partial<SnmpPoint> = {}): SnmpPoint => ({ id: 'd.x', key: 'x', name: 'x', oid: OID, ...extra });

function refusal(point: SnmpPoint, tag: number, value: string | number | boolean): SetRefusal {
  try {
    setVarbind(point, tag, value);
  } catch (err) {
    expect(err).toBeInstanceOf(SetRefusal);
    return err as SetRefusal;
  }
  throw new Error('not refused');
}

describe('snmp set varbinds', () => {
  it('sends numbers with their syntax, scale and offset undone and rounded half away from zero', () => {
    expect(setVarbind(p(), SNMP_TAG.Integer, -42)).toEqual({ oid: OID, type: SNMP_TAG.Integer, value: -42 });
    expect(setVarbind(p({ scale: 0.1 }), SNMP_TAG.Gauge32, 23.45)).toEqual({ oid: OID, type: SNMP_TAG.Gauge32, value: 235 });
    expect(setVarbind(p({ scale: 0.01 }), SNMP_TAG.TimeTicks, 60)).toEqual({ oid: OID, type: SNMP_TAG.TimeTicks, value: 6000 });
    expect(setVarbind(p({ scale: 2, offset: -1 }), SNMP_TAG.Integer, -6)).toEqual({ oid: OID, type: SNMP_TAG.Integer, value: -3 });
    expect(setVarbind(p({ scale: 0.1 }), SNMP_TAG.Integer, -23.45).value).toBe(-235);
    expect(setVarbind(p(), SNMP_TAG.Gauge32, 4294967295).value).toBe(4294967295);
    expect(setVarbind(p(), SNMP_TAG.Integer, 2.5).value).toBe(3);
  });

  it('refuses numbers outside the syntax and values that are no numbers', () => {
    expect(refusal(p(), SNMP_TAG.Gauge32, -1).reason).toBe('wrongValue');
    expect(refusal(p(), SNMP_TAG.Integer, 2 ** 31).reason).toBe('wrongValue');
    expect(refusal(p(), SNMP_TAG.TimeTicks, 2 ** 32).reason).toBe('wrongValue');
    expect(refusal(p(), SNMP_TAG.Integer, 'ten').reason).toBe('wrongType');
    expect(refusal(p(), SNMP_TAG.Integer, true).reason).toBe('wrongType');
  });

  it('sends enum labels and booleans as their raw INTEGER', () => {
    const e = p({ enum: { '1': 'on', '2': 'off' } });
    expect(setVarbind(e, SNMP_TAG.Integer, 'off').value).toBe(2);
    expect(setVarbind(e, SNMP_TAG.Integer, 1).value).toBe(1);
    expect(refusal(e, SNMP_TAG.Integer, 'dim').reason).toBe('wrongValue');
    const b = p({ trueValues: [3, 4], falseValue: 1 });
    expect(setVarbind(b, SNMP_TAG.Integer, true).value).toBe(3);
    expect(setVarbind(b, SNMP_TAG.Integer, false).value).toBe(1);
    const noFalse = refusal(p({ trueValues: [3] }), SNMP_TAG.Integer, false);
    expect(noFalse.reason).toBe('config');
    expect(noFalse.message).toMatch(/falseValue/);
    expect(setVarbind(p({ trueValues: [3] }), SNMP_TAG.Integer, true).value).toBe(3);
  });

  it('sends text as UTF-8 OctetString, checks IpAddress and OID text', () => {
    expect(setVarbind(p(), SNMP_TAG.OctetString, '관리자')).toEqual({ oid: OID, type: SNMP_TAG.OctetString, value: Buffer.from('관리자') });
    expect(setVarbind(p(), SNMP_TAG.IpAddress, '10.0.0.23').value).toBe('10.0.0.23');
    expect(refusal(p(), SNMP_TAG.IpAddress, '10.0.0.256').reason).toBe('wrongValue');
    expect(setVarbind(p(), SNMP_TAG.OID, '1.3.6.1.4.1.318').value).toBe('1.3.6.1.4.1.318');
    expect(refusal(p(), SNMP_TAG.OID, 'iso.3').reason).toBe('wrongValue');
  });

  it('refuses counters, single bits and number maps on text objects', () => {
    expect(refusal(p(), SNMP_TAG.Counter32, 1).reason).toBe('notWritable');
    expect(refusal(p(), SNMP_TAG.Counter64, 1).reason).toBe('notWritable');
    expect(refusal(p({ bit: 3 }), SNMP_TAG.Integer, true).reason).toBe('config');
    expect(refusal(p({ scale: 0.1 }), SNMP_TAG.OctetString, 1).reason).toBe('config');
    expect(refusal(p(), SNMP_TAG.Opaque, 1).reason).toBe('wrongType');
  });
});

describe('snmp falseValue in the config', () => {
  const parse = (point: string) => {
    process.env.SNMP_SET_TEST_COMMUNITY = 'private';
    return parseSiteConfig(
      `gateway: { id: t }
devices:
  - id: ups
    driver: snmp
    connection: { host: 10.0.0.23, community: "\${SNMP_SET_TEST_COMMUNITY}" }
    points:
      - ${point}
`,
      'site.yaml',
      { profilesDirs: [] },
    );
  };

  it('keeps falseValue next to trueValues', () => {
    const { config, problems } = parse('{ key: on, oid: 1.3.6.1.4.1.1.1.0, type: integer, trueValues: [1], falseValue: 2 }');
    expect(problems).toEqual([]);
    const device = config!.devices[0]!;
    expect(device.driver === 'snmp' && device.points[0]).toMatchObject({ trueValues: [1], falseValue: 2 });
  });

  it('refuses falseValue without trueValues or among them', () => {
    expect(parse('{ key: on, oid: 1.3.6.1.4.1.1.1.0, falseValue: 2 }').problems.map((p) => p.message)).toEqual(['only with trueValues']);
    expect(parse('{ key: on, oid: 1.3.6.1.4.1.1.1.0, trueValues: [1, 2], falseValue: 2 }').problems.map((p) => p.message)).toEqual(['is one of trueValues']);
  });
});
