import { type Role, USER_ROLES, type UserRole } from './types.js';

/** `ems` tokens read like a viewer on the web API; their own rights are on the sync routes. */
const RANK: Record<Role, number> = { ems: 0, viewer: 0, operator: 1, admin: 2 };

/** True when `role` has at least the rights of `min` (viewer < operator < admin). */
export function roleAtLeast(role: Role, min: UserRole): boolean {
  return RANK[role] >= RANK[min];
}

export function isUserRole(value: unknown): value is UserRole {
  return typeof value === 'string' && (USER_ROLES as readonly string[]).includes(value);
}

export function isRole(value: unknown): value is Role {
  return value === 'ems' || isUserRole(value);
}
