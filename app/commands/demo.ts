import { loadSiteConfig } from '../../config/index.js';
import { resetDemoAccounts } from '../../gateway/auth/bootstrap.js';
import { startGateway } from '../start-gateway.js';
import { packageVersion } from '../version.js';
import { cliLogger, DEFAULT_CONTROL_PORT, demoConfigPath, untilSignal } from './shared.js';
import { startSimulation } from './simulate.js';

/** `gateway demo`: the simulated site and the gateway on it, in one process. */
export async function demoCommand(file = demoConfigPath(), controlPort = DEFAULT_CONTROL_PORT): Promise<number> {
  const config = loadSiteConfig(file);
  const logger = cliLogger(config.gateway.logLevel);
  const stopRequested = untilSignal();
  const simulation = await startSimulation(config, controlPort, logger.child({ component: 'simulator' }));
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(config, { logger, version: packageVersion(), firstAdmin: false });
  } catch (err) {
    await simulation.stop();
    throw err;
  }
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  // Fresh passwords on every start: the demo has no default password that works anywhere else.
  const accounts = await resetDemoAccounts(gateway.users, process.env);
  process.stdout.write(
    [
      '',
      `  Demo site running. Dashboard: http://${host}:${gateway.port}/`,
      `  API:       http://${host}:${gateway.port}/api/v1/points`,
      '  Log in as (passwords are new on every start):',
      ...accounts.map((a) => `    ${a.role.padEnd(9)} user: ${a.name.padEnd(9)} password: ${a.password}`),
      '  Scenarios: npm run scenario power-failure on   (or cooling-failure, hot-spot; "off" ends it)',
      ...(config.mqttBroker?.enabled ? [`  MQTT:      broker on ${config.mqttBroker.host}:${config.mqttBroker.port} (simulated sensors log in as demo-sensors)`] : []),
      '  Stop:      Ctrl-C',
      '',
    ].join('\n'),
  );
  await stopRequested;
  await gateway.stop();
  await simulation.stop();
  return 0;
}
