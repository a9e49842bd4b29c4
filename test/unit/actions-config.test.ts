/** The `actions:` section through the site loader: defaults, the run folder resolved, located problems. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';

const FILE = join('site', 'gw.yaml');
const site = (actions: string) => `gateway: { id: gw1 }
sync: { targets: [] }
devices:
  - id: crac2
    driver: modbus
    connection: { host: 127.0.0.1, port: 5020, unitId: 1 }
    points:
      - { key: unit_on, table: coil, address: 0, write: { values: [true, false] } }
      - { key: supply_temp, table: input, address: 0, type: int16 }
${actions}`;

describe('actions config', () => {
  it('loads rules with their defaults and resolves actionsRunDir from the file', () => {
    const { problems, config } = parseSiteConfig(
      site(`actionsRunDir: ./bin
actions:
  - id: start-standby-crac
    on: { incident: cooling-loss-hall-a }
    do: [ { write: { point: crac2.unit_on, value: true } }, { run: { program: page.sh, args: ["{triggerId}"] } } ]
  - id: tick
    on: { every: 5m }
    do: [ { webhook: { url: "http://127.0.0.1:9000/x" } } ]
`),
      FILE,
    );
    expect(problems).toEqual([]);
    expect(config!.actions!.runDir).toBe(join(process.cwd(), 'site', 'bin'));
    expect(config!.actions!.rules[0]).toEqual({
      id: 'start-standby-crac',
      on: { incident: 'cooling-loss-hall-a', transition: 'raised' },
      do: [{ write: { point: 'crac2.unit_on', value: true } }, { run: { program: 'page.sh', args: ['{triggerId}'], timeoutMs: 10_000 } }],
      cooldownS: 60,
      dryRun: false,
      enabled: true,
      maxRunsPerHour: 6,
    });
    expect(config!.actions!.rules[1]!.on).toEqual({ everyS: 300 });
    expect(config!.actions!.rules[1]!.do[0]).toMatchObject({ webhook: { method: 'POST', timeoutMs: 5000, headers: {} } });
  });

  it('reports problems with their line and path', () => {
    const { problems } = parseSiteConfig(
      site(`actions:
  - id: a
    on: { incident: x }
    do: [ { write: { point: crac2.supply_temp, value: 1 } } ]
  - id: b
    on: { every: "*/5 * * * *" }
    do: [ { run: { program: x.sh } } ]
`),
      FILE,
    );
    expect(problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '13 actions[0].do[0].write.point: crac2.supply_temp is not writable (its point has no write block)',
      '15 actions[1].on.every: must be an interval like 30s, 5m, 2h or 1d, from 10 s to 7 days (cron expressions are not supported)',
    ]);
  });

  it('a run step without actionsRunDir does not load', () => {
    const { problems } = parseSiteConfig(site(`actions:\n  - { id: a, on: { alarm: "*" }, do: [ { run: { program: x.sh } } ] }\n`), FILE);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual(['actions[0].do[0].run: a run step needs actionsRunDir: the folder its programs must be in']);
  });
});
