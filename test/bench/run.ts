/**
 * `npm run bench`: every benchmark in order, one table. Each row carries the raw-library baseline
 * measured in the same run, so ratios hold on a noisy machine. A missed target shows in the
 * table; the exit code is non-zero only when a benchmark could not run.
 */
import { benchAlarms } from './alarms-engine.js';
import { benchAnalyticsBudget } from './analytics-budget.js';
import { type BenchRow, printTable } from './bench-row.js';
import { createChildGroup } from './child-group.js';
import { builtCli } from './gateway-processes.js';
import { benchIncidentEval } from './incident-eval.js';
import { benchModbusPolling } from './modbus-polling.js';
import { benchMqttFlood } from './mqtt-flood.js';
import { benchMqtt } from './mqtt-ingest.js';
import { benchOpcua } from './opcua-bench.js';
import { benchPiBox } from './pi-box.js';
import { benchRbeDiskWrites } from './rbe-disk-writes.js';
import { benchMemoryComponents } from './memory-components.js';
import { benchSiteLoad } from './site-load.js';
import { benchStartup } from './startup-time.js';
import { benchSnapshotBuild } from './snapshot-build.js';
import { benchSnmpPolling } from './snmp-polling.js';
import { benchStoreIngest } from './store-ingest.js';
import { benchSync } from './sync-drain.js';
import { benchSyncNats } from './sync-drain-nats.js';
import { benchSyncTsdb } from './sync-drain-tsdb.js';
import { benchWeb } from './web-page.js';

async function main(): Promise<number> {
  const cli = builtCli();
  const children = createChildGroup();
  // Ctrl-C or a service stop: go through process.exit so the group's exit hook kills the children.
  const interrupt = (signal: NodeJS.Signals) => {
    process.stderr.write(`bench: ${signal}, stopping\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const sections: [string, () => Promise<BenchRow[]>][] = [
    ['store ingest', benchStoreIngest],
    ['alarm engine', benchAlarms],
    ['incident evaluation (500 rules, topology, 10 k points)', benchIncidentEval],
    ['analytics budget (1 000 analysed of 10 k points: ingest, refit CPU, RSS)', benchAnalyticsBudget],
    ['event snapshot build (50 points x 15 min)', benchSnapshotBuild],
    ['modbus polling', () => benchModbusPolling({ children, cli })],
    ['site load (CPU, memory)', () => benchSiteLoad({ children, cli })],
    ['memory by component (10 k-point site in stages: devices, alarms, analytics, every feature)', () => benchMemoryComponents({ children, cli })],
    ['start-up (gateway run -> page answering, -> all devices up; with and without OPC UA)', () => benchStartup({ children, cli })],
    ['Pi box (one core, 64 MB old space: 5 min at 200 devices, then larger sites)', () => benchPiBox({ children, cli })],
    ['snmp polling (200 agents x 30 OIDs @ 10 s, CPU and readings/s)', () => benchSnmpPolling({ children, cli })],
    ['opcua (10 k monitored items, RSS with/without)', benchOpcua],
    ['mqtt ingest (publisher -> embedded broker -> SQLite)', () => benchMqtt()],
    ['mqtt flood (one client floods a running gateway: health, polls, memory)', () => benchMqttFlood({ children, cli })],
    ['upstream sync (1 M-reading backlog)', benchSync],
    ['upstream sync into NATS JetStream (1 M-reading backlog, raw publish beside it)', benchSyncNats],
    ['upstream sync into VictoriaMetrics (1 M-reading backlog: remote_write, line protocol)', benchSyncTsdb],
    ['web page (10 k points, 20 live clients)', benchWeb],
    ['disk writes per hour, report-by-exception (10 k points of simulated UPS/PDU/CRAC, 5 minutes, three stores side by side)', () => benchRbeDiskWrites()],
  ];
  const rows: BenchRow[] = [];
  const started = performance.now();
  try {
    for (const [name, run] of sections) {
      const t0 = performance.now();
      process.stderr.write(`bench: ${name}...\n`);
      rows.push(...(await run()));
      process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await children.dispose();
  }
  printTable(rows);
  const missed = rows.filter((r) => r.pass === false).length;
  console.log(
    `\n${rows.filter((r) => r.pass !== undefined).length - missed} targets met, ${missed} missed; ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench: a benchmark could not run:', err);
    process.exit(1);
  },
);
