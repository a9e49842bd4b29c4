/**
 * The first admin. A real install has no working default password: the first admin comes from
 * `gateway user add` or, on a first run with no users, from GATEWAY_ADMIN_PASSWORD. The demo
 * generates its accounts and prints them.
 */
import type { Logger } from '../../core/logger.js';
import { generatePassword } from './password.js';
import type { UserAdmin, UserRole } from './types.js';

export interface FirstAdminResult {
  /** who was created, when someone was */
  created?: string;
  /** true when nobody can log in to the web page yet */
  noUsers: boolean;
}

/** On a first run (no users), creates the admin named by GATEWAY_ADMIN_USER (default `admin`). */
export async function ensureFirstAdmin(users: UserAdmin, env: NodeJS.ProcessEnv, logger: Logger): Promise<FirstAdminResult> {
  if (users.count() > 0) return { noUsers: false };
  const password = env.GATEWAY_ADMIN_PASSWORD;
  if (!password) {
    logger.warn('no users yet: nobody can log in to the web page. Create the first admin with `gateway user add --name NAME --role admin --config FILE`, or start once with GATEWAY_ADMIN_PASSWORD set');
    return { noUsers: true };
  }
  const name = env.GATEWAY_ADMIN_USER || 'admin';
  await users.add(name, password, 'admin');
  logger.info('first admin created from GATEWAY_ADMIN_PASSWORD', { user: name });
  return { created: name, noUsers: false };
}

export interface DemoAccount {
  name: string;
  role: UserRole;
  password: string;
}

/**
 * The demo's accounts, one per role, with fresh random passwords on every start (so whatever a
 * previous demo printed stops working). GATEWAY_ADMIN_PASSWORD, when set, is the admin's.
 */
export async function resetDemoAccounts(users: UserAdmin, env: NodeJS.ProcessEnv): Promise<DemoAccount[]> {
  const roles: UserRole[] = ['admin', 'operator', 'viewer'];
  const accounts: DemoAccount[] = [];
  for (const role of roles) {
    const name = role;
    const password = role === 'admin' && env.GATEWAY_ADMIN_PASSWORD ? env.GATEWAY_ADMIN_PASSWORD : generatePassword();
    const existing = users.get(name);
    if (!existing) await users.add(name, password, role);
    else {
      if (existing.role !== role) users.setRole(name, role);
      await users.setPassword(name, password);
    }
    accounts.push({ name, role, password });
  }
  return accounts;
}
