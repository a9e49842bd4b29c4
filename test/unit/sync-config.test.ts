/** The `sync` section of a site config: defaults, both target kinds, secrets, and located problems. */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { retentionHolds } from '../../sync/config-schema.js';

const FILE = '/site/site.yaml';
const HEAD = 'gateway: { id: gw1 }\ndevices: []\n';
const parse = (sync: string) => parseSiteConfig(`${HEAD}${sync}`, FILE);
const messages = (sync: string) => parse(sync).problems.map((p) => `${p.line} ${p.path}: ${p.message}`);

afterEach(() => {
  delete process.env.SYNC_TEST_TOKEN;
});

describe('sync config', () => {
  it('defaults to no targets, cooperating retention and a 10000-item pull page', () => {
    const { config, problems } = parse('');
    expect(problems).toEqual([]);
    expect(config!.sync).toEqual({ retention: 'cooperate', pull: { targets: [], maxLimit: 10_000 }, targets: [] });
  });

  it('reads both target kinds with their defaults', () => {
    process.env.SYNC_TEST_TOKEN = 'tok-3b9e7c';
    const { config, problems } = parse(`sync:
  pull: { targets: [ems-pull] }
  targets:
    - { id: ems, kind: http, url: "https://ems.example/ingest", token: "\${SYNC_TEST_TOKEN}" }
    - id: ems-mqtt
      kind: mqtt
      url: mqtts://broker.example:8883
      topicPrefix: site/a
      username: gw1
      password: literal-pass-91
`);
    expect(problems).toEqual([]);
    const [http, mqtt] = config!.sync.targets;
    expect(http).toMatchObject({ id: 'ems', kind: 'http', url: 'https://ems.example/ingest', gzip: true, batchItems: 5000, batchBytes: 1_000_000, timeoutMs: 30_000, retryInitialMs: 1000, retryMaxMs: 60_000 });
    expect(http?.kind === 'http' && http.token?.reveal()).toBe('tok-3b9e7c');
    expect(mqtt).toMatchObject({ id: 'ems-mqtt', kind: 'mqtt', topicPrefix: 'site/a', username: 'gw1', gzip: false, batchItems: 2000, keepaliveS: 30 });
    expect(mqtt?.kind === 'mqtt' && mqtt.password?.reveal()).toBe('literal-pass-91');
    expect(retentionHolds(config!.sync)).toEqual(['ems', 'ems-mqtt', 'ems-pull']);
    expect(retentionHolds({ ...config!.sync, retention: 'ignore' })).toEqual([]);
    // secrets never print, whatever prints the config
    const printed = JSON.stringify(config) + inspect(config, { depth: 10 });
    expect(printed).not.toContain('tok-3b9e7c');
    expect(printed).not.toContain('literal-pass-91');
  });

  it.each([
    ['a URL of the wrong scheme', `sync:\n  targets:\n    - { id: e, kind: http, url: "mqtt://x" }\n`, '5 sync.targets[0].url: must be a URL starting with http:// or https://'],
    ['a misspelt key', `sync:\n  targets:\n    - { id: e, kind: http, url: "http://x", batchItem: 5 }\n`, '5 sync.targets[0].batchItem: unknown key "batchItem" (did you mean "batchItems"?)'],
    ['an unknown kind', `sync:\n  targets:\n    - { id: e, kind: kafka, url: "http://x" }\n`, '5 sync.targets[0].kind: expected one of http, mqtt, nats, prometheus, influx, got "kafka"'],
    ['a wildcard in the topic prefix', `sync:\n  targets:\n    - { id: m, kind: mqtt, url: "mqtt://b", topicPrefix: "a/#" }\n`, '5 sync.targets[0].topicPrefix: must not hold + or #, nor start or end with /'],
    ['a missing topic prefix', `sync:\n  targets:\n    - { id: m, kind: mqtt, url: "mqtt://b" }\n`, '5 sync.targets[0].topicPrefix: required'],
    ['a zero batch', `sync:\n  targets:\n    - { id: e, kind: http, url: "http://x", batchItems: 0 }\n`, '5 sync.targets[0].batchItems: 0 is below 1'],
    ['a bad retention mode', `sync: { retention: never }\n`, '3 sync.retention: expected one of cooperate, ignore, got "never"'],
    ['a duplicate id across push and pull', `sync:\n  pull: { targets: [ems] }\n  targets:\n    - { id: ems, kind: http, url: "http://x" }\n`, '4 sync.pull.targets[0]: duplicate id "ems" (also targets[0])'],
  ])('reports %s with its line', (_name, sync, expected) => {
    expect(messages(sync)).toContain(expected);
  });

  it('reports a token variable that is not set, without any value', () => {
    const problems = messages(`sync:\n  targets:\n    - { id: e, kind: http, url: "http://x", token: "\${SYNC_TEST_TOKEN}" }\n`);
    expect(problems).toEqual(['5 sync.targets[0].token: environment variable SYNC_TEST_TOKEN is not set']);
  });
});
