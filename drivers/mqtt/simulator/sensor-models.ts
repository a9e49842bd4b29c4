/**
 * Values for simulated environmental sensors, picked from a point's key: rack inlet temperature
 * and humidity, leak ropes, door contacts; anything else drifts gently. Scenario `hot-spot`:
 * the hot racks' inlet air climbs ~0.6 °C a minute toward 38 °C (a blocked floor tile, a failed
 * blanking panel): slow enough for a forecast to see HI 27 °C coming minutes ahead; it falls back
 * when it ends. Loss of cooling: while no cooling unit at the
 * sensor's location cools (a tripped duty CRAC, its standby not started yet; see
 * core/site-cooling.ts), every rack inlet there warms ~3 °C a minute toward 12 °C above normal,
 * and falls back once a unit cools again.
 */

export type ScenarioState = Readonly<Record<string, boolean>>;

export interface SensorModel {
  /** the value at time `now` (ms) */
  next(now: number, scenarios: ScenarioState): number | boolean | string;
}

export interface ModelContext {
  key: string;
  type: 'number' | 'boolean' | 'string';
  /** this sensor is one of the racks the hot-spot scenario heats */
  hot: boolean;
  random: () => number;
  /** whether the sensor's location is cooled now (undefined: its cooling is not simulated) */
  cooled?: () => boolean | undefined;
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

function approach(current: number, target: number, perSecond: number, dtS: number): number {
  const step = perSecond * dtS;
  return Math.abs(target - current) <= step ? target : current + Math.sign(target - current) * step;
}

/** how fast (°C/s) a hot spot's inlet air climbs */
const HOT_SPOT_RATE = 0.01;
/** how far above normal a rack's inlet air climbs without cooling, and how fast (°C/s) */
const NO_COOLING_RISE = 12;
const NO_COOLING_RATE = 0.05;

function temperature({ hot, random, cooled }: ModelContext): SensorModel {
  const base = 22 + random() * 3;
  let value = base;
  let last: number | undefined;
  return {
    next(now, scenarios) {
      const dtS = last === undefined ? 0 : Math.min(60, (now - last) / 1000);
      last = now;
      const hotSpot = hot && scenarios['hot-spot'];
      const uncooled = cooled?.() === false;
      const target = hotSpot ? 38 : uncooled ? base + NO_COOLING_RISE : base;
      // a hall without cooling warms faster than a hot spot; recovery is faster than either
      value = approach(value, target, target > value ? (hotSpot ? HOT_SPOT_RATE : NO_COOLING_RATE) : 0.08, dtS);
      return round(value + (random() - 0.5) * 0.2, 2);
    },
  };
}

function humidity({ random }: ModelContext): SensorModel {
  let value = 40 + random() * 10;
  return {
    next(_now, scenarios) {
      value = Math.min(60, Math.max(30, value + (random() - 0.5) * 0.5));
      // warmer air holds the same water at a lower relative humidity
      return round(scenarios['hot-spot'] ? value - 8 : value, 1);
    },
  };
}

function door({ random }: ModelContext): SensorModel {
  let openUntil = 0;
  return {
    next(now) {
      // someone walks in about every ten minutes and leaves it open for ~20 s
      if (now >= openUntil && random() < 0.002) openUntil = now + 20_000;
      return now < openUntil;
    },
  };
}

function drift({ random }: ModelContext): SensorModel {
  let value = 50 + random() * 10;
  return {
    next() {
      value += (random() - 0.5) * 0.5;
      return round(value, 2);
    },
  };
}

export function createSensorModel(ctx: ModelContext): SensorModel {
  const key = ctx.key.toLowerCase();
  if (ctx.type === 'boolean') {
    if (/door|open|contact/.test(key)) return door(ctx);
    // leak ropes, smoke: quiet unless something happens
    return { next: () => false };
  }
  if (ctx.type === 'string') return { next: () => 'ok' };
  if (/temp/.test(key)) return temperature(ctx);
  if (/hum|rh/.test(key)) return humidity(ctx);
  return drift(ctx);
}
