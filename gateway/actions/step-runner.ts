/**
 * The contract between the engine and the four step kinds: a runner does one step and says how it
 * went; a throw counts as a failure with its message. describeStep is the one line the page, the
 * API and a dry run show (URLs reduced to scheme://host:port: a path or query may be a secret).
 */
import { publicUrl } from '../../core/redact-url.js';
import type { TemplateFields } from './template.js';
import type { ActionStep, MqttStep, RunStep, RunTrigger, StepKind, WebhookStep, WriteStep } from './types.js';

export interface StepContext {
  actionId: string;
  trigger: RunTrigger;
  fields: TemplateFields;
}

export interface StepOutcome {
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface StepRunners {
  write(step: WriteStep['write'], ctx: StepContext): Promise<StepOutcome>;
  webhook(step: WebhookStep['webhook'], ctx: StepContext): Promise<StepOutcome>;
  mqtt(step: MqttStep['mqtt'], ctx: StepContext): Promise<StepOutcome>;
  run(step: RunStep['run'], ctx: StepContext): Promise<StepOutcome>;
  /** releases connections (MQTT clients) */
  close?(): Promise<void>;
}

export function stepKind(step: ActionStep): StepKind {
  if ('write' in step) return 'write';
  if ('webhook' in step) return 'webhook';
  if ('mqtt' in step) return 'mqtt';
  return 'run';
}

export function describeStep(step: ActionStep): string {
  if ('write' in step) return `write ${step.write.point} = ${JSON.stringify(step.write.value)}`;
  if ('webhook' in step) return `webhook ${step.webhook.method} ${publicUrl(step.webhook.url)}`;
  if ('mqtt' in step) return `mqtt publish ${step.mqtt.topic} to ${publicUrl(step.mqtt.url)}`;
  return `run ${step.run.program}${step.run.args.length > 0 ? ` ${step.run.args.map((a) => JSON.stringify(a)).join(' ')}` : ''}`;
}

/** Runs a step with the runner of its kind. */
export function runStep(runners: StepRunners, step: ActionStep, ctx: StepContext): Promise<StepOutcome> {
  if ('write' in step) return runners.write(step.write, ctx);
  if ('webhook' in step) return runners.webhook(step.webhook, ctx);
  if ('mqtt' in step) return runners.mqtt(step.mqtt, ctx);
  return runners.run(step.run, ctx);
}
