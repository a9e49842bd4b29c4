/**
 * MQTT figures as Prometheus metric families (the shape GET /metrics renders; structural, so the
 * driver does not depend on the web layer): what arrived, what was refused and why, and how often
 * the broker held a client back.
 */
import type { BrokerStats } from './embedded-broker.js';
import type { IngestCounters } from './ingest-stats.js';
import type { SourceStatus } from './message-source.js';

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels?: Record<string, string>; value: number }[];
}

/** The MQTT section of GET /api/v1/health (runtime.ts builds it). */
export interface MqttHealth {
  /** null when the embedded broker is off */
  broker: (BrokerStats & { port: number | null; tlsPort: number | null }) | null;
  /** one per broker connection the ingest uses */
  links: SourceStatus[];
  ingest: IngestCounters;
}

export function mqttMetricFamilies(h: MqttHealth): Family[] {
  const counter = (name: string, help: string, value: number): Family => ({ name, help, type: 'counter', samples: [{ value }] });
  const families: Family[] = [
    counter('gateway_mqtt_messages_total', 'MQTT messages that reached the ingest', h.ingest.messages),
    counter('gateway_mqtt_values_total', 'Values the MQTT ingest took (each one stored sample)', h.ingest.values),
    {
      name: 'gateway_mqtt_rejected_total',
      help: 'MQTT input refused by the ingest, by reason (rate-limited: faster than pointRateLimit)',
      type: 'counter',
      samples: Object.entries(h.ingest.rejected).map(([reason, value]) => ({ labels: { reason }, value })),
    },
  ];
  if (h.broker) {
    families.push(
      { name: 'gateway_mqtt_broker_clients', help: 'Clients connected to the embedded broker', type: 'gauge', samples: [{ value: h.broker.clients }] },
      counter('gateway_mqtt_broker_publish_throttled_total', 'Publishes the embedded broker held back (client over clientRateLimit)', h.broker.publishThrottled),
    );
  }
  return families;
}
