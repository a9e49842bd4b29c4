/** The driver contract for OPC UA, in both modes, against node-opcua's server (one per file). */
import { afterAll, beforeAll } from 'vitest';
import { createOpcuaDriver } from '../../drivers/opcua/driver.js';
import { silentLogger } from '../../core/logger.js';
import { createTestPki, opcuaDevice, silenceOpcuaLibrary, type TestPki } from '../helpers/opcua-fixtures.js';
import { startTestOpcuaServer, type TestOpcuaServer, testPoints } from '../helpers/opcua-server.js';
import { describeDriverContract } from './driver-contract.js';

let server: TestOpcuaServer;
let pki: TestPki;

beforeAll(async () => {
  silenceOpcuaLibrary();
  [server, pki] = await Promise.all([startTestOpcuaServer(), Promise.resolve(createTestPki())]);
});

afterAll(async () => {
  await server?.dispose();
  await pki?.remove();
});

for (const mode of ['subscribe', 'poll'] as const) {
  let change = 0;
  describeDriverContract(
    `opcua ${mode}`,
    async () => {
    const points = testPoints('ahu1');
    const driver = createOpcuaDriver(opcuaDevice('ahu1', server.endpoint, points, { mode }), { pki, logger: silentLogger });
    return {
      driver,
      expectedPointIds: points.map((p) => p.id),
      breakLink: () => server.stop(),
      restoreLink: () => server.start(),
      async teardown() {
        // the next test expects a running server
        if (!server.running) await server.start();
      },
      async changeValue() {
        change += 1;
        const value = 40 + change;
        server.set('Temperature', value);
        return value;
      },
    };
  },
    { push: mode === 'subscribe' },
  );
}
