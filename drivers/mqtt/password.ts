/**
 * Broker passwords at rest: scrypt (node:crypto), written as
 * `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>` so the cost can rise later without breaking
 * existing hashes. `gateway mqtt-passwd` makes them.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** ~50 ms on a Raspberry Pi 4: a sensor pays it once per connect, a guesser once per try. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** beyond this a config hash could make each login allocate too much memory */
const MAX_MEMORY = 256 * 1024 * 1024;

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  key: Buffer;
}

function memoryFor({ N, r }: ScryptParams): number {
  return 128 * N * r * 2;
}

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { ...params, maxmem: memoryFor(params) + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The hash's parts, or a message saying what is wrong with it (never echoing it). */
export function parsePasswordHash(text: string): ParsedHash | string {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return 'is not a scrypt hash (make one with `gateway mqtt-passwd`)';
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || (N & (N - 1)) !== 0 || N < 2) {
    return 'has invalid scrypt parameters';
  }
  if (memoryFor({ N, r, p }) > MAX_MEMORY) return 'asks for more scrypt memory than the gateway allows (256 MB)';
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return 'has a salt or key too short';
  return { N, r, p, salt, key };
}

export function isPasswordHash(text: string): boolean {
  return typeof parsePasswordHash(text) !== 'string';
}

/** Constant-time check of a password against a hash made by hashPassword. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parsePasswordHash(hash);
  if (typeof parsed === 'string') return false;
  const key = await derive(password, parsed.salt, parsed, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}
