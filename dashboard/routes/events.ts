/**
 * The events stream (alarm transitions, retention drops, ...) in seq order, paged with a cursor:
 * `GET /api/v1/events?after=SEQ&limit=N` → `{ items, nextAfter, more }`; ask again with `after=nextAfter`.
 */
import { Hono } from 'hono';
import type { Store } from '../../gateway/store/types.js';
import { jsonError } from '../errors.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

function intParam(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  return /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
}

export function eventRoutes(store: Pick<Store, 'eventsAfter'>): Hono {
  return new Hono().get('/', (c) => {
    const after = intParam(c.req.query('after'), 0);
    const limit = intParam(c.req.query('limit'), DEFAULT_LIMIT);
    if (Number.isNaN(after)) return jsonError(c, 400, 'bad-request', 'after is a sequence number (an integer ≥ 0)');
    if (Number.isNaN(limit) || limit < 1 || limit > MAX_LIMIT) {
      return jsonError(c, 400, 'bad-request', `limit is an integer from 1 to ${MAX_LIMIT}`);
    }
    const items = store.eventsAfter(after, limit);
    return c.json({ items, nextAfter: items.at(-1)?.seq ?? after, more: items.length === limit });
  });
}
