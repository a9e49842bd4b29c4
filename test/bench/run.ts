/**
 * `npm run bench`: every benchmark in order, one table. Each row carries the raw-library baseline
 * measured in the same run, so ratios hold on a noisy machine. A missed target shows in the
 * table; the exit code is non-zero only when a benchmark could not run.
 */
import { type BenchRow, printTable } from './bench-row.js';
import { createChildGroup } from './child-group.js';
import { builtCli } from './gateway-processes.js';
import { benchModbusPolling } from './modbus-polling.js';
import { benchSiteLoad } from './site-load.js';
import { benchStoreIngest } from './store-ingest.js';

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
    ['modbus polling', () => benchModbusPolling({ children, cli })],
    ['site load (CPU, memory)', () => benchSiteLoad({ children, cli })],
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
