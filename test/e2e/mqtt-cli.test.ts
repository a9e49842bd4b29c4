/** `gateway mqtt-passwd` and `gateway check` on MQTT configs, as an integrator runs them. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../drivers/mqtt/password.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

function passwd(input: string) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'app', 'cli.ts'), 'mqtt-passwd'], {
    cwd: REPO_ROOT,
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('gateway mqtt-passwd', () => {
  it('prints a scrypt hash of the password read from stdin, and never the password', async () => {
    const { code, stdout, stderr } = passwd('correct horse battery\n');
    expect(code).toBe(0);
    const hash = stdout.trim();
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(stdout + stderr).not.toContain('correct horse');
  });

  it('refuses a short password', () => {
    const { code, stdout, stderr } = passwd('short\n');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/at least 8 characters/);
  });
});

describe('gateway check with MQTT', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every MQTT problem with file, line and path, never echoing a password', () => {
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      `gateway: { id: t1 }
mqttBroker:
  port: 1883
  users:
    - { username: rack-a01, password: hunter2-plain, publish: ["dc1/rack/a01/#"] }
    - { username: rack-a02, password: "\${NO_SUCH_VARIABLE_X}", publish: ["dc1/#/x"] }
devices:
  - id: racks
    driver: mqtt
    topic: dc1/rack/{rack}/env
    points:
      - { key: temperature, path: temperature }
      - { key: door, topic: "dc1/door/+", type: boolean, scale: 2 }
      - { key: rh, topic: dc1/x, path: "a..b" }
  - id: ext
    driver: mqtt
    connection: { url: "http://broker:1883" }
    points:
      - { key: t, topic: a/b }
`,
    );
    const { code, stdout } = runCli(['check', '--config', file]);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/site\.yaml:5 mqttBroker\.users\[0\]\.password: a plain password is not accepted/),
      expect.stringMatching(/site\.yaml:6 mqttBroker\.users\[1\]\.password: environment variable NO_SUCH_VARIABLE_X is not set/),
      expect.stringMatching(/site\.yaml:6 mqttBroker\.users\[1\]\.publish\[0\]: .*not an MQTT topic filter/),
      expect.stringMatching(/site\.yaml:12 devices\[0\]\.points\[0\]\.topic: \{rack\} has no value/),
      expect.stringMatching(/site\.yaml:13 devices\[0\]\.points\[1\]\.topic: an unnamed "\+"/),
      expect.stringMatching(/site\.yaml:13 devices\[0\]\.points\[1\]\.scale: only for type number/),
      expect.stringMatching(/site\.yaml:14 devices\[0\]\.points\[2\]\.path: "a\.\.b" is not a JSON path/),
      expect.stringMatching(/site\.yaml:17 devices\[1\]\.connection\.url: .*is not a broker URL/),
      '8 problems found',
    ]);
    expect(stdout).not.toContain('hunter2');
  });
});
