import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'app', 'cli.ts');

/** The node flags the `gateway` command runs with: those on its `#!/usr/bin/env -S node ...` line. */
export function gatewayNodeFlags(): string[] {
  const first = readFileSync(CLI_SOURCE, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}
