/**
 * Alarm notifications: routes committed `alarm.*` events to webhook and MQTT targets by severity
 * and kind. notify() only queues, so a slow or dead target never delays alarm evaluation. Each
 * target delivers in order, one at a time, retrying a failed send with backoff; after its retries
 * a notification is counted as failed and the next one goes. Only committed events are sent, with
 * their seq, so a receiver can drop the duplicates an at-least-once retry may produce.
 * A chattering alarm's raise/return notifications are suppressed (and counted) until it settles.
 */
import { type BackoffPolicy, backoffDelay } from '../../core/backoff.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { scrubUrls } from '../../core/redact-url.js';
import type { StoredEvent } from '../store/types.js';
import { createMqttSender, createWebhookSender, type Notification, type Sender } from './notify-senders.js';
import { ALARM_EVENT_PREFIX } from './recovery.js';
import type { AlarmEventData, NotifyKind, NotifyTarget, NotifyTargetHealth } from './types.js';

export interface NotifierOptions {
  targets: readonly NotifyTarget[];
  gatewayId: string;
  logger: Logger;
  now?: () => number;
  backoff?: BackoffPolicy;
  /** notifications waiting per target; beyond it the oldest is dropped (default 1000) */
  maxQueue?: number;
  /**
   * Holds an alarm's notification back (counted as suppressed): the incident engine's hook for a
   * symptom of an active cause, so one cause is one notification, not thirty.
   */
  isHeld?: (alarm: AlarmEventData) => boolean;
  /** for tests: build a sender other than the real webhook/MQTT one */
  createSender?: (target: NotifyTarget, index: number) => Sender;
}

export interface AlarmNotifier {
  /** Queues what the committed events call for; returns at once. */
  notify(events: readonly StoredEvent[]): void;
  health(): NotifyTargetHealth[];
  /** Resolves when every queue is empty (or after timeoutMs). */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_NOTIFY_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000 };

/** What an alarm event means to someone being notified. */
export function notifyKind(data: AlarmEventData): NotifyKind {
  switch (data.transition) {
    case 'raised':
      return 'raised';
    case 'returned':
      return 'returned';
    case 'acked':
    case 'reset':
      return 'acked';
    case 'unshelved':
    case 'in-service':
      // Coming back while the condition holds re-annunciates the alarm.
      return data.state === 'unack' ? 'raised' : 'shelved';
    case 'shelved':
    case 'out-of-service':
      return 'shelved';
    default:
      return 'other';
  }
}

interface Queue {
  target: NotifyTarget;
  sender: Sender;
  items: Notification[];
  busy: boolean;
  health: NotifyTargetHealth;
  retryTimer?: NodeJS.Timeout;
  wake?: () => void;
}

export function createAlarmNotifier(options: NotifierOptions): AlarmNotifier {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const backoff = options.backoff ?? DEFAULT_NOTIFY_BACKOFF;
  const maxQueue = options.maxQueue ?? 1000;
  let closed = false;
  const idleWaiters = new Set<() => void>();

  const makeSender =
    options.createSender ??
    ((t: NotifyTarget, i: number) => (t.type === 'webhook' ? createWebhookSender(t) : createMqttSender(t, `${options.gatewayId}-alarms-${i}`)));

  const queues: Queue[] = options.targets.map((target, i) => {
    const sender = makeSender(target, i);
    return {
      target,
      sender,
      items: [],
      busy: false,
      health: {
        target: sender.name,
        type: target.type,
        sent: 0,
        failed: 0,
        retried: 0,
        queued: 0,
        dropped: 0,
        suppressed: 0,
        lastError: null,
        lastErrorAt: null,
        lastSentAt: null,
      },
    };
  });

  const allIdle = () => queues.every((q) => !q.busy && q.items.length === 0);
  const checkIdle = () => {
    if (!allIdle()) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters.clear();
  };

  function wait(q: Queue, ms: number): Promise<void> {
    return new Promise((resolve) => {
      q.wake = resolve;
      q.retryTimer = setTimeout(resolve, ms);
      q.retryTimer.unref();
    });
  }

  async function pump(q: Queue): Promise<void> {
    if (q.busy) return;
    q.busy = true;
    try {
      while (!closed && q.items.length > 0) {
        const item = q.items[0]!;
        let attempt = 0;
        for (;;) {
          try {
            await q.sender.send(item);
            q.health.sent++;
            q.health.lastSentAt = now();
            break;
          } catch (err) {
            // fetch errors may quote the webhook URL, whose path or query is often its secret.
            const message = scrubUrls(errorMessage(err));
            if (message !== q.health.lastError) logger.warn('alarm notification failed', { target: q.health.target, err: message, attempt: attempt + 1 });
            q.health.lastError = message;
            q.health.lastErrorAt = now();
            if (closed || attempt >= q.target.retries) {
              q.health.failed++;
              break;
            }
            attempt++;
            q.health.retried++;
            await wait(q, backoffDelay(backoff, attempt));
          }
        }
        // The item may have been dropped for space meanwhile; only shift it if it is still first.
        if (q.items[0] === item) q.items.shift();
        q.health.queued = q.items.length;
      }
    } finally {
      q.busy = false;
      checkIdle();
    }
  }

  return {
    notify(events) {
      if (closed || queues.length === 0) return;
      for (const e of events) {
        if (!e.type.startsWith(ALARM_EVENT_PREFIX)) continue;
        const data = e.data as unknown as AlarmEventData;
        if (typeof data.alarmId !== 'string') continue;
        const kind = notifyKind(data);
        const held = (kind === 'raised' || kind === 'returned') && options.isHeld?.(data) === true;
        const body = { gatewayId: options.gatewayId, seq: e.seq, ts: e.ts, type: e.type, kind, alarm: data };
        const topicFields = { gatewayId: options.gatewayId, alarmId: data.alarmId, severity: data.severity, transition: data.transition };
        for (const q of queues) {
          if (!q.target.severities.includes(data.severity) || !q.target.kinds.includes(kind)) continue;
          if (held || (data.chattering && (kind === 'raised' || kind === 'returned'))) {
            q.health.suppressed++;
            continue;
          }
          if (q.items.length >= maxQueue) {
            // Drop the oldest waiting one, never the one being sent.
            q.items.splice(q.busy ? 1 : 0, 1);
            q.health.dropped++;
          }
          q.items.push({ topicFields, body });
          q.health.queued = q.items.length;
          void pump(q);
        }
      }
    },
    health: () => queues.map((q) => ({ ...q.health })),
    idle(timeoutMs = 10_000) {
      if (allIdle()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          idleWaiters.delete(done);
          resolve();
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        idleWaiters.add(done);
      });
    },
    async close() {
      closed = true;
      for (const q of queues) {
        if (q.retryTimer) clearTimeout(q.retryTimer);
        q.wake?.();
      }
      await Promise.all(queues.map((q) => q.sender.close().catch(() => undefined)));
    },
  };
}
