/**
 * Which simulated cooling units are cooling, by location, shared by every driver's simulator of
 * one `gateway simulate` process (the CRACs are Modbus, the rack sensors MQTT): the CRAC models
 * report each tick, the rack inlet sensors read. A location is a device's `location` field
 * ("Hall A"), so a rack row and the CRACs that share it need no other link. Demo physics only: a
 * location is cooled while at least one of its units cools, whatever their capacity.
 */
export interface SiteCooling {
  /** a cooling unit's state now (compressor running and healthy, or not) */
  report(unitId: string, location: string, cooling: boolean): void;
  /**
   * true while at least one unit at `location` cools; undefined when no unit reported there (the
   * location's cooling is not simulated, so its sensors stay as they are)
   */
  cooled(location: string): boolean | undefined;
}

export function createSiteCooling(): SiteCooling {
  const units = new Map<string, Map<string, boolean>>();
  return {
    report(unitId, location, cooling) {
      let at = units.get(location);
      if (!at) {
        at = new Map();
        units.set(location, at);
      }
      at.set(unitId, cooling);
    },
    cooled(location) {
      const at = units.get(location);
      if (!at || at.size === 0) return undefined;
      return [...at.values()].some(Boolean);
    },
  };
}
