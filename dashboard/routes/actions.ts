/**
 * Automated actions API: GET /api/v1/actions (each action's config summary, disable state and last
 * runs), GET /api/v1/actions/:id, POST /:id/disable {minutes, comment?} and POST /:id/enable.
 * The POSTs need the operator role and, from the page, the CSRF token (policy.ts and the auth
 * middleware); who acted is decided as for alarm actions (requestActor).
 */
import { type Context, Hono } from 'hono';
import type { ActionService, DisableResult } from '../../gateway/actions/types.js';
import { jsonError } from '../errors.js';
import { requestActor } from './alarms.js';

type Body = Record<string, unknown>;

async function readBody(c: Context): Promise<Body | string> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    const body = JSON.parse(text) as unknown;
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Body) : 'the body must be a JSON object';
  } catch {
    return 'the body is not valid JSON';
  }
}

function reply(c: Context, result: DisableResult) {
  if (result.ok) return c.json(result.status);
  return jsonError(c, result.code === 'not-found' ? 404 : 400, result.code, result.message);
}

export function actionRoutes(actions: ActionService): Hono {
  const change = (run: (id: string, who: string, body: Body) => DisableResult) => async (c: Context) => {
    const body = await readBody(c);
    if (typeof body === 'string') return jsonError(c, 400, 'bad-request', body);
    const actor = requestActor(c, body);
    if (typeof actor === 'string') return jsonError(c, 400, 'bad-request', actor);
    return reply(c, run(c.req.param('id')!, actor.who, body));
  };
  return new Hono()
    .get('/', (c) => c.json(actions.list()))
    .get('/:id', (c) => {
      const action = actions.get(c.req.param('id'));
      return action ? c.json(action) : jsonError(c, 404, 'not-found', `no action "${c.req.param('id')}"`);
    })
    .post(
      '/:id/disable',
      change((id, who, body) => {
        if (typeof body.minutes !== 'number' || !Number.isFinite(body.minutes)) return { ok: false, code: 'bad-request', message: 'minutes (a number) is required' };
        return actions.disable(id, body.minutes, who);
      }),
    )
    .post('/:id/enable', change((id, who) => actions.enable(id, who)));
}
