/**
 * The profile library as a catalogue: every profile file of a folder, loaded with the real loader,
 * with the source comment at its top. `gateway profiles` prints it and the vocabulary test checks
 * it, so what a user reads and what the tests check are the same thing.
 *
 * Convention: a profile file starts with a comment whose first line is `# Source: ...` naming the
 * public document its map comes from (vendor document or MIB, version/date, table); the comment's
 * following lines explain addressing choices and, for `verified: false`, why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LoadedProfile, loadProfileFile } from './profiles.js';

const PROFILE_FILE = /\.ya?ml$/;
const SOURCE_PREFIX = '# Source:';

export interface CatalogEntry {
  /** the name a device's `profile:` uses (file name without extension) */
  name: string;
  file: string;
  profile: LoadedProfile;
  /** the leading comment block, `# ` removed, one item per line (empty when the file has none) */
  comment: string[];
  /** the text after `# Source:` on the first line, when the file follows the convention */
  source?: string;
}

/** Every profile in `dir`, sorted by name. */
export function loadCatalog(dir: string): CatalogEntry[] {
  return readdirSync(dir)
    .filter((f) => PROFILE_FILE.test(f))
    .sort()
    .map((f) => catalogEntry(f.replace(PROFILE_FILE, ''), join(dir, f)));
}

export function catalogEntry(name: string, file: string): CatalogEntry {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // loadProfileFile reports the unreadable file as a problem
  }
  const comment = leadingComment(text);
  const first = text.split('\n', 1)[0] ?? '';
  const source = first.startsWith(SOURCE_PREFIX) ? first.slice(SOURCE_PREFIX.length).trim() : undefined;
  return { name, file, profile: loadProfileFile(name, file), comment, ...(source ? { source } : {}) };
}

/** The comment lines at the very top of a YAML text, without their `#` and one following space. */
export function leadingComment(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    out.push(line.replace(/^# ?/, ''));
  }
  return out;
}

/** Header fields every library profile gives (optional in the schema, so read defensively). */
export function headerInfo(entry: CatalogEntry): { kind?: string; driver?: string; vendor?: string; model?: string; verified?: boolean } {
  const h = (entry.profile.header ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    kind: str(h.kind),
    driver: str(h.driver),
    vendor: str(h.vendor),
    model: str(h.model),
    verified: typeof h.verified === 'boolean' ? h.verified : undefined,
  };
}
