import { loadSiteConfig } from '../../config/index.js';
import type { SiteConfig } from '../../config/types.js';
import { startControlServer, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';
import type { Logger } from '../logger.js';
import { cliLogger, DEFAULT_CONTROL_PORT, untilSignal } from './shared.js';

export interface RunningSimulation {
  stop(): Promise<void>;
}

/** Simulates every device of a site config at the address its connection names. */
export async function startSimulation(config: SiteConfig, controlPort: number, logger: Logger): Promise<RunningSimulation> {
  const site = await startSimulatedSite(config.devices);
  const control = await startControlServer(site, { port: controlPort });
  for (const e of site.endpoints) {
    const where = e.path ?? `${e.host}:${e.port}`;
    logger.info('simulating', { transport: e.transport, at: where, unitIds: e.unitIds.join(',') });
  }
  logger.info('scenario control listening', { url: `http://127.0.0.1:${controlPort}/scenarios` });
  return {
    async stop() {
      await control.close();
      await site.stop();
    },
  };
}

/** `gateway simulate --config FILE`: the simulated equipment alone (benchmarks, bench tests). */
export async function simulateCommand(file: string, controlPort = DEFAULT_CONTROL_PORT): Promise<number> {
  const logger = cliLogger();
  const simulation = await startSimulation(loadSiteConfig(file), controlPort, logger);
  await untilSignal();
  await simulation.stop();
  return 0;
}
