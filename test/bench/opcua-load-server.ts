/**
 * A child process for the OPC UA benchmark: node-opcua's server with `items` Double variables
 * (`ns=1;s=Load.<i>`), every one of them changed every `periodMs`. Apart from the measured client
 * so the two do not share a CPU core's event loop. Started with fork(); says {ready} over IPC.
 *   argv: port items periodMs pkiDir
 */
import { DataType, type UAVariable, Variant } from 'node-opcua';
import { routeLibraryLogs } from '../../drivers/opcua/library-logs.js';
import { startOpcuaServer } from '../../drivers/opcua/simulator/server.js';
import { silentLogger } from '../../core/logger.js';

const [port, items, periodMs, pkiDir] = process.argv.slice(2);
routeLibraryLogs(silentLogger);

const variables: UAVariable[] = [];
const server = await startOpcuaServer({
  port: Number(port),
  pkiDir: pkiDir!,
  securityModes: ['None'],
  build: ({ namespace, objects }) => {
    const folder = namespace.addFolder(objects, { browseName: 'Load' });
    for (let i = 0; i < Number(items); i++) {
      variables.push(namespace.addVariable({ componentOf: folder, browseName: `V${i}`, nodeId: `s=Load.${i}`, dataType: 'Double', minimumSamplingInterval: 0 }));
    }
  },
});

let round = 0;
let changes = 0;
const timer = setInterval(() => {
  round += 1;
  const at = new Date();
  for (let i = 0; i < variables.length; i++) {
    variables[i]!.setValueFromSource(new Variant({ dataType: DataType.Double, value: round + i / 1e5 }), undefined, at);
  }
  changes += variables.length;
}, Number(periodMs));

process.on('message', (m: { stats?: boolean }) => {
  if (m.stats) process.send?.({ changes, sessions: server.sessionCount() });
});
process.on('disconnect', () => {
  clearInterval(timer);
  void server.stop().then(() => process.exit(0));
});
process.send?.({ ready: true });
