/**
 * POST /api/v1/points/:id/write {value, comment}: a write to equipment, through the control
 * service (which checks, writes, reads back and records the `control.write` event). Every role
 * reaches this route (policy.ts), so a viewer's or a disallowed EMS token's attempt is refused by
 * the service and lands in the events stream like any other refusal.
 */
import { Hono } from 'hono';
import type { Principal } from '../../gateway/auth/types.js';
import { type ControlActor, WRITE_REFUSALS, type WriteResult } from '../../gateway/control/types.js';
import type { WebEnv } from '../context.js';
import type { DashboardDeps } from '../deps.js';
import { jsonError } from '../errors.js';

export const MAX_WRITE_COMMENT = 500;

export function actorOf(principal: Principal): ControlActor {
  return { kind: principal.via === 'session' ? 'user' : 'token', name: principal.name, role: principal.role };
}

/** 200 with the result when it was written (and verified); else the refusal's status with {error} and the result. */
function reply(result: WriteResult): { status: 200 | (typeof WRITE_REFUSALS)[keyof typeof WRITE_REFUSALS]; body: unknown } {
  if (!result.reason) return { status: 200, body: result };
  return { status: WRITE_REFUSALS[result.reason], body: { ...result, error: { code: result.reason, message: result.message ?? result.reason } } };
}

export function controlRoutes(deps: Pick<DashboardDeps, 'control'>): Hono<WebEnv> {
  return new Hono<WebEnv>().post('/:id/write', async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return jsonError(c, 400, 'bad-request', 'the body is not valid JSON');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return jsonError(c, 400, 'bad-request', 'the body must be a JSON object {value, comment}');
    const { value, comment } = body as { value?: unknown; comment?: unknown };
    if (comment !== undefined && comment !== null && (typeof comment !== 'string' || comment.length > MAX_WRITE_COMMENT)) {
      return jsonError(c, 400, 'bad-request', `comment must be text of at most ${MAX_WRITE_COMMENT} characters`);
    }
    const pointId = c.req.param('id');
    if (!deps.control) return jsonError(c, 422, 'not-writable', 'this gateway has no control service');
    const result = await deps.control.write({
      pointId,
      value,
      actor: actorOf(c.get('principal')),
      ...(typeof comment === 'string' && comment.trim() !== '' && { comment: comment.trim() }),
    });
    const { status, body: out } = reply(result);
    return c.json(out, status);
  });
}
