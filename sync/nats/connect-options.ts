/**
 * The NATS client's connection options for a target: servers, TLS files, and one way to log in.
 * Secrets (password, token) are revealed here only; the seed and creds files are read at each login,
 * so a rotated file is picked up by the next connection without a restart.
 */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, type NodeConnectionOptions, nkeyAuthenticator } from '@nats-io/transport-node';
import { backoffDelay } from '../../core/backoff.js';
import type { NatsTargetConfig } from './config-schema.js';

export interface NatsConnectOptions {
  options: NodeConnectionOptions;
  /** a connection is up again: the next outage backs off from the start */
  reconnected(): void;
}

/** Reconnects after the first connection are the client's own loop, paced by our backoff with jitter. */
export function natsConnectOptions(target: NatsTargetConfig, gatewayId: string, random: () => number): NatsConnectOptions {
  let attempts = 0;
  return {
    options: {
      servers: target.servers,
      name: `${gatewayId}/${target.id}`,
      timeout: target.timeoutMs,
      reconnect: true,
      maxReconnectAttempts: -1,
      // A refused login keeps being retried (health shows it) rather than closing the connection for good.
      ignoreAuthErrorAbort: true,
      reconnectDelayHandler: () => backoffDelay({ initialMs: target.retryInitialMs, maxMs: target.retryMaxMs }, ++attempts, random),
      // A tls:// server means TLS even without files (the system's CAs then).
      ...(target.tls || target.servers.some((u) => u.startsWith('tls://')) ? { tls: tlsOptions(target.tls ?? {}) } : {}),
      ...auth(target),
    },
    reconnected: () => {
      attempts = 0;
    },
  };
}

function tlsOptions(tls: NonNullable<NatsTargetConfig['tls']>): NonNullable<NodeConnectionOptions['tls']> {
  return {
    ...(tls.caFile ? { caFile: tls.caFile } : {}),
    ...(tls.certFile ? { certFile: tls.certFile } : {}),
    ...(tls.keyFile ? { keyFile: tls.keyFile } : {}),
  };
}

function auth(target: NatsTargetConfig): Partial<NodeConnectionOptions> {
  if (target.user !== undefined && target.password) return { user: target.user, pass: target.password.reveal() };
  if (target.token) return { token: target.token.reveal() };
  // Read at every login, not once: a rotated file is used by the next connection.
  const { credsFile, nkeyFile } = target;
  if (credsFile) return { authenticator: credsAuthenticator(() => readFileSync(credsFile)) };
  if (nkeyFile) return { authenticator: nkeyAuthenticator(() => new TextEncoder().encode(readFileSync(nkeyFile, 'utf8').trim())) };
  return {};
}
