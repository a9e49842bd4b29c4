/**
 * Which points a snapshot freezes: the alarm's own point, every point of its device, and every
 * point of the devices the topology links to it (feeders, what it feeds, its zones' devices).
 * An incident takes the same for each of its member alarms.
 */
import type { Topology } from '../topology/types.js';

export interface Subject {
  point: string | null;
  device: string | null;
}

export interface RelatedLookup {
  /** the configured points of a device (none for an unknown id, e.g. a feed or zone node) */
  devicePoints(deviceId: string): readonly string[];
  topology?: Pick<Topology, 'linkedDevices'>;
}

export interface Related {
  points: string[];
  devices: string[];
}

export function relatedPoints(subjects: readonly Subject[], lookup: RelatedLookup): Related {
  const points = new Set<string>();
  const devices = new Set<string>();
  for (const s of subjects) {
    if (s.point) points.add(s.point);
    if (!s.device) continue;
    devices.add(s.device);
    for (const linked of safeLinked(lookup, s.device)) devices.add(linked);
  }
  for (const d of devices) for (const p of lookup.devicePoints(d)) points.add(p);
  return { points: [...points], devices: [...devices] };
}

function safeLinked(lookup: RelatedLookup, device: string): string[] {
  try {
    return lookup.topology?.linkedDevices(device) ?? [];
  } catch {
    // a device the topology does not know: only its own points
    return [];
  }
}
