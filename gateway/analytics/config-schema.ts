/**
 * The site file's `analytics:` section (issue 16), and a device profile's, as zod schemas the
 * config loader uses, so a bad entry is a problem with file, line and path like any other. Point
 * patterns are resolved against the site's points (a profile's: against its device's point keys)
 * in specs.ts.
 */
import { z } from 'zod';
import { SEVERITIES } from '../alarms/types.js';
import { ANOMALY_KINDS } from './types.js';

const pattern = () => z.string().min(1).max(200);

const entryShape = {
  /** the points analysed: an id or a pattern (`*` any run of characters); in a profile, point keys */
  points: pattern(),
  /** false: these points get no analytics (in the site file: switches a profile's defaults off) */
  enabled: z.boolean().default(true),
  baseline: z
    .strictObject({
      season: z.array(z.enum(['day', 'week'])).max(2).default(['day', 'week']),
      trainingDays: z.int().min(1).max(90).default(7),
      minTrainingMinutes: z.int().min(5).max(20_160).default(60),
    })
    .prefault({}),
  anomaly: z
    .strictObject({
      sensitivity: z.enum(['low', 'medium', 'high']).default('medium'),
      severity: z.enum(SEVERITIES).default('minor'),
      /** outside the band this long before anomaly.band raises */
      onDelayS: z.int().min(0).max(86_400).default(300),
      kinds: z.array(z.enum(ANOMALY_KINDS)).min(1).default([...ANOMALY_KINDS]),
    })
    .optional(),
  forecast: z
    .strictObject({
      horizonMin: z.int().min(5).max(1440).default(60),
      /** the trend is fitted over this much of the recent samples: shorter sees a new ramp sooner, longer is steadier */
      windowMin: z.int().min(2).max(120).default(10),
      severity: z.enum(SEVERITIES).default('warning'),
    })
    .optional(),
  /**
   * A UPS's runtime point: the runtime projected under the trend of the UPS's load (model/battery.ts),
   * and the battery.runtime pre-alarm while that projection is below the minimum but the UPS's own
   * figure is not yet.
   */
  battery: z
    .strictObject({
      /** the key of the UPS's load point on the same device (output_load, output_power) */
      load: z.string().min(1).max(100),
      /** the pre-alarm's minimum; absent: the runtime point's LO limit (none: the projection only) */
      minRuntimeMin: z.number().positive().max(10_000).optional(),
      /** minutes of load samples the trend is fitted over */
      windowMin: z.int().min(2).max(120).default(10),
      severity: z.enum(SEVERITIES).default('warning'),
    })
    .optional(),
};

export const analyticsEntrySchema = z.strictObject({
  ...entryShape,
  /** identical units to compare with (a pattern; the point itself is left out) */
  peers: pattern().optional(),
});

/**
 * A profile's entry: the same, over its device's point keys, without peers (which units are
 * identical is the site's business, so the site file names them).
 */
export const profileAnalyticsEntrySchema = z.strictObject(entryShape);

export const analyticsSchema = z.array(analyticsEntrySchema).default([]);

export type AnalyticsEntry = z.output<typeof analyticsEntrySchema>;
export type ProfileAnalyticsEntry = z.output<typeof profileAnalyticsEntrySchema>;
