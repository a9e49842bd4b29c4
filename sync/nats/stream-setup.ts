/**
 * At connect: the JetStream stream that must hold the gateway's messages. It must exist and capture
 * both subjects; a missing one is created only when the config says how (`createStream`), because a
 * stream's replicas, limits and retention are the central team's decision. A duplicate window
 * shorter than the gateway's longest resend delay lets a late resend through as a duplicate: the
 * transport warns about it (once).
 */
import { type JetStreamManager, JetStreamApiError, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos, millis } from '@nats-io/transport-node';
import type { Logger } from '../../core/logger.js';
import type { NatsStreamSettings } from './config-schema.js';
import type { FailureKind } from '../transport.js';

/** A setup problem with its kind for the runner (`rejected`: fix the stream or the config). */
export class NatsSetupError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
  ) {
    super(message);
  }
}

export interface StreamSetup {
  stream: string;
  /** the subjects the gateway publishes to */
  subjects: string[];
  /** with createStream: its settings and the subjects it captures */
  create?: { settings: NatsStreamSettings; subjects: string[] };
  logger: Logger;
}

/** codes of the JetStream API (nats-server's errors.json) */
const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
const SUBJECTS_OVERLAP = 10065;

/** Checks (or creates) the stream; resolves with its duplicate window in ms. */
export async function ensureStream(jsm: JetStreamManager, setup: StreamSetup): Promise<number> {
  const { stream, subjects, logger } = setup;
  let info = await jsm.streams.info(stream).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND) return undefined;
    throw err;
  });
  if (!info) {
    if (!setup.create) {
      throw new NatsSetupError(
        `JetStream stream "${stream}" does not exist: create it to capture ${subjects.join(' and ')} (or set createStream on the target)`,
        'rejected',
      );
    }
    info = await create(jsm, stream, setup.create);
    logger.info('created the JetStream stream', {
      stream,
      subjects: setup.create.subjects,
      replicas: info.config.num_replicas,
      maxAgeS: millis(info.config.max_age) / 1000,
    });
  }
  for (const subject of subjects) {
    const owner = await jsm.streams.find(subject).catch(() => undefined);
    if (owner !== stream) {
      throw new NatsSetupError(
        `JetStream stream "${stream}" does not capture ${subject} (its subjects: ${info.config.subjects?.join(', ') || 'none'}` +
          `${owner ? `; stream "${owner}" does` : ''})`,
        'rejected',
      );
    }
  }
  return millis(info.config.duplicate_window);
}

async function create(jsm: JetStreamManager, stream: string, create: NonNullable<StreamSetup['create']>) {
  const { settings } = create;
  try {
    return await jsm.streams.add({
      name: stream,
      subjects: create.subjects,
      num_replicas: settings.replicas,
      max_age: nanos(settings.maxAgeS * 1000),
      duplicate_window: nanos(settings.duplicateWindowS * 1000),
      ...(settings.maxBytes ? { max_bytes: settings.maxBytes } : {}),
      // On disk, limits-based, oldest dropped first: the stream is the fleet's buffer, not a work queue.
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
    });
  } catch (err) {
    // Another gateway sharing the stream created it a moment ago.
    if (err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE) return jsm.streams.info(stream);
    if (err instanceof JetStreamApiError && err.code === SUBJECTS_OVERLAP) {
      throw new NatsSetupError(`cannot create JetStream stream "${stream}": another stream already captures ${create.subjects.join(', ')}`, 'rejected');
    }
    if (err instanceof JetStreamApiError) {
      throw new NatsSetupError(`cannot create JetStream stream "${stream}": ${err.message}`, 'rejected');
    }
    throw err;
  }
}
