/**
 * The pull API, a Hono sub-app mounted at /api/v1/sync:
 *
 *   GET  /{stream}?after=SEQ&limit=N  → { gatewayId, stream, after, nextAfter, more, gaps, items }
 *   POST /ack { target, stream, seq } → { target, stream, ackedSeq }
 *
 * Items and gaps are encoded exactly as in a push batch. Both routes need `Authorization: Bearer`
 * with an API token of role `ems` or `admin`: 401 without a valid one, 403 for another role.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { type Context, Hono } from 'hono';
import type { Logger } from '../core/logger.js';
import type { Store, SyncStream } from '../gateway/store/types.js';
import { createBatchReader } from './batch.js';

const gzip = promisify(gzipCb);

/** The API-token check (gateway/auth/tokens.ts): a bearer token → who, or undefined. */
export type VerifyToken = (
  bearer: string,
) => { name: string; role: string } | undefined | Promise<{ name: string; role: string } | undefined>;

export interface PullRoutesOptions {
  store: Pick<Store, 'readingsAfter' | 'eventsAfter' | 'stats' | 'advanceSyncCursor'>;
  gatewayId: string;
  /** consumer names acks are accepted for (sync.pull.targets) */
  targets: readonly string[];
  /** most items per page (sync.pull.maxLimit) */
  maxLimit: number;
  verifyToken: VerifyToken;
  logger: Logger;
}

const ALLOWED_ROLES = new Set(['ems', 'admin']);
const STREAMS = new Set<SyncStream>(['readings', 'events']);
/** Pages smaller than this are not worth compressing. */
const GZIP_MIN_BYTES = 1024;

export function createPullRoutes(opts: PullRoutesOptions): Hono {
  const { store, logger } = opts;
  const reader = createBatchReader(store, opts.gatewayId);
  const gatewayJson = JSON.stringify(opts.gatewayId);
  const targets = new Set(opts.targets);
  const app = new Hono();

  /** The caller's token name, or the 401/403 answer. */
  async function authorize(c: Context): Promise<string | Response> {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer realm="gateway"');
      return problem(c, 401, 'unauthorized', 'an API token is required: Authorization: Bearer <token>');
    }
    const who = await opts.verifyToken(match[1]!);
    if (!who) {
      c.header('WWW-Authenticate', 'Bearer realm="gateway", error="invalid_token"');
      return problem(c, 401, 'unauthorized', 'the API token is not valid');
    }
    if (!ALLOWED_ROLES.has(who.role)) {
      return problem(c, 403, 'forbidden', `token "${who.name}" has role ${who.role}; the sync API needs role ems or admin`);
    }
    return who.name;
  }

  app.post('/ack', async (c) => {
    const caller = await authorize(c);
    if (caller instanceof Response) return caller;
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return problem(c, 400, 'bad-request', 'the body must be JSON: {"target", "stream", "seq"}');
    }
    const { target, stream, seq } = (body ?? {}) as { target?: unknown; stream?: unknown; seq?: unknown };
    if (typeof target !== 'string' || !targets.has(target)) {
      const known = [...targets].join(', ') || 'none configured';
      return problem(c, 400, 'unknown-target', `target must be one of sync.pull.targets (${known}), got ${JSON.stringify(target)}`);
    }
    if (!isStream(stream)) return problem(c, 400, 'bad-request', 'stream must be "readings" or "events"');
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return problem(c, 400, 'bad-request', 'seq must be a whole number >= 0');
    const stats = store.stats();
    const last = stream === 'readings' ? stats.lastReadingSeq : stats.lastEventSeq;
    if (seq > last) return problem(c, 400, 'beyond-end', `seq ${seq} is beyond the last committed ${stream} seq ${last}`);
    const ackedSeq = store.advanceSyncCursor(target, stream, seq);
    logger.debug('pull ack', { caller, target, stream, seq, ackedSeq });
    return c.json({ target, stream, ackedSeq });
  });

  app.get('/:stream', async (c) => {
    const caller = await authorize(c);
    if (caller instanceof Response) return caller;
    const stream = c.req.param('stream');
    if (!isStream(stream)) return problem(c, 404, 'not-found', `no stream "${stream}"; use readings or events`);
    const after = wholeNumber(c.req.query('after'), 0);
    const limit = wholeNumber(c.req.query('limit'), opts.maxLimit);
    if (after === undefined) return problem(c, 400, 'bad-request', 'after must be a whole number >= 0');
    if (limit === undefined || limit < 1) return problem(c, 400, 'bad-request', 'limit must be a whole number >= 1');
    const batch = reader.read(stream, after, { items: Math.min(limit, opts.maxLimit), bytes: Number.MAX_SAFE_INTEGER });
    const nextAfter = batch?.toSeq ?? after;
    const lastSeq = batch?.lastSeq ?? after;
    const text =
      `{"gatewayId":${gatewayJson},"stream":"${stream}","after":${after},"nextAfter":${nextAfter},"more":${nextAfter < lastSeq},` +
      `"gaps":${JSON.stringify(batch?.gaps ?? [])},"items":${batch?.itemsJson ?? '[]'}}`;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', vary: 'Accept-Encoding' };
    if (text.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      const body = await gzip(Buffer.from(text, 'utf8'), { level: 1 });
      return c.body(new Uint8Array(body.buffer, body.byteOffset, body.length), 200, { ...headers, 'content-encoding': 'gzip' });
    }
    return c.body(text, 200, headers);
  });

  return app;
}

function isStream(value: unknown): value is SyncStream {
  return typeof value === 'string' && STREAMS.has(value as SyncStream);
}

function wholeNumber(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function problem(c: Context, status: 400 | 401 | 403 | 404, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}
