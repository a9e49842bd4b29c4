/** The action engine wired to the real step runners (app/start-gateway.ts uses this). */
import type { Logger } from '../../core/logger.js';
import type { ControlService } from '../control/types.js';
import type { Store } from '../store/types.js';
import { type ActionEngine, createActionEngine } from './engine.js';
import type { StepRunners } from './step-runner.js';
import { createMqttRunner } from './steps/mqtt.js';
import { createRunRunner } from './steps/run.js';
import { createWebhookRunner } from './steps/webhook.js';
import { createWriteRunner } from './steps/write.js';
import type { ActionsSection } from './types.js';

export function createStepRunners(options: { gatewayId: string; control?: ControlService; runDir?: string }): StepRunners {
  const mqtt = createMqttRunner(options.gatewayId);
  return {
    write: createWriteRunner(options.control),
    webhook: createWebhookRunner(),
    mqtt: mqtt.publish,
    run: createRunRunner(options.runDir),
    close: mqtt.close,
  };
}

export function createActions(options: {
  section: ActionsSection;
  gatewayId: string;
  store: Pick<Store, 'onCommit' | 'appendEvent' | 'eventsAfter' | 'stats'>;
  control?: ControlService;
  logger: Logger;
}): ActionEngine {
  const runners = createStepRunners({ gatewayId: options.gatewayId, control: options.control, runDir: options.section.runDir });
  return createActionEngine({ rules: options.section.rules, gatewayId: options.gatewayId, store: options.store, runners, logger: options.logger });
}
