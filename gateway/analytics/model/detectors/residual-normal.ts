/**
 * What a point's quarter-hour residuals look like when nothing is wrong: their standing offset
 * (bias) and their spread, learnt from the residuals themselves. The drift check judges a quarter
 * in units of this spread, not of the minute scale the baseline measured: how much a quarter-hour
 * mean moves depends on how correlated the minutes are, and that differs from point to point
 * (white sensor noise averages out over 15 minutes to a quarter of a scale; a room's slow wander
 * of an hour or more does not average out at all).
 */

/**
 * Before anything is learnt the spread is taken as 1 scale: a quarter-hour mean of minutes never
 * spreads more than the minutes themselves, so the prior is the cautious end. It weighs as much
 * as this many quarters (two hours), then the data takes over.
 */
const PRIOR_QUARTERS = 8;
/** once learnt, the estimates follow a day of quarters (an EWMA): a change of season or setpoint is followed within days */
const MEMORY_QUARTERS = 96;
/**
 * Only quarters within this many spreads teach: a drift under way must not teach that it is
 * normal. The squares of a normal residual cut at ±2 spreads average 0.774 of its variance, so
 * the learnt variance is divided by that to stay unbiased.
 */
const LEARN_WITHIN = 2;
const TRUNCATED_VARIANCE = 0.774;
/** 15 independent minutes of 1 scale each: residuals are never less correlated than that */
const SPREAD_FLOOR = 1 / Math.sqrt(15);

export interface ResidualNormal {
  /** the standing offset, in scales */
  readonly bias: number;
  /** the spread of a quarter's residual around the bias, in scales (never below 1/√15) */
  readonly spread: number;
  /** learns from one quarter's mean residual when it looks normal (within ±2 spreads of the bias) */
  learn(residual: number): void;
  reset(): void;
}

export function createResidualNormal(): ResidualNormal {
  return new LearntNormal();
}

/** A class, not closures: every point's drift check holds one. */
class LearntNormal implements ResidualNormal {
  bias = 0;
  private variance = 1;
  private learnt = 0;

  get spread(): number {
    return Math.max(SPREAD_FLOOR, Math.sqrt(this.variance));
  }

  learn(residual: number): void {
    const deviation = residual - this.bias;
    if (Math.abs(deviation) > LEARN_WITHIN * this.spread) return;
    this.learnt++;
    const alpha = Math.max(1 / MEMORY_QUARTERS, 1 / (PRIOR_QUARTERS + this.learnt));
    this.bias += alpha * deviation;
    this.variance += alpha * ((deviation * deviation) / TRUNCATED_VARIANCE - this.variance);
  }

  reset(): void {
    this.bias = 0;
    this.variance = 1;
    this.learnt = 0;
  }
}
