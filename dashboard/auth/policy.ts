/**
 * Which requests need which role, in one table. Reading is for every authenticated role; changing
 * alarm state (ack, shelve) needs an operator; users and tokens need an admin. The sync routes
 * check their own roles (an `ems` token may pull and ack there).
 */
import type { UserRole } from '../../gateway/auth/types.js';

/** Routes anyone may reach: the login page and API, the page's static files, the health check. */
export function isPublic(method: string, path: string): boolean {
  if (path === '/api/v1/session') return method === 'POST';
  return path === '/login' || path === '/api/v1/health' || path.startsWith('/static/') || path === '/favicon.ico';
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE.has(method);
}

/** The weakest role allowed, or null when the route decides itself (still authenticated). */
export function requiredRole(method: string, path: string): UserRole | null {
  if (path.startsWith('/api/v1/sync/')) return null;
  // Writes to equipment: the control service checks the point's role (and records the refusal).
  if (method === 'POST' && isWriteRoute(path)) return null;
  if (path.startsWith('/api/v1/users') || path.startsWith('/users') || path.startsWith('/api/v1/tokens')) {
    return 'admin';
  }
  if (isSafeMethod(method) || path === '/logout' || path === '/api/v1/session') return 'viewer';
  return 'operator';
}

/** POST /api/v1/points/<id>/write (a point id has no slash). */
export function isWriteRoute(path: string): boolean {
  return /^\/api\/v1\/points\/[^/]+\/write$/.test(path);
}

/** Browsers get the login page; scripts and API clients get a JSON 401. */
export function wantsHtml(path: string, accept: string | undefined): boolean {
  if (path.startsWith('/api/') || path === '/metrics') return false;
  return !accept || accept.includes('text/html') || accept.includes('*/*');
}
