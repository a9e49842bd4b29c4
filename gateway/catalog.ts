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
  for (const d of devices) {
    deviceInfos.push({
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
    });
    for (const p of d.points) {
      const info: PointInfo = { id: p.id, deviceId: d.id, key: p.key, name: p.name, unit: p.unit ?? null };
      if (p.write) info.write = p.write;
      pointInfos.push(info);
    }
  }
  const byDevice = new Map(deviceInfos.map((d) => [d.id, d]));
  const byPoint = new Map(pointInfos.map((p) => [p.id, p]));
  return {
    devices: deviceInfos,
    points: pointInfos,
    device: (id) => byDevice.get(id),
    point: (id) => byPoint.get(id),
  };
}
