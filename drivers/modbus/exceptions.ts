/**
 * Modbus exception responses (the function code with its high bit set, then one exception code)
 * turned into the reasons a sample carries.
 */
import type { KnownReason } from '../../core/types.js';

export const EXCEPTION_GATEWAY_PATH = 0x0a;
export const EXCEPTION_GATEWAY_TARGET = 0x0b;

const REASONS: Record<number, KnownReason> = {
  1: 'illegal-function',
  2: 'illegal-address',
  3: 'illegal-value',
  4: 'device-failure',
  // ACKNOWLEDGE: accepted but not done yet; for a read that means "ask again later".
  5: 'device-busy',
  6: 'device-busy',
  // NEGATIVE ACKNOWLEDGE and MEMORY PARITY ERROR are device-side faults as far as a reader cares.
  7: 'device-failure',
  8: 'device-failure',
  [EXCEPTION_GATEWAY_PATH]: 'gateway-path',
  [EXCEPTION_GATEWAY_TARGET]: 'gateway-target',
};

/** The sample reason for an exception code; unknown codes keep their number visible. */
export function exceptionReason(code: number): string {
  return REASONS[code] ?? `exception-${code}`;
}

/**
 * 0x0A/0x0B come from a TCP-to-RTU gateway saying the device behind it did not answer: that is
 * the device being unreachable (a device fault for the sampler), not a bad point.
 */
export function isGatewayException(code: number): boolean {
  return code === EXCEPTION_GATEWAY_PATH || code === EXCEPTION_GATEWAY_TARGET;
}
