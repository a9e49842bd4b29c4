/**
 * An `mqtt` step: one publish to an external broker, with the alarm notifier's MQTT sender (one
 * client per distinct broker/topic, kept between runs, closed with the engine). The topic's
 * fields cannot bring MQTT wildcards or separators in; the payload is sent as JSON.
 */
import { errorMessage } from '../../../core/errors.js';
import { publicUrl, scrubUrls } from '../../../core/redact-url.js';
import { createMqttSender, type Sender } from '../../alarms/notify-senders.js';
import type { StepContext, StepOutcome } from '../step-runner.js';
import { fillValue } from '../template.js';
import type { MqttStep } from '../types.js';

export function createMqttRunner(gatewayId: string) {
  const senders = new Map<string, Sender>();
  const senderFor = (step: MqttStep['mqtt'], actionId: string): Sender => {
    const key = JSON.stringify([actionId, step.url, step.username, step.topic, step.qos, step.retain, step.timeoutMs]);
    let sender = senders.get(key);
    if (!sender) {
      const target = { type: 'mqtt' as const, ...step, severities: [], kinds: [], retries: 0 };
      sender = createMqttSender(target, `${gatewayId}-action-${actionId}-${senders.size}`);
      senders.set(key, sender);
    }
    return sender;
  };
  return {
    async publish(step: MqttStep['mqtt'], ctx: StepContext): Promise<StepOutcome> {
      const payload = step.payload === undefined ? { actionId: ctx.actionId, trigger: ctx.trigger } : fillValue(step.payload, ctx.fields);
      try {
        await senderFor(step, ctx.actionId).send({ topicFields: ctx.fields, body: payload });
        return { ok: true, result: { broker: publicUrl(step.url) } };
      } catch (err) {
        return { ok: false, result: { broker: publicUrl(step.url) }, error: scrubUrls(errorMessage(err)) };
      }
    },
    async close(): Promise<void> {
      await Promise.all([...senders.values()].map((s) => s.close()));
      senders.clear();
    },
  };
}
