/**
 * A NATS JetStream push target in the site config (`kind: nats`). Passwords and tokens are Secrets;
 * the NKey seed and creds files are read when the target connects and never logged.
 */
import { z } from 'zod';
import { type Secret, secretString } from '../../core/secret.js';
import { id, type RetryPolicy, retryShape, urlWith } from '../schema-parts.js';

/** How the gateway creates the stream when it is missing (`createStream`). */
export interface NatsStreamSettings {
  /** copies across the cluster (R1, R3, R5); at most the number of JetStream servers */
  replicas: number;
  /** messages older than this are removed by the server; 0 keeps them until `maxBytes` */
  maxAgeS: number;
  /** how long the stream remembers a `Nats-Msg-Id` to drop a resend */
  duplicateWindowS: number;
  /** a size limit for the whole stream (oldest messages go first); none when absent */
  maxBytes?: number;
  /**
   * the subjects it captures: `shared` is `<subjectPrefix>.>` (one stream for every gateway under
   * the prefix), `gateway` is `<subjectPrefix>.<gatewayId>.>` (a stream per gateway)
   */
  subjects: 'shared' | 'gateway';
}

export interface NatsTargetConfig extends RetryPolicy {
  id: string;
  kind: 'nats';
  /** the cluster's servers, nats:// or tls:// (any one that answers is used; the others are failovers) */
  servers: string[];
  /** subjects are `<subjectPrefix>.<gatewayId>.readings|events` */
  subjectPrefix: string;
  /** the JetStream stream that must capture those subjects (checked at connect) */
  stream: string;
  user?: string;
  password?: Secret;
  token?: Secret;
  /** a .creds file (JWT + NKey seed), the usual form for operator-mode accounts */
  credsFile?: string;
  /** an NKey seed file (a plain NKey user) */
  nkeyFile?: string;
  /** a CA to trust (a private CA), and a client certificate and key when the server asks for one */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** when set, a missing stream is created with these settings instead of being an error */
  createStream?: NatsStreamSettings;
  /** most items per batch: the publishes one batch keeps in flight at once */
  batchItems: number;
  batchBytes: number;
  /** connect and PubAck timeout */
  timeoutMs: number;
}

const token = /^[A-Za-z0-9_-]+$/;

export const natsTargetSchema = z
  .strictObject({
    id: id(),
    kind: z.literal('nats'),
    servers: z.array(urlWith(['nats', 'tls'])).min(1).max(32),
    subjectPrefix: z
      .string()
      .min(1)
      .max(128)
      .refine((p) => p.split('.').every((t) => token.test(t)), 'must be dot-separated tokens of A-Z, a-z, 0-9, _ and -'),
    stream: z.string().regex(token, 'has characters other than A-Z, a-z, 0-9, _ and -'),
    user: z.string().min(1).optional(),
    password: secretString().optional(),
    token: secretString().optional(),
    credsFile: z.string().min(1).optional(),
    nkeyFile: z.string().min(1).optional(),
    tls: z
      .strictObject({ caFile: z.string().min(1).optional(), certFile: z.string().min(1).optional(), keyFile: z.string().min(1).optional() })
      .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), 'certFile and keyFile go together')
      .optional(),
    createStream: z
      .strictObject({
        replicas: z.int().min(1).max(5).default(1),
        maxAgeS: z.int().min(0).max(10 * 365 * 86_400).default(7 * 86_400),
        // NATS's own default; the server keeps every id of the window in memory, so longer costs RAM.
        duplicateWindowS: z.int().min(1).max(86_400).default(120),
        maxBytes: z.int().min(1024).optional(),
        subjects: z.enum(['shared', 'gateway']).default('shared'),
      })
      .optional(),
    // Every item is its own message and a batch's publishes are all in flight at once.
    batchItems: z.int().min(1).max(100_000).default(5000),
    batchBytes: z.int().min(1024).max(64 * 1024 * 1024).default(4_000_000),
    timeoutMs: z.int().min(100).max(600_000).default(10_000),
    ...retryShape,
  })
  .superRefine((t, ctx) => {
    // One way to log in: the server would take only one of them anyway, and a mix is a typo.
    const ways = [t.user !== undefined && 'user/password', t.token && 'token', t.credsFile && 'credsFile', t.nkeyFile && 'nkeyFile'].filter(Boolean);
    if (ways.length > 1) ctx.addIssue({ code: 'custom', path: [], message: `choose one way to log in, not ${ways.join(' and ')}` });
    if ((t.user === undefined) !== (t.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [t.user === undefined ? 'user' : 'password'], message: 'user and password go together' });
    }
  });
