/**
 * The simulated agents of the SNMP benchmark, in their own process so the gateway's CPU is
 * measured apart from theirs: one net-snmp agent per UDP port on 127.0.0.1, each answering
 * `oids` Gauge32 scalars under BENCH_SUBTREE.<n>.0 with values that change every read. Started
 * by snmp-polling.ts with one JSON argument (SnmpAgentsArgs); prints `ready` once all listen.
 */
import { pathToFileURL } from 'node:url';
import snmp from 'net-snmp';

export interface SnmpAgentsArgs {
  ports: number[];
  oids: number;
  community: string;
}

/** An enterprise subtree no real MIB uses (the IANA example enterprise). */
export const BENCH_SUBTREE = '1.3.6.1.4.1.32473.1';

function startAgent(port: number, args: SnmpAgentsArgs): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const agent = snmp.createAgent({ port, address: '127.0.0.1', disableAuthorization: false }, (err: Error | null) => {
      if (err) process.stderr.write(`agent ${port}: ${err.message}\n`);
    });
    agent.getAuthorizer().addCommunity(args.community);
    const mib = agent.getMib();
    let tick = 0;
    for (let n = 1; n <= args.oids; n++) {
      mib.registerProvider({
        name: `p${n}`,
        type: snmp.MibProviderType.Scalar,
        oid: `${BENCH_SUBTREE}.${n}`,
        scalarType: snmp.ObjectType.Gauge32,
        maxAccess: snmp.MaxAccess['read-only'],
        handler: (req: { instanceNode: { value: number }; done(): void }) => {
          req.instanceNode.value = 2000 + ((tick++ * 7 + n) % 500);
          req.done();
        },
      });
      mib.setScalarValue(`p${n}`, 2000 + n);
    }
    const socket = Object.values(agent.listener?.sockets ?? {})[0];
    if (!socket) throw new Error('net-snmp agent has no socket');
    socket.once('listening', () => resolve({ close: () => agent.close() }));
    socket.once('error', reject);
  });
}

async function main(args: SnmpAgentsArgs): Promise<void> {
  const agents: { close(): void }[] = [];
  for (const port of args.ports) agents.push(await startAgent(port, args));
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    for (const a of agents) a.close();
    process.exit(0);
  });
}

// Run as a script; imported (for BENCH_SUBTREE and the types), it does nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(JSON.parse(process.argv[2] ?? '{}') as SnmpAgentsArgs);
}
