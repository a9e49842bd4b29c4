/**
 * The site file's `analytics:` section (issue 16), as zod schemas the config loader uses, so a bad
 * entry is a problem with file, line and path like any other. Point patterns are resolved against
 * the site's points in specs.ts.
 */
import { z } from 'zod';
import { SEVERITIES } from '../alarms/types.js';
import { ANOMALY_KINDS } from './types.js';

const pattern = () => z.string().min(1).max(200);

export const analyticsEntrySchema = z.strictObject({
  /** the points analysed: an id or a pattern (`*` any run of characters) */
  points: pattern(),
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
  /** identical units to compare with (a pattern; the point itself is left out) */
  peers: pattern().optional(),
});

export const analyticsSchema = z.array(analyticsEntrySchema).default([]);

export type AnalyticsEntry = z.output<typeof analyticsEntrySchema>;
