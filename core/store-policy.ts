/**
 * How one point is stored (a point's `store:`, report-by-exception): shared by the config that
 * reads it and the store that applies it (gateway/store/report-by-exception.ts).
 */

/** Exactly one of deadband / deadbandPct. */
export interface StorePolicy {
  /** absolute: stored once |value − last stored| > deadband (engineering units) */
  deadband?: number;
  /** relative: stored once |value − last stored| > |last stored| × deadbandPct / 100 */
  deadbandPct?: number;
  /** a reading is stored at least this often (seconds, by sample timestamps) while the point reports */
  heartbeatS: number;
}
