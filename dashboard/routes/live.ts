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
 * closing an idle stream. The credential that opened the stream (session or API token) is checked
 * again every few seconds: a logout, an expired session or a revoked token ends it. Each user or
 * token may hold `http.maxLiveStreams` streams; one more closes the oldest, which first hears
 * `bye` {"reason":"too-many-streams"} so its page stops reconnecting.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { WebEnv } from '../context.js';
import type { DashboardDeps } from '../deps.js';
import { bearerOf } from '../auth/authenticate.js';
import { jsonError } from '../errors.js';
import type { LiveFilter, LiveHub, LiveValue } from '../live/live-hub.js';
import { createStreamLimit, DEFAULT_MAX_LIVE_STREAMS } from '../live/stream-limit.js';
import { buildOverview } from '../overview-model.js';

const MAX_POINTS = 5000;
/** writes a slow client may leave unfinished before it is dropped (it reconnects and resyncs) */
const MAX_BACKLOG = 200;

/** A revoked token or ended session must not keep a stream for longer than this. */
const DEFAULT_RECHECK_MS = 5000;

export interface LiveRouteOptions {
  heartbeatMs?: number;
  retryMs?: number;
  /** how often a stream's session or API token is checked again (default 5 s) */
  recheckMs?: number;
}

export function liveRoutes(deps: DashboardDeps, hub: LiveHub, options: LiveRouteOptions = {}): Hono<WebEnv> {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 2000;
  const recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  const limit = createStreamLimit(deps.maxLiveStreams ?? DEFAULT_MAX_LIVE_STREAMS);
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
    const principal = c.get('principal');
    // A token stream keeps its bearer to ask again whether the token still exists.
    const bearer = session ? undefined : bearerOf(c.req.header('authorization'));
    const owner = `${principal.via}:${principal.name}`;
    /** false once the credential that opened the stream is gone */
    const stillValid = async (): Promise<boolean> => {
      if (session) return deps.auth.session(session.id) !== undefined;
      return bearer !== undefined && (await deps.auth.verifyBearer(bearer)) !== undefined;
    };

    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      let backlog = 0;
      let closed = false;
      let disconnect: (() => void) | undefined;
      let heartbeat: NodeJS.Timeout | undefined;
      let recheck: NodeJS.Timeout | undefined;
      const end = () => {
        closed = true;
        stream.abort();
      };
      // Counted from the start, before anything is written: the cap holds even for clients that read nothing.
      const ended = limit.open(owner, () => {
        deps.logger.info('live stream closed: too many open for one login', { owner: principal.name, via: principal.via });
        if (closed) return end();
        // Said before closing, so the page stops instead of reconnecting and pushing out another.
        void stream.writeSSE({ event: 'bye', data: JSON.stringify({ reason: 'too-many-streams' }) }).finally(end);
        // A client that reads nothing must not keep the stream by not taking the goodbye.
        setTimeout(end, 1000).unref();
      });
      let cleaned = false;
      const cleanup = () => {
        closed = true;
        if (cleaned) return;
        cleaned = true;
        clearInterval(heartbeat);
        clearInterval(recheck);
        disconnect?.();
        ended();
      };
      const finished = new Promise<void>((resolve) =>
        stream.onAbort(() => {
          cleanup();
          resolve();
        }),
      );
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
      if (cleaned) return;
      disconnect = hub.connect(filter, write);
      heartbeat = setInterval(() => {
        if (!closed) void stream.write(': ping\n\n');
      }, heartbeatMs);
      // A logout, an expired session or a revoked token ends the stream (a browser then goes to the login page).
      recheck = setInterval(() => {
        stillValid().then(
          (ok) => {
            if (!ok) end();
          },
          () => end(),
        );
      }, recheckMs);
      await finished;
    });
  });
}
