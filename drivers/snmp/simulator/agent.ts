/**
 * One net-snmp agent on one host:port, answering the cells (OID → raw value) of the devices
 * simulated there. Scalars (`….0`) become scalar providers; other OIDs are table cells: the
 * column is the OID without its row index, columns of one entry form one table provider whose
 * index is a hidden (not-accessible) integer column per index part, so walks show only the
 * configured columns. Values are moved by set(); a GET answers the last value set.
 */
import type { Logger } from '../../../core/logger.js';
import type { SnmpV3Auth } from '../device.js';
import type { SnmpType } from '../point.js';
import type { RawValue } from './encode.js';
import snmp, { type Agent, type Mib } from 'net-snmp';

export interface AgentCell {
  oid: string;
  type: SnmpType;
  /** the row index part of `oid` ("3", "1.2"); undefined for a scalar (`….0`) */
  row?: string;
  value: RawValue;
}

export interface SimulatedAgent {
  host: string;
  port: number;
  /** moves one cell's value (a cell not served is ignored) */
  set(oid: string, value: RawValue): void;
  close(): Promise<void>;
}

export interface AgentOptions {
  host: string;
  port: number;
  communities: string[];
  users: SnmpV3Auth[];
  cells: AgentCell[];
  logger: Logger;
}

const OBJECT_TYPE: Record<SnmpType, string> = {
  integer: 'Integer',
  gauge: 'Gauge32',
  counter: 'Counter32',
  counter64: 'Counter64',
  timeticks: 'TimeTicks',
  string: 'OctetString',
  ipaddress: 'IpAddress',
  oid: 'OID',
};

type Place = { kind: 'scalar'; provider: string } | { kind: 'table'; provider: string; column: number; index: number[] };

export async function startAgent(opts: AgentOptions): Promise<SimulatedAgent> {
  const { logger } = opts;
  let listening = false;
  const agent: Agent = snmp.createAgent({ port: opts.port, address: opts.host, disableAuthorization: false }, (err) => {
    // after start: a bad community, a malformed packet: the simulator carries on
    if (err && listening) logger.debug('simulated snmp agent: request refused', { at: `${opts.host}:${opts.port}`, err: err.message });
  });
  await listeningOf(agent);
  listening = true;
  const auth = agent.getAuthorizer();
  for (const c of opts.communities) auth.addCommunity(c);
  for (const u of opts.users) {
    auth.addUser({
      name: u.user,
      level: snmp.SecurityLevel[u.level]!,
      ...(u.authProtocol && u.authKey ? { authProtocol: snmp.AuthProtocols[u.authProtocol], authKey: u.authKey.reveal() } : {}),
      ...(u.privProtocol && u.privKey ? { privProtocol: snmp.PrivProtocols[u.privProtocol], privKey: u.privKey.reveal() } : {}),
    });
  }
  const places = buildMib(agent.getMib(), opts.cells, logger);
  const mib = agent.getMib();
  return {
    host: opts.host,
    port: opts.port,
    set(oid, value) {
      const place = places.get(oid);
      if (!place) return;
      try {
        if (place.kind === 'scalar') mib.setScalarValue(place.provider, value);
        else mib.setTableSingleCell(place.provider, place.column, place.index, value);
      } catch (err) {
        logger.debug('simulated snmp value refused', { oid, err });
      }
    },
    close: () =>
      new Promise((resolve) => {
        agent.close();
        // net-snmp calls back once per socket; one socket here, and close is synchronous enough
        setImmediate(resolve);
      }),
  };
}

function listeningOf(agent: Agent): Promise<void> {
  const socket = Object.values(agent.listener?.sockets ?? {})[0];
  if (!socket) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once('listening', () => resolve());
    socket.once('error', (err: Error) => {
      agent.close();
      reject(err);
    });
  });
}

/** Registers providers for the cells and returns where each OID lives. */
function buildMib(mib: Mib, cells: readonly AgentCell[], logger: Logger): Map<string, Place> {
  const places = new Map<string, Place>();
  const entries = new Map<string, { columns: Map<number, SnmpType>; rows: Map<string, Map<number, AgentCell>>; parts: number }>();
  let n = 0;
  for (const cell of cells) {
    if (places.has(cell.oid)) continue;
    if (cell.row === undefined) {
      const name = `s${n++}`;
      try {
        mib.registerProvider({
          name,
          type: snmp.MibProviderType.Scalar,
          oid: cell.oid.replace(/\.0$/, ''),
          scalarType: snmp.ObjectType[OBJECT_TYPE[cell.type]]!,
          maxAccess: snmp.MaxAccess['read-only']!,
        });
        mib.setScalarValue(name, cell.value);
        places.set(cell.oid, { kind: 'scalar', provider: name });
      } catch (err) {
        logger.warn('simulated snmp agent cannot serve an OID', { oid: cell.oid, err });
      }
      continue;
    }
    const column = cell.oid.slice(0, cell.oid.length - cell.row.length - 1);
    const dot = column.lastIndexOf('.');
    const entryOid = column.slice(0, dot);
    const number = Number(column.slice(dot + 1));
    const parts = cell.row.split('.').length;
    const entry = entries.get(entryOid) ?? { columns: new Map(), rows: new Map(), parts };
    entries.set(entryOid, entry);
    if (entry.parts !== parts) {
      logger.warn('simulated snmp agent: rows of one table with different index lengths', { oid: cell.oid });
      continue;
    }
    if (!entry.columns.has(number)) entry.columns.set(number, cell.type);
    const row = entry.rows.get(cell.row) ?? new Map<number, AgentCell>();
    entry.rows.set(cell.row, row);
    row.set(number, cell);
  }

  for (const [entryOid, entry] of entries) {
    const name = `t${n++}`;
    const numbers = [...entry.columns.keys()].sort((a, b) => a - b);
    const firstIndex = numbers[numbers.length - 1]! + 1;
    const indexColumns = Array.from({ length: entry.parts }, (_, i) => ({
      number: firstIndex + i,
      name: `index${i}`,
      type: snmp.ObjectType.Integer!,
      maxAccess: snmp.MaxAccess['not-accessible']!,
    }));
    try {
      mib.registerProvider({
        name,
        type: snmp.MibProviderType.Table,
        oid: entryOid,
        maxAccess: snmp.MaxAccess['read-only']!,
        tableColumns: [
          ...numbers.map((c) => ({ number: c, name: `c${c}`, type: snmp.ObjectType[OBJECT_TYPE[entry.columns.get(c)!]]!, maxAccess: snmp.MaxAccess['read-only']! })),
          ...indexColumns,
        ],
        tableIndex: indexColumns.map((c) => ({ columnName: c.name })),
      });
      for (const [row, byColumn] of entry.rows) {
        const index = row.split('.').map(Number);
        // a column this row has no point for still needs a value: the syntax's zero
        const values = numbers.map((c) => byColumn.get(c)?.value ?? zeroOf(entry.columns.get(c)!));
        mib.addTableRow(name, [...values, ...index]);
        for (const [c, cell] of byColumn) places.set(cell.oid, { kind: 'table', provider: name, column: c, index });
      }
    } catch (err) {
      logger.warn('simulated snmp agent cannot serve a table', { oid: entryOid, err });
    }
  }
  return places;
}

function zeroOf(type: SnmpType): RawValue {
  if (type === 'string') return '';
  if (type === 'ipaddress') return '0.0.0.0';
  if (type === 'oid') return '0.0';
  if (type === 'counter64') return Buffer.alloc(8);
  return 0;
}
