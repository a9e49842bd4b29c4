/**
 * Time-series database push targets in the site config: Prometheus remote_write (`kind: prometheus`)
 * and Influx line protocol over HTTP (`kind: influx`). They take readings only (events are not metrics).
 * docs/sync-protocol.md §13–§15 describe every option and what the receiver sees.
 */
import { z } from 'zod';
import { type Secret, secretString } from '../../core/secret.js';
import { id, type RetryPolicy, retryShape, urlWith } from '../schema-parts.js';

interface TsdbTargetBase extends RetryPolicy {
  id: string;
  /** Prometheus: the remote_write URL itself; Influx: the server's base URL (the API path is added) */
  url: string;
  /** basic auth (with `password`) */
  username?: string;
  password?: Secret;
  /** sent as `Authorization: Bearer <token>` (Influx: `Token <token>`) */
  token?: Secret;
  /** every metric name (Prometheus) and the measurement (Influx): `<metricPrefix>_<key>` / `<metricPrefix>` */
  metricPrefix: string;
  batchItems: number;
  batchBytes: number;
  timeoutMs: number;
}

export interface PrometheusTargetConfig extends TsdbTargetBase {
  kind: 'prometheus';
}

export interface InfluxTargetConfig extends TsdbTargetBase {
  kind: 'influx';
  /** `v1`: POST /write?db=&rp=; `v2`: POST /api/v2/write?org=&bucket= (always precision=ms) */
  api: 'v1' | 'v2';
  database?: string;
  retentionPolicy?: string;
  org?: string;
  bucket?: string;
  gzip: boolean;
}

/** A Prometheus metric name start: it is also the Influx measurement, so both engines name series alike. */
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const base = {
  id: id(),
  url: urlWith(['http', 'https']),
  username: z.string().min(1).optional(),
  password: secretString().optional(),
  token: secretString().optional(),
  metricPrefix: z.string().regex(METRIC_PREFIX, 'must be a Prometheus metric name (letters, digits, _ and :, not starting with a digit)').default('facility'),
  batchItems: z.int().min(1).max(100_000).default(5000),
  batchBytes: z.int().min(1024).max(64 * 1024 * 1024).default(1_000_000),
  timeoutMs: z.int().min(100).max(600_000).default(30_000),
  ...retryShape,
};

interface AuthFields {
  username?: string | undefined;
  password?: Secret | undefined;
  token?: Secret | undefined;
}

/** One way to log in: basic (username and password together) or a token, never both. */
function checkAuth(t: AuthFields, ctx: z.RefinementCtx): void {
  if (t.token && (t.username || t.password)) {
    ctx.addIssue({ code: 'custom', path: ['token'], message: 'cannot be combined with username/password: choose basic or token auth' });
  }
  if (Boolean(t.username) !== Boolean(t.password)) {
    ctx.addIssue({ code: 'custom', path: [t.username ? 'password' : 'username'], message: 'basic auth needs both username and password' });
  }
}

export const prometheusTargetSchema = z.strictObject({ ...base, kind: z.literal('prometheus') }).superRefine(checkAuth);

export const influxTargetSchema = z
  .strictObject({
    ...base,
    kind: z.literal('influx'),
    api: z.enum(['v1', 'v2']).default('v2'),
    database: z.string().min(1).optional(),
    retentionPolicy: z.string().min(1).optional(),
    org: z.string().min(1).optional(),
    bucket: z.string().min(1).optional(),
    gzip: z.boolean().default(true),
  })
  .superRefine((t, ctx) => {
    checkAuth(t, ctx);
    if (t.api === 'v1' && !t.database) ctx.addIssue({ code: 'custom', path: ['database'], message: 'is required with api: v1' });
    if (t.api === 'v2' && !t.bucket) ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'is required with api: v2' });
  });
