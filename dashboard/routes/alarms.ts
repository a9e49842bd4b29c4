/**
 * Alarm API: list, acknowledge, shelve, and take out of / return to service. Every action records
 * who and a comment. `who` is the logged-in user when there is one, else what the client says
 * (X-Gateway-User header or a `who` body field); requestActor() is the one place that decides.
 */
import { type Context, Hono } from 'hono';
import { ALARM_STATES, type ActionResult, type Actor, type AlarmFilter, type AlarmService } from '../../gateway/alarms/types.js';
import { jsonError } from '../errors.js';

const MAX_WHO = 64;
const MAX_COMMENT = 500;
const USER_HEADER = 'X-Gateway-User';

type Body = Record<string, unknown>;

/** The JSON body, {} when there is none, or an error message. */
export async function readBody(c: Context): Promise<Body | string> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    const body = JSON.parse(text) as unknown;
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Body) : 'the body must be a JSON object';
  } catch {
    return 'the body is not valid JSON';
  }
}

/**
 * Who is acting, and why: the logged-in user when the auth middleware put one on the request;
 * without logins, what the client says (X-Gateway-User header or `who`), default "anonymous".
 */
export function requestActor(c: Context, body: Body): Actor | string {
  const principal = (c.get as (key: string) => { name?: unknown } | undefined)('principal');
  const raw = typeof principal?.name === 'string' ? principal.name : (c.req.header(USER_HEADER) ?? body.who ?? 'anonymous');
  if (typeof raw !== 'string' || raw.trim() === '' || raw.length > MAX_WHO) return `who must be text of 1 to ${MAX_WHO} characters`;
  const comment = body.comment ?? null;
  if (comment !== null && (typeof comment !== 'string' || comment.length > MAX_COMMENT)) return `comment must be text of at most ${MAX_COMMENT} characters`;
  return { who: raw.trim(), comment: comment === null || comment.trim() === '' ? null : comment.trim() };
}

function reply(c: Context, result: ActionResult) {
  if (result.ok) return c.json(result.alarm);
  const status = result.code === 'not-found' ? 404 : result.code === 'conflict' ? 409 : 400;
  return jsonError(c, status, result.code, result.message);
}

/** `causes` (the incident service's symptom lookup): each listed alarm that is a symptom gets `causeId`. */
export function alarmRoutes(alarms: AlarmService, causes?: { causeOf(alarmId: string): string | undefined }): Hono {
  /** Reads the body and the actor, then runs the action; answers 400 for a bad request. */
  const action = (run: (id: string, actor: Actor, body: Body) => ActionResult) => async (c: Context) => {
    const body = await readBody(c);
    if (typeof body === 'string') return jsonError(c, 400, 'bad-request', body);
    const actor = requestActor(c, body);
    if (typeof actor === 'string') return jsonError(c, 400, 'bad-request', actor);
    return reply(c, run(c.req.param('id')!, actor, body));
  };

  return new Hono()
    .get('/', (c) => {
      const state = c.req.query('state') ?? 'active';
      if (state !== 'active' && state !== 'all' && !(ALARM_STATES as readonly string[]).includes(state)) {
        return jsonError(c, 400, 'bad-request', `state is active, all or one of ${ALARM_STATES.join(', ')}`);
      }
      const list = alarms.list(state as AlarmFilter);
      return c.json(causes ? list.map((a) => ({ ...a, causeId: causes.causeOf(a.id) ?? null })) : list);
    })
    .get('/:id', (c) => {
      const alarm = alarms.get(c.req.param('id'));
      return alarm ? c.json(alarm) : jsonError(c, 404, 'not-found', `no alarm "${c.req.param('id')}"`);
    })
    .post('/:id/ack', action((id, actor) => alarms.ack(id, actor)))
    .post(
      '/:id/shelve',
      action((id, actor, body) => {
        const minutes = body.minutes;
        if (typeof minutes !== 'number' || !Number.isFinite(minutes)) {
          return { ok: false, code: 'bad-request', message: 'minutes (a number) is required' };
        }
        return alarms.shelve(id, minutes, actor);
      }),
    )
    .post('/:id/unshelve', action((id, actor) => alarms.unshelve(id, actor)))
    .post('/:id/out-of-service', action((id, actor) => alarms.setInService(id, false, actor)))
    .post('/:id/in-service', action((id, actor) => alarms.setInService(id, true, actor)));
}
