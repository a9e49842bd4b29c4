/**
 * value = raw × scale + offset, without binary noise: an integer raw times a scale of d decimals
 * has at most d decimals, so 157 × 0.1 reads 15.7, not 15.700000000000001. Every driver that
 * scales integers from the wire (Modbus registers, SNMP INTEGER/Gauge32) rounds the same way.
 */

/** Decimal places needed to write x exactly (15 at most): 0.1 → 1, 0.25 → 2, 1/3 → 15. */
export function decimalsOf(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return 0;
  let p = 1;
  for (let d = 1; d < 15; d++) {
    p *= 10;
    const y = x * p;
    if (Math.abs(y - Math.round(y)) <= Math.abs(y) * 1e-12) return d;
  }
  return 15;
}

export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export function roundDecimals(x: number, places: number): number {
  if (places <= 0) return roundHalfAway(x);
  const p = 10 ** places;
  const y = x * p;
  // Beyond 2^52 the scaled value has no fraction bits left: the decimal is not representable and
  // the product is already as close as a double gets, so leave it alone.
  if (Math.abs(y) >= 4503599627370496) return x;
  return roundHalfAway(y) / p;
}

export function roundSignificant(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}

/** An integer raw scaled: rounded to the decimals the scale, extra places and offset allow. */
export function scaleInteger(raw: number, scale: number | undefined, offset: number | undefined, extraPlaces = 0): number {
  let value = raw;
  if (scale !== undefined) value *= scale;
  if (offset !== undefined) value += offset;
  const places = Math.max(decimalsOf(scale ?? 1) + extraPlaces, decimalsOf(offset ?? 0));
  return roundDecimals(value, Math.min(places, 15));
}
