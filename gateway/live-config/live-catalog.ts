/**
 * A catalog (gateway/catalog.ts) whose devices and points follow live config changes. Everything
 * built at start (the page, the API, sync's series info, the alarm names) keeps the one object it
 * was given and sees the new devices through it.
 */
import type { LoadedDevice } from '../../core/device.js';
import { type Catalog, createCatalog } from '../catalog.js';

export interface LiveCatalog extends Catalog {
  replace(devices: readonly LoadedDevice[]): void;
}

export function createLiveCatalog(devices: readonly LoadedDevice[]): LiveCatalog {
  let current = createCatalog(devices);
  return {
    get devices() {
      return current.devices;
    },
    get points() {
      return current.points;
    },
    device: (id) => current.device(id),
    point: (id) => current.point(id),
    replace(next) {
      current = createCatalog(next);
    },
  };
}
