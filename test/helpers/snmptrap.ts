/**
 * Net-SNMP's `snmptrap` / `snmpinform` (Debian's snmp package) as the trap senders of the tests.
 * Each call runs with a private persistent folder and no user config, so the tools neither write
 * to /var/lib/snmp nor pick up a developer's ~/.snmp settings.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TrapSender {
  /** `snmptrap ARGS` (or `snmpinform` with tool: 'snmpinform') */
  run(args: string[], tool?: 'snmptrap' | 'snmpinform'): Promise<ToolResult>;
  dispose(): void;
}

export function createTrapSender(): TrapSender {
  const dir = mkdtempSync(join(tmpdir(), 'gw-snmptrap-'));
  const persistent = join(dir, 'persist');
  const conf = join(dir, 'conf');
  mkdirSync(persistent);
  mkdirSync(conf);
  // numeric OIDs only: no MIB files are read (missing MIBs would only add warnings)
  const env = { ...process.env, SNMP_PERSISTENT_DIR: persistent, SNMPCONFPATH: conf, MIBS: '', MIBDIRS: conf };
  return {
    run(args, tool = 'snmptrap') {
      return new Promise((resolve) => {
        execFile(tool, args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        });
      });
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
