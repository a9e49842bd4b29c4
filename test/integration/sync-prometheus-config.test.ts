/**
 * The `prometheus` and `influx` target options as a site file states them: the examples of
 * docs/sync-protocol.md §13/§14 parse with their defaults, and each refused combination is
 * reported at its line. (Config only; the engines are in the other sync-prometheus/influx files.)
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { influxWriteUrl } from '../../sync/tsdb/influx-transport.js';

const HEAD = 'gateway: { id: gw1 }\ndevices: []\n';
const parse = (sync: string) => parseSiteConfig(`${HEAD}${sync}`, '/site/site.yaml');
const messages = (sync: string) => parse(sync).problems.map((p) => `${p.line} ${p.path}: ${p.message}`);

afterEach(() => {
  delete process.env.TSDB_TEST_TOKEN;
});

describe('time-series target config', () => {
  it('reads the documented examples with their defaults, secrets hidden', () => {
    process.env.TSDB_TEST_TOKEN = 'tsdb-tok-5521';
    const { config, problems } = parse(`sync:
  targets:
    - id: tsdb
      kind: prometheus
      url: https://vm.example/api/v1/write
      token: "\${TSDB_TEST_TOKEN}"
    - id: influx
      kind: influx
      url: https://influx.example:8086
      api: v2
      org: ops
      bucket: facility
      token: "\${TSDB_TEST_TOKEN}"
    - id: influx1
      kind: influx
      url: http://influx1.example:8086/proxy/
      api: v1
      database: facility
      retentionPolicy: week
      username: dc1-gw1
      password: pw-influx-77
`);
    expect(problems).toEqual([]);
    const [prom, v2, v1] = config!.sync.targets;
    expect(prom).toMatchObject({ kind: 'prometheus', metricPrefix: 'facility', batchItems: 5000, batchBytes: 1_000_000, timeoutMs: 30_000, retryInitialMs: 1000, retryMaxMs: 60_000 });
    expect(v2).toMatchObject({ kind: 'influx', api: 'v2', gzip: true, metricPrefix: 'facility' });
    expect(v1?.kind === 'influx' && influxWriteUrl(v1)).toBe('http://influx1.example:8086/proxy/write?db=facility&rp=week&precision=ms');
    expect(v2?.kind === 'influx' && influxWriteUrl(v2)).toBe('https://influx.example:8086/api/v2/write?org=ops&bucket=facility&precision=ms');
    const printed = JSON.stringify(config) + inspect(config, { depth: 10 });
    expect(printed).not.toContain('tsdb-tok-5521');
    expect(printed).not.toContain('pw-influx-77');
  });

  it.each([
    ['token with basic auth', `    - { id: p, kind: prometheus, url: "http://x/w", token: t, username: u, password: p }\n`, '5 sync.targets[0].token: cannot be combined with username/password: choose basic or token auth'],
    ['a username without password', `    - { id: p, kind: prometheus, url: "http://x/w", username: u }\n`, '5 sync.targets[0].password: basic auth needs both username and password'],
    ['v1 without a database', `    - { id: i, kind: influx, url: "http://x", api: v1 }\n`, '5 sync.targets[0].database: is required with api: v1'],
    ['v2 without a bucket', `    - { id: i, kind: influx, url: "http://x" }\n`, '5 sync.targets[0].bucket: is required with api: v2'],
    ['a metric prefix that is no metric name', `    - { id: p, kind: prometheus, url: "http://x/w", metricPrefix: "9 x" }\n`, '5 sync.targets[0].metricPrefix: "9 x" must be a Prometheus metric name (letters, digits, _ and :, not starting with a digit)'],
  ])('reports %s at its line', (_name, target, expected) => {
    expect(messages(`sync:\n  targets:\n${target}`)).toContain(expected);
  });
});
