/**
 * Any device without a dedicated model (custom profiles, generated benchmark devices): every
 * numeric point follows its own slow sine wave, booleans stay false, strings show the device name.
 */
import type { ModbusPoint } from '../../point.js';
import { isBitTable } from '../../point.js';
import type { DeviceModel, ModelContext, PointValues } from './types.js';

type Source = (nowMs: number) => number | boolean | string;

export function createGenericModel({ device, rng }: ModelContext): DeviceModel {
  const sources = new Map<string, Source>();
  for (const point of device.points) sources.set(point.key, sourceFor(point, device.name, rng.next(), rng.next()));
  return {
    update(nowMs) {
      const values: PointValues = {};
      for (const [key, source] of sources) values[key] = source(nowMs);
      return values;
    },
  };
}

function sourceFor(point: ModbusPoint, name: string, r1: number, r2: number): Source {
  if (isBitTable(point.table) || point.bit !== undefined || point.type === 'bool') return () => false;
  if (point.type === 'string') {
    const text = name.slice(0, point.length ?? 0);
    return () => text;
  }
  if (point.enum) {
    const first = Object.keys(point.enum).sort((a, b) => Number(a) - Number(b))[0];
    const label = first === undefined ? '' : point.enum[first]!;
    return () => label;
  }
  const periodMs = 60_000 + r1 * 240_000;
  const phase = r2 * 2 * Math.PI;
  const float = point.type === 'float32' || point.type === 'float64';
  // chosen in raw units so every integer type (even int16 with ×0.01 scaling) can hold it
  const mid = float && point.scale === undefined ? 50 : 500;
  const amplitude = mid / 2;
  const factor = (point.scale ?? 1) / 2 ** (point.binaryPoint ?? 0);
  const offset = point.offset ?? 0;
  return (nowMs) => {
    const raw = mid + amplitude * Math.sin((2 * Math.PI * nowMs) / periodMs + phase);
    return raw * factor + offset;
  };
}
