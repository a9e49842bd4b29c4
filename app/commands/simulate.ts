import { loadSiteConfig } from '../../config/index.js';
import type { SiteConfig } from '../../config/types.js';
import type { DriverModule, RunningSimulation as ModuleSimulation } from '../../core/driver-module.js';
import { initialScenarios } from '../../core/scenarios.js';
import { createSiteCooling } from '../../core/site-cooling.js';
import { startControlServer } from '../../drivers/modbus/simulator/control-server.js';
import { DRIVER_MODULES } from '../../drivers/registry.js';
import type { Logger } from '../../core/logger.js';
import { cliLogger, DEFAULT_CONTROL_PORT, untilSignal } from './shared.js';

export interface RunningSimulation {
  stop(): Promise<void>;
}

/**
 * Simulates every device of a site config at the address its connection names: each registered
 * driver module simulates its own devices, and all of them read one set of scenario switches, so
 * one PUT to the control server drives the whole site.
 */
export async function startSimulation(config: SiteConfig, controlPort: number, logger: Logger, env = process.env): Promise<RunningSimulation> {
  const scenarios = initialScenarios();
  const running: ModuleSimulation[] = [];
  const stopAll = async () => {
    for (const sim of running.splice(0).reverse()) await sim.stop();
  };
  try {
    // one cooling state for every module: a Modbus CRAC's trip warms the MQTT rack sensors beside it
    const cooling = createSiteCooling();
    const ctx = { site: config, dataDir: config.gateway.dataDir, logger, env, scenarios: () => scenarios, cooling };
    for (const module of DRIVER_MODULES as readonly DriverModule<SiteConfig['devices'][number], SiteConfig>[]) {
      const devices = config.devices.filter((d) => d.driver === module.name);
      if (devices.length > 0 && module.simulate) running.push(await module.simulate(devices, ctx));
    }
    const control = await startControlServer(
      {
        scenarios: () => ({ ...scenarios }),
        setScenario(name, active) {
          scenarios[name] = active;
          for (const sim of running) sim.scenariosChanged?.();
        },
      },
      { port: controlPort },
    );
    running.unshift({ stop: () => control.close() });
  } catch (err) {
    await stopAll();
    throw err;
  }
  logger.info('scenario control listening', { url: `http://127.0.0.1:${controlPort}/scenarios` });
  return { stop: stopAll };
}

/** `gateway simulate --config FILE`: the simulated equipment alone (benchmarks, bench tests). */
export async function simulateCommand(file: string, controlPort = DEFAULT_CONTROL_PORT): Promise<number> {
  const logger = cliLogger();
  const stopRequested = untilSignal();
  const simulation = await startSimulation(loadSiteConfig(file), controlPort, logger);
  await stopRequested;
  await simulation.stop();
  return 0;
}
