/**
 * What a driver contributes to the config loader: the YAML shape of its devices, profiles and
 * points, and the step that turns a device's merged points into its typed config. The loader does
 * the rest (files, lines, profiles, merging, ids) the same way for every driver.
 *
 * Problems are reported against an opaque location `W`, so a driver's config code knows nothing of
 * files and lines. Keep these modules zod-only: the registry imports every one of them, and a
 * heavy protocol library must load only when a device of its driver is configured.
 */
import type { z } from 'zod';
import type { CommonDeviceFields, LoadedDevice } from './device.js';

export type { CommonDeviceFields, LoadedDevice };

/** Every driver's point, as written, has a key and may be `disabled` (to drop a profile point). */
export interface PointInputBase {
  key: string;
  disabled?: boolean;
}

/** One merged point (profile point with the device's overrides) and where its problems go. */
export interface PointSource<W, I extends PointInputBase = PointInputBase> {
  input: I;
  /** 'device' when the site file wrote or overrode it: cross-point problems are blamed on those first */
  origin: 'profile' | 'device';
  /** where a problem with `field` (or with the point as a whole) is reported */
  where(field?: string, key?: string): W;
}

export interface Located<W> {
  where: W;
  message: string;
}

export interface BuildInput<W> {
  common: CommonDeviceFields;
  /** the driver's own device fields (deviceShape); undefined when they had problems */
  fields?: Record<string, unknown>;
  /** the profile's own header fields (profileShape), when the device uses a profile */
  profile?: Record<string, unknown>;
  points: PointSource<W>[];
  /** where a problem with one of the device's own fields is reported */
  at(field: string): W;
  /**
   * keys the device's `points:` disable (`disabled: true`). The loader already dropped them from
   * `points`; a driver that makes points of its own (SNMP tables) drops them too.
   */
  disabledKeys?: readonly string[];
}


export interface DriverConfigPlugin<D extends LoadedDevice = LoadedDevice> {
  /** device fields beyond the common ones */
  deviceShape: z.ZodRawShape;
  /** header fields a profile of this driver may set (defaults for its devices) */
  profileShape: z.ZodRawShape;
  /** one point as written in a device or a profile (every field but key optional: overrides) */
  pointSchema: z.ZodType<PointInputBase>;
  /**
   * Resolves merged points and device fields into the typed device; returns problems for what no
   * single field shows. Also called for a profile on its own (`fields` undefined, `common.id` the
   * profile name) so a profile's problems are reported in its own file; `device` is then ignored.
   */
  build<W>(input: BuildInput<W>): { device?: D; problems: Located<W>[] };
}
