/**
 * What the overview shows of each device and which site-wide figures it computes. The figures a
 * facility manager asks for first: UPS load and battery runtime, supply/return/room temperatures,
 * total PDU power. Chosen by point key, the names the built-in profiles use.
 */
import type { DeviceKind } from '../core/device.js';
import type { Catalog, DeviceInfo } from '../gateway/catalog.js';
import type { MessageKey } from './i18n/i18n.js';

const TILE_KEYS: Record<DeviceKind, readonly string[]> = {
  ups: ['output_load', 'runtime_remaining', 'battery_charge', 'mode'],
  hvac: ['supply_temp', 'return_temp', 'humidity', 'unit_status'],
  pdu: ['total_power', 'total_current', 'input_voltage'],
  sensor: ['temperature', 'room_temp', 'humidity', 'leak', 'door_open'],
  meter: ['power', 'total_power', 'energy', 'total_energy'],
  other: [],
};

const MAX_TILE_POINTS = 4;

/** The points shown on a device's overview tile: its kind's key points, else its first few. */
export function tilePoints(device: DeviceInfo, catalog: Catalog): string[] {
  const keys = TILE_KEYS[device.kind] ?? [];
  const byKey = keys.map((k) => `${device.id}.${k}`).filter((id) => catalog.point(id) !== undefined);
  return (byKey.length > 0 ? byKey : device.pointIds).slice(0, MAX_TILE_POINTS);
}

export type Aggregate = 'max' | 'min' | 'sum';

export interface FigureSpec {
  id: string;
  label: MessageKey;
  kind: DeviceKind;
  keys: readonly string[];
  aggregate: Aggregate;
}

export const FIGURES: readonly FigureSpec[] = [
  { id: 'ups-load', label: 'figure.upsLoad', kind: 'ups', keys: ['output_load'], aggregate: 'max' },
  { id: 'ups-runtime', label: 'figure.upsRuntime', kind: 'ups', keys: ['runtime_remaining'], aggregate: 'min' },
  { id: 'supply-temp', label: 'figure.supplyTemp', kind: 'hvac', keys: ['supply_temp'], aggregate: 'max' },
  { id: 'return-temp', label: 'figure.returnTemp', kind: 'hvac', keys: ['return_temp'], aggregate: 'max' },
  { id: 'room-temp', label: 'figure.roomTemp', kind: 'sensor', keys: ['temperature', 'room_temp'], aggregate: 'max' },
  { id: 'pdu-power', label: 'figure.pduPower', kind: 'pdu', keys: ['total_power'], aggregate: 'sum' },
];

export interface Figure {
  spec: FigureSpec;
  pointIds: string[];
  unit: string | null;
}

/** The figures this site has points for. */
export function siteFigures(catalog: Catalog): Figure[] {
  const out: Figure[] = [];
  for (const spec of FIGURES) {
    const pointIds: string[] = [];
    for (const d of catalog.devices) {
      if (d.kind !== spec.kind) continue;
      for (const k of spec.keys) if (catalog.point(`${d.id}.${k}`)) pointIds.push(`${d.id}.${k}`);
    }
    if (pointIds.length > 0) out.push({ spec, pointIds, unit: catalog.point(pointIds[0]!)?.unit ?? null });
  }
  return out;
}

/** The figure's value from the points' latest values (good or uncertain numbers only). */
export function aggregate(kind: Aggregate, values: readonly number[]): number | null {
  if (values.length === 0) return null;
  if (kind === 'sum') return values.reduce((a, b) => a + b, 0);
  return kind === 'max' ? Math.max(...values) : Math.min(...values);
}
