/**
 * Points the database holds history for but the config no longer has (a renamed or removed device):
 * their readings are still there, so the API and the trend page keep them readable, marked retired,
 * instead of answering 404 for data that exists.
 */
import type { PointInfo } from '../gateway/catalog.js';
import type { DashboardDeps } from './deps.js';

type Lookup = Pick<DashboardDeps, 'catalog' | 'store'>;

function retiredInfo(id: string): PointInfo {
  const dot = id.indexOf('.');
  const deviceId = dot < 0 ? id : id.slice(0, dot);
  const key = dot < 0 ? id : id.slice(dot + 1);
  // The config that named it is gone: its id is the only name left.
  return { id, deviceId, key, name: id, unit: null, retired: true };
}

/** A configured point, or a retired one with stored history; undefined when neither. */
export function lookupPoint(deps: Lookup, id: string): PointInfo | undefined {
  const configured = deps.catalog.point(id);
  if (configured) return configured;
  return deps.store.storedPoints().includes(id) ? retiredInfo(id) : undefined;
}

/** Every retired point, sorted by id. */
export function retiredPoints(deps: Lookup): PointInfo[] {
  return deps.store
    .storedPoints()
    .filter((id) => !deps.catalog.point(id))
    .sort()
    .map(retiredInfo);
}
