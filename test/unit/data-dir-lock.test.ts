/**
 * The data folder lock on a real folder: held while running, refused to a second holder, taken over
 * when its owner is gone or its pid now belongs to another process, removed only by its owner.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../gateway/data-dir-lock.js';

describe('data folder lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-lock-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const lockFile = () => join(dir, LOCK_FILE);

  it('refuses a second holder while the first holds it, and frees the folder on release', () => {
    const lock = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid });
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(`is in use by another gateway (pid ${process.pid})`);
    lock.release();
    lock.release();
    expect(existsSync(lockFile())).toBe(false);
    lockDataDir(dir).release();
  });

  it.each([
    ['a pid that is not running', JSON.stringify({ pid: 2 ** 22 + 17, startTime: '1' })],
    ['a running pid that started at another time (reused after a kill -9)', JSON.stringify({ pid: process.pid, startTime: 'not-the-same' })],
    ['an unreadable lock', 'garbage'],
  ])('takes over a stale lock: %s', (_what, content) => {
    writeFileSync(lockFile(), content);
    const lock = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('release leaves a lock that is not its own', () => {
    const lock = lockDataDir(dir);
    writeFileSync(lockFile(), JSON.stringify({ pid: 1, startTime: null }));
    lock.release();
    expect(existsSync(lockFile())).toBe(true);
  });
});
