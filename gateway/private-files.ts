/**
 * The data folder holds password hashes, session and token hashes and every reading: only the
 * gateway's own user may read it. The folder is 0700 and the database files 0600, whatever the
 * umask (a default umask of 022 would leave them world-readable), and an older, looser install is
 * tightened on start.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { GatewayError } from '../core/errors.js';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Files SQLite keeps beside a database. */
const SQLITE_SIDE_FILES = ['-wal', '-shm', '-journal'];

/**
 * Creates the folder (and its parents) when missing and makes it 0700. A folder this user does
 * not own cannot be tightened: `warn` hears why, and the gateway goes on (its files still are 0600).
 */
export function ensurePrivateDir(dir: string, warn?: (message: string) => void): void {
  try {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (err) {
    throw new GatewayError(`cannot create the data folder ${dir}`, { cause: err });
  }
  try {
    chmodSync(dir, PRIVATE_DIR_MODE);
  } catch (err) {
    warn?.(`cannot make the data folder ${dir} private (mode 0700): ${(err as Error).message}`);
  }
}

/**
 * Before SQLite opens `file`: creates it empty with mode 0600 when missing and makes it and any
 * WAL, shared-memory or journal file beside it 0600. SQLite gives the WAL and -shm files it creates
 * later the mode of the database file, so they follow. In-memory databases are left alone.
 */
export function preparePrivateDbFile(file: string): void {
  if (file === '' || file === ':memory:' || file.startsWith('file:')) return;
  try {
    // 'a' creates without truncating; the mode only applies when it is created (then chmod below).
    closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  } catch {
    // A missing folder or no write access: SQLite's open says so in its own words.
    return;
  }
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
    for (const suffix of SQLITE_SIDE_FILES) {
      if (existsSync(file + suffix)) chmodSync(file + suffix, PRIVATE_FILE_MODE);
    }
  } catch (err) {
    throw new GatewayError(`cannot make the database file ${file} private (mode 0600)`, { cause: err });
  }
}
