/**
 * Values for points no dedicated model knows (other kinds, or keys beyond a model's): numbers
 * follow their own slow sine wave (chosen in raw units so any integer syntax holds them), counters
 * count up, booleans stay false, enums show their first label, text shows the point's name.
 */
import type { SnmpPoint } from '../../point.js';
import type { DeviceModel, ModelContext, PointValues } from './types.js';

type Source = (nowMs: number) => number | boolean | string;

export function createGenericModel({ device, rng }: ModelContext): DeviceModel {
  const sources = new Map<string, Source>();
  for (const point of device.points) sources.set(point.key, sourceFor(point, rng.next(), rng.next()));
  return {
    update(nowMs) {
      const values: PointValues = {};
      for (const [key, source] of sources) values[key] = source(nowMs);
      return values;
    },
  };
}

function sourceFor(point: SnmpPoint, r1: number, r2: number): Source {
  if (point.trueValues !== undefined || point.bit !== undefined) return () => false;
  if (point.enum) {
    const first = Object.keys(point.enum).sort((a, b) => Number(a) - Number(b))[0];
    const label = first === undefined ? '' : point.enum[first]!;
    return () => label;
  }
  if (point.type === 'string') return () => point.name;
  if (point.type === 'ipaddress') return () => '192.0.2.1';
  if (point.type === 'oid') return () => '0.0';
  const scale = point.scale ?? 1;
  const offset = point.offset ?? 0;
  if (point.type === 'counter' || point.type === 'counter64' || point.type === 'timeticks') {
    // counts from a start that differs per point; the rate is what `rate: true` points show
    const perSecond = point.type === 'timeticks' ? 100 : 1 + Math.round(r1 * 99);
    const start = Math.round(r2 * 1e6);
    return (nowMs) => (start + Math.floor((nowMs / 1000) * perSecond)) * scale + offset;
  }
  const periodMs = 60_000 + r1 * 240_000;
  const phase = r2 * 2 * Math.PI;
  return (nowMs) => (500 + 250 * Math.sin((2 * Math.PI * nowMs) / periodMs + phase)) * scale + offset;
}
