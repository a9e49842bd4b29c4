/**
 * The pieces of live configuration around the diff: the versions database (config.db, real
 * SQLite), the redacted view of the running config, and the atomic rewrite of the site file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { type ConfigDiff, describeDiff, diffSiteConfigs } from '../../config/live/diff.js';
import { writeFileAtomic } from '../../gateway/live-config/atomic-write.js';
import { redactedConfig } from '../../config/live/redact.js';
import { hashConfigText, openConfigVersions } from '../../gateway/live-config/versions-db.js';

const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGk=';
const TEXT_A = `gateway: { id: gw1, dataDir: ./data }
mqttBroker: { enabled: true, users: [{ username: rack, password: "${HASH}" }] }
sync:
  targets:
    - { id: ems, kind: http, url: "http://127.0.0.1:9/ingest", token: "literal-token-5c1f" }
devices:
  - id: ups1
    driver: modbus
    connection: { host: 127.0.0.1, port: 5020 }
    points:
      - { key: load, table: holding, address: 1, type: uint16 }
`;
const TEXT_B = TEXT_A.replace('port: 5020', 'port: 5021');

const load = (text: string) => {
  const { config, problems } = parseSiteConfig(text, 'site.yaml', { profilesDirs: [] });
  expect(problems).toEqual([]);
  return config!;
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-config-versions-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('config versions', () => {
  it('numbers versions, keeps who, source, diff and text, and survives a reopen', () => {
    const file = join(dir, 'config.db');
    let versions = openConfigVersions(file);
    expect(versions.latest()).toBeUndefined();
    expect(versions.record({ text: TEXT_A, who: 'gateway', source: 'file', diff: null, summary: [], at: 1000 })).toBe(1);
    const diff = diffSiteConfigs(load(TEXT_A), load(TEXT_B));
    expect(versions.record({ text: TEXT_B, who: 'kim', source: 'api', diff, summary: describeDiff(diff), at: 2000 })).toBe(2);
    versions.close();

    versions = openConfigVersions(file);
    expect(versions.list().map((v) => [v.n, v.who, v.source, v.at])).toEqual([
      [2, 'kim', 'api', 2000],
      [1, 'gateway', 'file', 1000],
    ]);
    expect(versions.latest()?.hash).toBe(hashConfigText(TEXT_B));
    expect((versions.get(2)!.diff as ConfigDiff).lists.devices.changed).toEqual([{ id: 'ups1', fields: ['connection'] }]);
    expect(versions.get(2)?.summary).toEqual(['devices: ~ ups1 (connection)']);
    expect(versions.get(1)?.diff).toBeNull();
    expect(versions.text(1)).toBe(TEXT_A);
    expect(versions.get(3)).toBeUndefined();
    versions.close();
    // it may hold literal secrets: owner only
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('the redacted config', () => {
  it('hides secrets and broker password hashes, and lists the topology', () => {
    const shown = JSON.stringify(redactedConfig(load(TEXT_A)));
    expect(shown).not.toContain('literal-token-5c1f');
    expect(shown).not.toContain(HASH);
    const view = JSON.parse(shown);
    expect(view.sync.targets[0].token).toBe('[secret]');
    expect(view.mqttBroker.users[0]).toMatchObject({ username: 'rack', password: '[secret]' });
    expect(view.devices[0].connection).toMatchObject({ host: '127.0.0.1', port: 5020 });
    expect(view.topology).toEqual([{ id: 'ups1', kind: 'device', name: 'ups1', fedBy: [], cools: [], contains: [] }]);
  });
});

describe('the atomic file write', () => {
  it('replaces the text, keeps the mode and leaves no temporary file', async () => {
    const file = join(dir, 'site.yaml');
    writeFileSync(file, TEXT_A, { mode: 0o600 });
    await writeFileAtomic(file, TEXT_B);
    expect(readFileSync(file, 'utf8')).toBe(TEXT_B);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['site.yaml']);
  });

  it('leaves the old text when the new one cannot be written', async () => {
    const file = join(dir, 'site.yaml');
    writeFileSync(file, TEXT_A);
    // a fault: the folder the temporary file goes to is missing
    await expect(writeFileAtomic(join(dir, 'gone', 'site.yaml'), TEXT_B)).rejects.toThrow(/ENOENT/);
    expect(readFileSync(file, 'utf8')).toBe(TEXT_A);
  });
});
