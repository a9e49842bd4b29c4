/**
 * The power cut during a site-file write (issue 18, item 4): a child process rewrites a 1 MiB site
 * file atomically in a loop (gateway/live-config/atomic-write.ts, as a central or API apply does)
 * and is killed with SIGKILL at a random moment, again and again. After every kill the file is the
 * old text or the new one, complete (byte for byte, and it loads as a site config), never a mix or
 * a truncation. A kill that lands between the temporary file and the rename leaves that temporary
 * file; the next write removes it.
 *
 * SIGKILL stops the process, not the machine: it shows that no moment of the write exposes a
 * partial file (the rename is the one step that switches). That the data and the rename reach the
 * disk before a power loss is the fsync of the file and of the folder, which this cannot show.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/loader.js';
import { writeFileAtomic } from '../../gateway/live-config/atomic-write.js';
import { REPO_ROOT } from '../helpers/cli.js';

const CHILD = join(REPO_ROOT, 'test', 'helpers', 'atomic-write-child.ts');
const KILLS = 25;

/** A 200-device site, padded with comments to about 1 MiB so a write takes a while. */
function siteText(pollIntervalMs: number, tag: string): string {
  const devices = Array.from(
    { length: 200 },
    (_, i) => `  - id: dev${i}
    name: ${tag} device ${i}
    driver: modbus
    connection: { host: 10.0.${Math.floor(i / 250)}.${(i % 250) + 1}, port: 502, unitId: 1 }
    pollIntervalMs: ${pollIntervalMs}
    points:
      - { key: load, table: holding, address: 0, type: uint16 }
      - { key: temp, table: holding, address: 1, type: int16, scale: 0.1 }
`,
  ).join('');
  const head = `gateway: { id: kill9-${tag}, dataDir: ./data }\nhttp: { host: 127.0.0.1, port: 0 }\nsync: { targets: [] }\ndevices:\n${devices}`;
  const line = `# ${tag}: notes kept with the site file, as a large commented site has them\n`;
  return head + line.repeat(Math.ceil((1024 * 1024 - head.length) / line.length));
}

/** Runs the child until its first complete write, then kills it a random 0–60 ms later. */
function runAndKill(file: string, a: string, b: string): Promise<{ writes: number }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, file, a, b], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (!armed && out.includes('wrote ')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 60);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal}: ${err}`));
      else resolve({ writes: (out.match(/wrote /g) ?? []).length });
    });
  });
}

describe('site file written atomically, killed with SIGKILL mid-write', () => {
  let dir: string;
  let file: string;
  let textA: string;
  let textB: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-site-kill9-'));
    file = join(dir, 'site.yaml');
    textA = siteText(1000, 'a');
    textB = siteText(2000, 'b');
    writeFileSync(join(dir, 'a.txt'), textA);
    writeFileSync(join(dir, 'b.txt'), textB);
    writeFileSync(file, textA);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`leaves the old or the new text complete after each of ${KILLS} kills`, async () => {
    // both texts are site files the gateway loads, and they differ
    const loadsAs = (text: string) => parseSiteConfig(text, file).config?.devices[0]?.pollIntervalMs;
    expect([loadsAs(textA), loadsAs(textB)]).toEqual([1000, 2000]);
    let writes = 0;
    let orphansSeen = 0;
    for (let i = 0; i < KILLS; i++) {
      const before = readFileSync(file, 'utf8');
      writes += (await runAndKill(file, join(dir, 'a.txt'), join(dir, 'b.txt'))).writes;
      const after = readFileSync(file, 'utf8');
      // complete: exactly one of the two texts, byte for byte
      expect(after === textA || after === textB, `kill ${i}: ${after.length} bytes, neither text`).toBe(true);
      expect(loadsAs(after)).toBe(after === textA ? 1000 : 2000);
      if (after !== before) expect(after).toBe(before === textA ? textB : textA);
      if (readdirSync(dir).some((n) => n.startsWith('.site.yaml.') && n.endsWith('.tmp'))) orphansSeen++;
    }
    if (process.env.LIVE_CONFIG_REPORT) console.log(`kills ${KILLS}, complete writes before the kills ${writes}, kills that left a temporary file ${orphansSeen}`);
    // the kills landed while writes were in progress, not only between them
    expect(writes).toBeGreaterThanOrEqual(KILLS);
    expect(orphansSeen).toBeGreaterThan(0);
    // the next write removes what the killed processes left
    await writeFileAtomic(file, textA);
    expect(readdirSync(dir).filter((n) => n.startsWith('.site.yaml.'))).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(textA);
  }, 120_000);
});
