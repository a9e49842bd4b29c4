/**
 * `gateway identify --snmp HOST[:PORT]`: asks an SNMP agent what it is (sysObjectID, sysDescr,
 * sysName), finds the library profiles that fit it (sysObjectID prefixes, longest first; a
 * standard-MIB profile without prefixes when its identity object answers), reads the chosen
 * profile's table name columns (labelOid), and prints a device block ready to paste into a site
 * file. Secrets are never printed: the block names `${SNMP_COMMUNITY}` (or the v3 key variables).
 */
import { existsSync } from 'node:fs';
import snmp, { type Session, type Varbind } from 'net-snmp';
import { stringify } from 'yaml';
import { type CatalogEntry, loadCatalog } from '../../config/profile-catalog.js';
import { builtinProfilesDir, defaultProfilesDirs } from '../../config/profiles.js';

export interface IdentifyOptions {
  /** HOST, HOST:PORT or [IPv6]:PORT */
  target: string;
  version?: string;
  /** v1/v2c; else SNMP_COMMUNITY from the environment */
  community?: string;
  user?: string;
  authProtocol?: string;
  authKey?: string;
  privProtocol?: string;
  privKey?: string;
  /** use this profile rather than the best match */
  profile?: string;
  /** a site file: its profiles/ folder is searched first */
  config?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
const SYS_OBJECT_ID = '1.3.6.1.2.1.1.2.0';
const SYS_NAME = '1.3.6.1.2.1.1.5.0';
/**
 * Profiles of a standard MIB fit any vendor's sysObjectID: they are offered when this object
 * answers (UPS-MIB: upsIdentManufacturer). Other profiles without prefixes: their first point.
 */
const IDENTITY_OBJECTS: Record<string, string> = { 'ups-mib': '1.3.6.1.2.1.33.1.1.1.0' };
const DEFAULT_TIMEOUT_MS = 2000;

export class IdentifyError extends Error {}

interface Candidate {
  entry: CatalogEntry;
  /** the sysObjectID prefix that matched; '' for a standard-MIB profile found by its identity object */
  prefix: string;
}

export async function identifyCommand(opts: IdentifyOptions): Promise<number> {
  const out = opts.out ?? ((t: string) => process.stdout.write(t));
  const err = opts.err ?? ((t: string) => process.stderr.write(t));
  const env = opts.env ?? process.env;
  const { host, port } = parseTarget(opts.target);
  const version = opts.version ?? (opts.user ? '3' : '2c');
  if (!['1', '2c', '3'].includes(version)) throw new IdentifyError(`--version must be 1, 2c or 3, got "${version}"`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const session = openSession(host, port, version, opts, env, timeoutMs);
  try {
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const sys = await get(session, [SYS_DESCR, SYS_OBJECT_ID, SYS_NAME], where, timeoutMs);
    const sysObjectID = text(sys[1]);
    const sysDescr = text(sys[0]);
    const sysName = text(sys[2]);
    const catalog = snmpProfiles(opts.config);
    const candidates = [...byPrefix(catalog, sysObjectID ?? ''), ...(await byIdentityObject(session, catalog, where, timeoutMs))];
    out(`# sysDescr:    ${oneLine(sysDescr) ?? '(none)'}\n# sysObjectID: ${sysObjectID ?? '(none)'}\n# sysName:     ${sysName ?? '(none)'}\n`);
    let chosen = candidates[0]?.entry;
    if (opts.profile) {
      chosen = catalog.find((e) => e.name === opts.profile);
      if (!chosen) throw new IdentifyError(`unknown SNMP profile "${opts.profile}" (see \`gateway profiles list\`)`);
    }
    if (!chosen) {
      err(
        `gateway: no SNMP profile fits ${where} (sysObjectID ${sysObjectID ?? 'not given'}).\n` +
          '  `gateway profiles list` shows the library; write a profile for it (docs/adding-a-driver.md) or pick one with --profile NAME\n',
      );
      return 1;
    }
    if (candidates.length > 0) {
      out(`# profiles that fit (best first): ${candidates.map((c) => `${c.entry.name}${c.prefix ? ` (${c.prefix})` : ' (standard MIB)'}`).join(', ')}\n`);
    }
    const tables = await readTables(session, chosen, where, timeoutMs);
    out(deviceBlock({ host, port, version, opts, sysName, entry: chosen, tables }));
    return 0;
  } finally {
    session.close();
  }
}

/** HOST, HOST:PORT, [IPv6] or [IPv6]:PORT; the port defaults to 161. */
export function parseTarget(target: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  const plain = /^([^:\s]+)(?::(\d+))?$/.exec(target);
  const m = v6 ?? plain;
  if (!m) throw new IdentifyError(`--snmp takes HOST or HOST:PORT, got "${target}"`);
  const port = m[2] === undefined ? 161 : Number(m[2]);
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) throw new IdentifyError(`bad port in "${target}"`);
  return { host: m[1]!, port };
}

function openSession(host: string, port: number, version: string, opts: IdentifyOptions, env: NodeJS.ProcessEnv, timeoutMs: number): Session {
  const options = { port, timeout: timeoutMs, retries: 0, transport: host.includes(':') ? ('udp6' as const) : ('udp4' as const) };
  if (version !== '3') {
    const community = opts.community ?? env.SNMP_COMMUNITY;
    if (!community) throw new IdentifyError('give --community C or set SNMP_COMMUNITY (or --user for SNMPv3)');
    return snmp.createSession(host, community, { ...options, version: version === '1' ? snmp.Version1 : snmp.Version2c });
  }
  if (!opts.user) throw new IdentifyError('SNMPv3 needs --user');
  // keys from the flags or, like the printed block names them, from the environment
  const authKey = opts.authKey ?? env.SNMP_AUTH_KEY;
  const privKey = opts.privKey ?? env.SNMP_PRIV_KEY;
  const auth = opts.authProtocol && authKey;
  const priv = opts.privProtocol && privKey;
  if (priv && !auth) throw new IdentifyError('--priv-protocol/--priv-key need --auth-protocol/--auth-key too');
  const protocol = (table: Record<string, number>, name: string | undefined, flag: string) => {
    const n = name === undefined ? undefined : table[name];
    if (name !== undefined && n === undefined) throw new IdentifyError(`unknown ${flag} "${name}"`);
    return n;
  };
  return snmp.createV3Session(
    host,
    {
      name: opts.user,
      level: priv ? snmp.SecurityLevel.authPriv : auth ? snmp.SecurityLevel.authNoPriv : snmp.SecurityLevel.noAuthNoPriv,
      ...(auth ? { authProtocol: protocol(snmp.AuthProtocols, opts.authProtocol, '--auth-protocol'), authKey } : {}),
      ...(priv ? { privProtocol: protocol(snmp.PrivProtocols, opts.privProtocol, '--priv-protocol'), privKey } : {}),
    },
    { ...options, version: snmp.Version3 },
  );
}

function get(session: Session, oids: string[], where: string, timeoutMs: number): Promise<Varbind[]> {
  return new Promise((resolve, reject) => {
    session.get(oids, (error, varbinds) => {
      if (!error) return resolve(varbinds);
      if (error instanceof snmp.RequestTimedOutError) {
        reject(new IdentifyError(`no answer from ${where} in ${timeoutMs} ms: check address, port, community/user`));
      } else {
        reject(new IdentifyError(`${where}: ${error.message}`));
      }
    });
  });
}

/** A varbind's text, or undefined when the agent has no such object. */
function text(vb: Varbind | undefined): string | undefined {
  if (!vb || snmp.isVarbindError(vb)) return undefined;
  return Buffer.isBuffer(vb.value) ? vb.value.toString('utf8') : String(vb.value);
}

function oneLine(s: string | undefined): string | undefined {
  return s?.replace(/\s+/g, ' ').trim();
}

/** The SNMP profiles of the library (and of the site's profiles/ folder first, with --config). */
function snmpProfiles(config: string | undefined): CatalogEntry[] {
  const dirs = config ? defaultProfilesDirs(config) : [builtinProfilesDir()];
  const seen = new Set<string>();
  const out: CatalogEntry[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of loadCatalog(dir)) {
      if (seen.has(entry.name) || entry.profile.header?.driver !== 'snmp' || entry.profile.problems.length > 0) continue;
      seen.add(entry.name);
      out.push(entry);
    }
  }
  return out;
}

function prefixesOf(entry: CatalogEntry): string[] {
  const list = (entry.profile.header as Record<string, unknown> | undefined)?.sysObjectID;
  return Array.isArray(list) ? list.map((p) => String(p).replace(/^\./, '')) : [];
}

/** Profiles whose sysObjectID prefixes fit, the longest (most specific) prefix first. */
export function byPrefix(catalog: readonly CatalogEntry[], sysObjectID: string): Candidate[] {
  const id = sysObjectID.replace(/^\./, '');
  const hits: Candidate[] = [];
  for (const entry of catalog) {
    const fitting = prefixesOf(entry).filter((p) => id === p || id.startsWith(`${p}.`));
    if (fitting.length > 0) hits.push({ entry, prefix: fitting.sort((a, b) => b.length - a.length)[0]! });
  }
  return hits.sort((a, b) => b.prefix.split('.').length - a.prefix.split('.').length || a.entry.name.localeCompare(b.entry.name));
}

/** Standard-MIB profiles (no prefixes) whose identity object answers. */
async function byIdentityObject(session: Session, catalog: readonly CatalogEntry[], where: string, timeoutMs: number): Promise<Candidate[]> {
  const probes = catalog
    .filter((e) => prefixesOf(e).length === 0)
    .map((entry) => ({ entry, oid: IDENTITY_OBJECTS[entry.name] ?? firstPointOid(entry) }))
    .filter((p): p is { entry: CatalogEntry; oid: string } => p.oid !== undefined);
  if (probes.length === 0) return [];
  const answers = await get(session, probes.map((p) => p.oid), where, timeoutMs).catch((e: unknown) => {
    // an SNMPv1 agent fails the whole request for one unknown object: then none of them fit
    if (e instanceof IdentifyError && !/no answer/.test(e.message)) return [];
    throw e;
  });
  return probes.filter((_, i) => answers[i] && !snmp.isVarbindError(answers[i]!)).map((p) => ({ entry: p.entry, prefix: '' }));
}

function firstPointOid(entry: CatalogEntry): string | undefined {
  for (const p of entry.profile.points) {
    const oid = (p.input as { oid?: unknown }).oid;
    if (typeof oid === 'string') return oid.replace(/^\./, '');
  }
  return undefined;
}

interface ReadTable {
  rows: number | string[];
  labels?: Record<string, string>;
}

/** Walks each table's labelOid column: the rows the agent has and their names. */
async function readTables(session: Session, entry: CatalogEntry, where: string, timeoutMs: number): Promise<Record<string, ReadTable>> {
  const tables = (entry.profile.header as Record<string, unknown> | undefined)?.tables;
  if (!tables || typeof tables !== 'object') return {};
  const out: Record<string, ReadTable> = {};
  for (const [id, table] of Object.entries(tables as Record<string, { labelOid?: unknown }>)) {
    if (typeof table?.labelOid !== 'string') continue;
    const column = table.labelOid.replace(/^\./, '');
    const found = await walk(session, column, where, timeoutMs);
    if (found.length === 0) continue;
    const labels: Record<string, string> = {};
    for (const { row, value } of found) if (value.trim() !== '') labels[row] = value.trim();
    const rows = found.map((f) => f.row);
    const contiguous = rows.every((r, i) => r === String(i + 1));
    out[id] = { rows: contiguous ? rows.length : rows, ...(Object.keys(labels).length > 0 ? { labels } : {}) };
  }
  return out;
}

function walk(session: Session, column: string, where: string, timeoutMs: number): Promise<Array<{ row: string; value: string }>> {
  const found: Array<{ row: string; value: string }> = [];
  return new Promise((resolve, reject) => {
    session.subtree(
      column,
      20,
      (varbinds) => {
        for (const vb of varbinds) {
          const value = text(vb);
          if (value !== undefined) found.push({ row: vb.oid.slice(column.length + 1), value });
        }
        return undefined;
      },
      (error) => {
        if (!error) resolve(found);
        else if (error instanceof snmp.RequestTimedOutError) reject(new IdentifyError(`no answer from ${where} in ${timeoutMs} ms while reading ${column}`));
        // a v1 agent ends a walk past its last object with noSuchName: what was read stands
        else resolve(found);
      },
    );
  });
}

/** `${NAME}`: how a site file names a secret from the environment. */
const envRef = (name: string) => `$\{${name}}`;

/** The device block to paste under `devices:`; secrets as `${ENV}` references only. */
function deviceBlock(d: {
  host: string;
  port: number;
  version: string;
  opts: IdentifyOptions;
  sysName?: string;
  entry: CatalogEntry;
  tables: Record<string, ReadTable>;
}): string {
  const header = (d.entry.profile.header ?? {}) as Record<string, unknown>;
  const name = d.sysName?.trim() || d.host;
  const id =
    name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'device1';
  const connection: Record<string, unknown> = { host: d.host };
  if (d.port !== 161) connection.port = d.port;
  connection.version = d.version;
  if (d.version === '3') {
    connection.user = d.opts.user;
    if (d.opts.authProtocol) Object.assign(connection, { authProtocol: d.opts.authProtocol, authKey: envRef('SNMP_AUTH_KEY') });
    if (d.opts.privProtocol) Object.assign(connection, { privProtocol: d.opts.privProtocol, privKey: envRef('SNMP_PRIV_KEY') });
  } else {
    connection.community = envRef('SNMP_COMMUNITY');
  }
  const device: Record<string, unknown> = { id, name, kind: header.kind, driver: 'snmp', connection, profile: d.entry.name };
  if (Object.keys(d.tables).length > 0) device.tables = d.tables;
  const vendorModel = [header.vendor === 'any' ? undefined : header.vendor, header.model].filter((v) => typeof v === 'string').join(' ');
  // quoted as the docs write them: a `${NAME}` reads at a glance as "from the environment"
  const yaml = stringify([device], { lineWidth: 0 }).replace(/: (\$\{[A-Za-z_][A-Za-z0-9_]*\})$/gm, ': "$1"');
  return `# profile ${d.entry.name}${vendorModel ? `: ${vendorModel}` : ''}\n${yaml}`;
}
