/**
 * A real auth service (SQLite auth database in a temporary folder) for web tests: API tokens per
 * role for `app.request()` calls, and users for login tests. Nothing is mocked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthServiceHandle, createAuthService, type HashCost, openAuthDb, type SessionPolicy, type ThrottlePolicy } from '../../gateway/auth/index.js';
import { createTokenStore, type TokenStore } from '../../gateway/auth/tokens.js';
import type { Role, UserRole } from '../../gateway/auth/types.js';
import { type Logger, silentLogger } from '../../core/logger.js';

export interface TestAuth {
  auth: AuthServiceHandle;
  /** the API-token store behind auth.verifyBearer */
  tokens: TokenStore;
  /** `Authorization: Bearer …` headers of a token with this role (made once per role) */
  bearer(role: Role): Record<string, string>;
  /** Adds a user with this password (default `correct horse 1`). */
  addUser(name: string, role: UserRole, password?: string): Promise<void>;
  close(): void;
}

export const TEST_PASSWORD = 'correct horse 1';

export interface TestAuthOptions {
  sessions?: SessionPolicy;
  throttle?: ThrottlePolicy;
  now?: () => number;
  logger?: Logger;
  /** scrypt cost (default a cheap one; pass the real one where the hash time matters) */
  hashCost?: HashCost;
}

export function createTestAuth(options: TestAuthOptions = {}): TestAuth {
  const dir = mkdtempSync(join(tmpdir(), 'gw-auth-'));
  const db = openAuthDb(join(dir, 'auth.db'));
  const tokens = createTokenStore(db, options.now);
  // A cheap scrypt cost keeps login tests fast; the format and the checks are the real ones.
  const auth = createAuthService({ db, logger: silentLogger, verifyToken: tokens.verifyToken, hashCost: { N: 1024, r: 8, p: 1 }, ...options });
  const made = new Map<Role, string>();
  return {
    auth,
    tokens,
    bearer(role) {
      let token = made.get(role);
      if (!token) {
        token = tokens.create(`test-${role}`, role).token;
        made.set(role, token);
      }
      return { authorization: `Bearer ${token}` };
    },
    async addUser(name, role, password = TEST_PASSWORD) {
      await auth.users.add(name, password, role);
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
