/**
 * Alarm figures as Prometheus metric families (the shape GET /metrics renders; structural, so the
 * core does not depend on the web layer).
 */
import type { AlarmHealth } from './types.js';

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels?: Record<string, string>; value: number }[];
}

export function alarmMetricFamilies(h: AlarmHealth): Family[] {
  const gauge = (name: string, help: string, value: number): Family => ({ name, help, type: 'gauge', samples: [{ value }] });
  const perTarget = (name: string, help: string, value: (t: AlarmHealth['notifications'][number]) => number): Family => ({
    name,
    help,
    type: 'counter',
    samples: h.notifications.map((t) => ({ labels: { target: t.target, type: t.type }, value: value(t) })),
  });
  return [
    gauge('gateway_alarms_active', 'Alarms whose condition is active', h.active),
    gauge('gateway_alarms_unacknowledged', 'Alarms waiting for an acknowledgement (unack, rtn-unack, latched)', h.unacked),
    gauge('gateway_alarms_shelved', 'Shelved alarms', h.shelved),
    gauge('gateway_alarms_out_of_service', 'Alarms out of service', h.outOfService),
    gauge('gateway_alarms_chattering', 'Alarms flagged as chattering', h.chattering),
    gauge('gateway_alarm_raises_last_10m', 'Alarm raises across the site in the last 10 minutes', h.raisesLast10Min),
    gauge('gateway_alarm_flood', '1 while the raise rate is above the flood limit', h.flood ? 1 : 0),
    perTarget('gateway_alarm_notifications_sent_total', 'Alarm notifications delivered', (t) => t.sent),
    perTarget('gateway_alarm_notifications_failed_total', 'Alarm notifications given up after their retries', (t) => t.failed),
    perTarget('gateway_alarm_notifications_dropped_total', 'Alarm notifications dropped because the queue was full', (t) => t.dropped),
  ];
}
