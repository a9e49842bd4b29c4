/** What the API and pages know about each device and point, derived once from the config. */
import type { DeviceKind, LoadedDevice } from '../core/device.js';
import type { WriteSpec } from '../core/write-spec.js';

export interface PointInfo {
  id: string;
  deviceId: string;
  key: string;
  name: string;
  unit: string | null;
  /** no longer in the config (its device was renamed or removed); its stored history stays readable */
  retired?: boolean;
  /** its write limits, when the point may be written (issue 14) */
  write?: WriteSpec;
}

export interface DeviceInfo {
  id: string;
  name: string;
  kind: DeviceKind;
  location: string | null;
  driver: string;
  profile: string | null;
  /** the profile's vendor and model (header fields), when it names them */
  vendor: string | null;
  model: string | null;
  pollIntervalMs: number;
  pointIds: string[];
}

export interface Catalog {
  devices: DeviceInfo[];
  points: PointInfo[];
  device(id: string): DeviceInfo | undefined;
  point(id: string): PointInfo | undefined;
}

export function createCatalog(devices: readonly LoadedDevice[]): Catalog {
  const deviceInfos: DeviceInfo[] = [];
  const pointInfos: PointInfo[] = [];
  const byDevice = new Map<string, { info: DeviceInfo; sorted: PointInfo[] }>();
  /** points whose id is not `<device>.<key>` (the loader never makes one; a hand-made device might) */
  const odd = new Map<string, PointInfo>();
  for (const d of devices) {
    const info: DeviceInfo = {
      id: d.id,
      name: d.name,
      kind: d.kind,
      location: d.location ?? null,
      driver: d.driver,
      profile: d.profile ?? null,
      vendor: d.vendor ?? null,
      model: d.model ?? null,
      pollIntervalMs: d.pollIntervalMs,
      pointIds: d.points.map((p) => p.id),
    };
    deviceInfos.push(info);
    const prefix = `${d.id}.`;
    const own: PointInfo[] = [];
    for (const p of d.points) {
      const point: PointInfo = { id: p.id, deviceId: d.id, key: p.key, name: p.name, unit: p.unit ?? null };
      if (p.write) point.write = p.write;
      pointInfos.push(point);
      if (p.id.startsWith(prefix) && d.id.indexOf('.') < 0) own.push(point);
      else odd.set(p.id, point);
    }
    // two devices of one id (the loader refuses them): the last one's info, both one's points
    const earlier = byDevice.get(d.id);
    if (earlier) for (const p of earlier.sorted) odd.set(p.id, p);
    byDevice.set(d.id, { info, sorted: own.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) });
  }
  return {
    devices: deviceInfos,
    points: pointInfos,
    device: (id) => byDevice.get(id)?.info,
    point(id) {
      const dot = id.indexOf('.');
      const sorted = dot > 0 ? byDevice.get(id.slice(0, dot))?.sorted : undefined;
      return (sorted && search(sorted, id)) ?? odd.get(id);
    },
  };
}

/**
 * A point by id, found in its device's points sorted by id: no id → point Map over the whole site
 * (10 000 entries were ~0.5 MB of live heap), and a device has tens of points, rarely thousands.
 */
function search(sorted: readonly PointInfo[], id: string): PointInfo | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = sorted[mid]!;
    if (p.id === id) return p;
    if (p.id < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
