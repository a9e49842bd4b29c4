/**
 * The `sync` section of a site config: push targets (HTTP, MQTT), pull consumers, and whether age
 * retention waits for them. Zod only (the config loader imports it); tokens and passwords are
 * Secrets, never printed.
 */
import { z } from 'zod';
import { type Secret, secretString } from '../core/secret.js';
import { type NatsTargetConfig, natsTargetSchema } from './nats/config-schema.js';
import { id, type RetryPolicy, retryShape, urlWith } from './schema-parts.js';
import { type InfluxTargetConfig, influxTargetSchema, type PrometheusTargetConfig, prometheusTargetSchema } from './tsdb/config-schema.js';

export type { RetryPolicy } from './schema-parts.js';
export type { NatsTargetConfig } from './nats/config-schema.js';
export type { InfluxTargetConfig, PrometheusTargetConfig } from './tsdb/config-schema.js';

export interface HttpTargetConfig extends RetryPolicy {
  id: string;
  kind: 'http';
  url: string;
  /** sent as `Authorization: Bearer <token>` */
  token?: Secret;
  gzip: boolean;
  /** most items per batch */
  batchItems: number;
  /** most bytes of JSON body per batch, before compression */
  batchBytes: number;
  /** whole request, connect to response body */
  timeoutMs: number;
}

export interface MqttTargetConfig extends RetryPolicy {
  id: string;
  kind: 'mqtt';
  /** mqtt://, mqtts://, ws:// or wss:// */
  url: string;
  /** topics are `<topicPrefix>/<gatewayId>/readings|events|status` */
  topicPrefix: string;
  username?: string;
  password?: Secret;
  /** stable across restarts so the broker keeps the session; default `<gatewayId>-<target id>` */
  clientId?: string;
  gzip: boolean;
  batchItems: number;
  batchBytes: number;
  /** connect timeout */
  timeoutMs: number;
  keepaliveS: number;
}

export type SyncTargetConfig = HttpTargetConfig | MqttTargetConfig | NatsTargetConfig | PrometheusTargetConfig | InfluxTargetConfig;
export type SyncTargetKind = SyncTargetConfig['kind'];

export interface PullConfig {
  /** consumer names the pull API accepts acks for (each gets its own cursor) */
  targets: string[];
  /** most items one pull page returns */
  maxLimit: number;
}

export interface SyncSection {
  /**
   * `cooperate`: age retention keeps every reading a push target or pull consumer has not
   * acknowledged (the size budget still applies); `ignore`: retention goes by age and size only.
   */
  retention: 'cooperate' | 'ignore';
  pull: PullConfig;
  targets: SyncTargetConfig[];
}

const httpTargetSchema = z.strictObject({
  id: id(),
  kind: z.literal('http'),
  url: urlWith(['http', 'https']),
  token: secretString().optional(),
  gzip: z.boolean().default(true),
  batchItems: z.int().min(1).max(100_000).default(5000),
  batchBytes: z.int().min(1024).max(64 * 1024 * 1024).default(1_000_000),
  timeoutMs: z.int().min(100).max(600_000).default(30_000),
  ...retryShape,
});

const mqttTargetSchema = z.strictObject({
  id: id(),
  kind: z.literal('mqtt'),
  url: urlWith(['mqtt', 'mqtts', 'ws', 'wss']),
  topicPrefix: z
    .string()
    .min(1)
    .refine((t) => !/[+#]/.test(t) && !t.startsWith('/') && !t.endsWith('/'), 'must not hold + or #, nor start or end with /'),
  username: z.string().min(1).optional(),
  password: secretString().optional(),
  clientId: z.string().min(1).max(128).optional(),
  gzip: z.boolean().default(false),
  batchItems: z.int().min(1).max(100_000).default(2000),
  batchBytes: z.int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
  timeoutMs: z.int().min(100).max(600_000).default(30_000),
  keepaliveS: z.int().min(0).max(65_535).default(30),
  ...retryShape,
});

export const syncSchema = z
  .strictObject({
    retention: z.enum(['cooperate', 'ignore']).default('cooperate'),
    pull: z
      .strictObject({
        targets: z.array(id()).default([]),
        maxLimit: z.int().min(1).max(100_000).default(10_000),
      })
      .prefault({}),
    targets: z
      .array(z.discriminatedUnion('kind', [httpTargetSchema, mqttTargetSchema, natsTargetSchema, prometheusTargetSchema, influxTargetSchema]))
      .default([]),
  })
  .superRefine((sync, ctx) => {
    // Push targets and pull consumers share one cursor namespace.
    const seen = new Map<string, string>();
    sync.targets.forEach((t, i) => {
      const first = seen.get(t.id);
      if (first) ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `duplicate id "${t.id}" (also ${first})` });
      else seen.set(t.id, `targets[${i}]`);
    });
    sync.pull.targets.forEach((name, i) => {
      const first = seen.get(name);
      if (first) ctx.addIssue({ code: 'custom', path: ['pull', 'targets', i], message: `duplicate id "${name}" (also ${first})` });
      else seen.set(name, `pull.targets[${i}]`);
    });
  })
  .prefault({});

// The hand-written interfaces above are the documented shape; this keeps the schema honest.
type Parsed = z.output<typeof syncSchema>;
const _shapeCheck: (p: Parsed) => SyncSection = (p) => p;
void _shapeCheck;

/** Every target and pull consumer whose cursor holds back age retention. */
export function retentionHolds(sync: SyncSection): string[] {
  return sync.retention === 'cooperate' ? [...sync.targets.map((t) => t.id), ...sync.pull.targets] : [];
}
