import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BROKEN = `gateway: { id: gw1, dataDir: ./data }
devices:
  - id: ups1
    name: UPS
    kind: ups
    driver: modbus
    connection: { host: 127.0.0.1, port: 502 }
    profile: no-such-profile
    points:
      - { key: load, table: holding, address: 70000, type: uint16 }
`;

describe('gateway CLI', () => {
  it('check accepts the shipped demo config', () => {
    // the demo's SNMP community comes from the environment (`gateway demo` sets it)
    const res = runCli(['check', '--config', 'config/demo.yaml'], { GATEWAY_DEMO_SNMP_COMMUNITY: 'check-only' });
    expect(res.stdout).toMatch(/config\/demo\.yaml: ok \(13 devices, \d+ points\)/);
    expect(res.code).toBe(0);
  });

  it('check prints every problem as file:line path: message and exits non-zero', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, BROKEN);
    const res = runCli(['check', '--config', file]);
    expect(res.code).toBe(1);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${file}:8 devices\\[0\\]\\.profile: unknown profile "no-such-profile"`)));
    expect(lines).toContainEqual(`${file}:10 devices[0].points[0].address: 70000 exceeds 65535`);
    expect(lines.at(-1)).toMatch(/^\d+ problems? found$/);
  });

  it('run refuses to start on a broken config, with the same messages and no stack trace', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, BROKEN);
    const check = runCli(['check', '--config', file]);
    const run = runCli(['run', '--config', file]);
    expect(run.code).toBe(1);
    for (const line of check.stdout.trim().split('\n').slice(0, -1)) expect(run.stderr).toContain(line);
    expect(run.stderr).toContain('nothing was started');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing config file is one readable line', () => {
    const res = runCli(['run', '--config', join(dir, 'nope.yaml')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('nope.yaml');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('unknown commands print usage', () => {
    const res = runCli(['frobnicate']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('unknown command "frobnicate"');
    expect(res.stderr).toContain('Usage: gateway');
  });
});
