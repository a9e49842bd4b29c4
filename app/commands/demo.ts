import { randomBytes } from 'node:crypto';
import { loadSiteConfig } from '../../config/index.js';
import type { SiteConfig } from '../../config/types.js';
import { resetDemoAccounts } from '../../gateway/auth/bootstrap.js';
import { startGateway } from '../start-gateway.js';
import { packageVersion } from '../version.js';
import { cliLogger, DEFAULT_CONTROL_PORT, demoConfigPath, untilSignal } from './shared.js';
import { startSimulation } from './simulate.js';

/** Where the demo's SNMP community comes from (the demo sets it when absent). */
export const DEMO_SNMP_COMMUNITY = 'GATEWAY_DEMO_SNMP_COMMUNITY';

/** `gateway demo`: the simulated site and the gateway on it, in one process. */
export async function demoCommand(file = demoConfigPath(), controlPort = DEFAULT_CONTROL_PORT): Promise<number> {
  // The demo's SNMP devices and trap receiver take their community from the environment, like any
  // site: a new one on every start unless the user gave theirs, so `npm start` needs no setup.
  const snmpCommunity = process.env[DEMO_SNMP_COMMUNITY] === undefined ? randomBytes(9).toString('base64url') : undefined;
  if (snmpCommunity !== undefined) process.env[DEMO_SNMP_COMMUNITY] = snmpCommunity;
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
      '  Scenarios: npm run scenario power-failure on   (or cooling-failure, hot-spot, crac-degrading; "off" ends it)',
      ...snmpLines(config, snmpCommunity),
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

/** How to query the demo's SNMP agents; the community is shown only when the demo made it up. */
function snmpLines(config: SiteConfig, generated: string | undefined): string[] {
  const agents = config.devices.flatMap((d) => (d.driver === 'snmp' ? [`${d.connection.host}:${d.connection.port}`] : []));
  if (agents.length === 0) return [];
  const community = generated ?? `$${DEMO_SNMP_COMMUNITY}`;
  return [`  SNMP:      agents on ${agents.join(', ')} (v2c), e.g. snmpwalk -v2c -c ${community} ${agents[0]} 1.3.6.1.2.1.1`];
}
