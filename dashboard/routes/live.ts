/**
 * GET /api/v1/live — Server-Sent Events for open pages:
 *   ?view=overview          the overview's points and every device's state
 *   ?device=ID              one device's points and its full comm status
 *   ?points=a,b             these points
 *   &alarms=1               alarm transitions
 *   &status=states          every device's state changes
 * Events: `values` [[id, value, quality, ts, reason], ...], `alarms` [transition, ...], `status`.
 * On connect it sends the current values, so a page that reconnects after a gap is right again.
 * The browser's EventSource reconnects by itself (`retry` below); a heartbeat keeps proxies from
 * closing an idle stream and ends the stream when its session has ended.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { WebEnv } from '../context.js';
import type { DashboardDeps } from '../deps.js';
import { jsonError } from '../errors.js';
import type { LiveFilter, LiveHub, LiveValue } from '../live/live-hub.js';
import { buildOverview } from '../overview-model.js';

const MAX_POINTS = 5000;
/** writes a slow client may leave unfinished before it is dropped (it reconnects and resyncs) */
const MAX_BACKLOG = 200;

export interface LiveRouteOptions {
  heartbeatMs?: number;
  retryMs?: number;
}

export function liveRoutes(deps: DashboardDeps, hub: LiveHub, options: LiveRouteOptions = {}): Hono<WebEnv> {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 2000;
  return new Hono<WebEnv>().get('/', (c) => {
    const points = new Set<string>();
    let status: LiveFilter['status'] = c.req.query('status') === 'states' ? 'states' : 'none';
    if (c.req.query('view') === 'overview') {
      for (const p of buildOverview(deps).livePoints) points.add(p);
      status = 'states';
    }
    const deviceId = c.req.query('device');
    if (deviceId) {
      const device = deps.catalog.device(deviceId);
      if (!device) return jsonError(c, 404, 'not-found', `no device "${deviceId}"`);
      for (const p of device.pointIds) points.add(p);
      status = new Set([device.id]);
    }
    for (const id of (c.req.query('points') ?? '').split(',')) {
      if (id && deps.catalog.point(id)) points.add(id);
    }
    if (points.size > MAX_POINTS) return jsonError(c, 400, 'bad-request', `at most ${MAX_POINTS} points per stream`);
    const filter: LiveFilter = { points, alarms: c.req.query('alarms') === '1', status };
    const session = c.get('session');

    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      let backlog = 0;
      let closed = false;
      const write = (event: string, data: string) => {
        if (closed) return;
        if (backlog > MAX_BACKLOG) {
          closed = true;
          deps.logger.warn('live client too slow; dropping it (it reconnects)', { backlog });
          stream.abort();
          return;
        }
        backlog++;
        stream.writeSSE({ event, data }).then(
          () => backlog--,
          () => {
            closed = true;
          },
        );
      };
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ points: points.size }), retry: retryMs });
      const snapshot: LiveValue[] = [];
      for (const id of points) {
        const v = deps.store.latestOf(id);
        if (v) snapshot.push([id, v.value, v.quality, v.ts, v.reason ?? null]);
      }
      if (snapshot.length > 0) write('values', JSON.stringify(snapshot));
      if (status !== 'none') {
        const all = deps.deviceStatus();
        if (status === 'states') write('status', JSON.stringify({ states: all.map((s) => [s.deviceId, s.state]) }));
        else write('status', JSON.stringify({ devices: all.filter((s) => status.has(s.deviceId)) }));
      }
      const disconnect = hub.connect(filter, write);
      await new Promise<void>((resolve) => {
        const heartbeat = setInterval(() => {
          // A logout or an expired session ends the stream too (the browser then goes to the login page).
          if (session && !deps.auth.session(session.id)) {
            closed = true;
            stream.abort();
            return;
          }
          if (!closed) void stream.write(': ping\n\n');
        }, heartbeatMs);
        stream.onAbort(() => {
          closed = true;
          clearInterval(heartbeat);
          disconnect();
          resolve();
        });
      });
    });
  });
}
