import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinProfilesDir } from '../../config/profiles.js';
import { runCli } from '../helpers/cli.js';

const builtin = readdirSync(builtinProfilesDir())
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

describe('gateway profiles', () => {
  it('list prints one row per library profile with kind, driver, vendor, points, verified and source', () => {
    const res = runCli(['profiles', 'list']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+DRIVER\s+VENDOR\s+MODEL\s+POINTS\s+VERIFIED\s+SOURCE$/);
    expect(lines.at(-1)).toBe(`${builtin.length} profiles`);
    expect(lines.slice(1, -1).map((l) => l.split(/\s+/)[0])).toEqual([...builtin].sort());
    const pm = lines.find((l) => l.startsWith('schneider-pm5000 '));
    expect(pm).toMatch(/^schneider-pm5000\s+meter\s+modbus\s+Schneider Electric\s+.*\s22\s+yes\s+Schneider Electric, PowerLogic/);
    expect(lines.find((l) => l.startsWith('carel-pco-crac '))).toMatch(/\sno\s/);
  });

  it('show prints the header, the source comment, every point with its address and the alarm rules', () => {
    const res = runCli(['profiles', 'show', 'vaisala-hmp']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('  vendor:   Vaisala');
    expect(res.stdout).toContain('  verified: yes');
    expect(res.stdout).toMatch(/Source comment:\n {2}Source: Vaisala, "HMP Series/);
    expect(res.stdout).toContain('Points (3):');
    expect(res.stdout).toMatch(/ {2}humidity\s+Relative humidity\s+%RH\s+holding 0 float32\n/);
    expect(res.stdout).toMatch(/ {2}dew_point\s+Dew point\s+°C\s+holding 6 float32\n/);
    expect(res.stdout).toContain('Alarms (3):');
    expect(res.stdout).toMatch(/ {2}temperature\s+temperature\s+hihi 32, hi 27, lo 18, lolo 15, deadband 0.5, after 60 s\s+major\n/);
  });

  it('show of an unknown name fails with the names that exist and a suggestion', () => {
    const res = runCli(['profiles', 'show', 'vaisala-hmpp']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('unknown profile "vaisala-hmpp" (did you mean "vaisala-hmp"?)');
    expect(res.stderr).toContain(`available: ${[...builtin].sort().join(', ')}`);
  });

  it('without list or show prints usage', () => {
    const res = runCli(['profiles']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('usage: gateway profiles list | gateway profiles show NAME');
  });

  describe('with --config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-profiles-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'profiles'));
    writeFileSync(join(dir, 'site.yaml'), 'gateway: { id: gw, dataDir: state }\ndevices: []\n');
    writeFileSync(
      join(dir, 'profiles', 'vaisala-hmp.yaml'),
      '# Source: our own bench test\nname: Local probe\nkind: sensor\ndriver: modbus\nvendor: Acme\nmodel: P1\nverified: false\npoints:\n  - { key: temperature, unit: °C, table: holding, address: 7, type: int16 }\n',
    );

    it("lists the site's profiles first: a local profile hides the built-in one of the same name", () => {
      const res = runCli(['profiles', 'list', '--config', join(dir, 'site.yaml')]);
      expect(res.code).toBe(0);
      const rows = res.stdout.split('\n').filter((l) => l.startsWith('vaisala-hmp '));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatch(/^vaisala-hmp\s+sensor\s+modbus\s+Acme\s+P1\s+1\s+no\s+our own bench test$/);
    });
  });
});
