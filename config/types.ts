/** The typed site configuration produced by the loader (config/loader.ts). */
import type { ControlSection } from '../gateway/control/types.js';
import type { MqttBrokerSection } from '../drivers/mqtt/point.js';
import type { DeviceConfig } from '../drivers/registry.js';
import type { SnmpTrapsSection } from '../drivers/snmp/config-schema.js';
import type { AlarmRule, AlarmSettings } from '../gateway/alarms/types.js';
import type { CorrelationSection, IncidentRule } from '../gateway/incidents/config-schema.js';
import type { SyncSection } from '../sync/config-schema.js';
import type { Topology } from '../gateway/topology/types.js';
import type { SnapshotSettings } from '../gateway/snapshots/types.js';
import type { AnalyticsSpec } from '../gateway/analytics/types.js';
import type { ActionsSection } from '../gateway/actions/types.js';
import type { StorePolicy } from '../core/store-policy.js';
import type { ConfigSourceSection } from './live/config-source-schema.js';

export interface GatewaySection {
  id: string;
  /** absolute path (relative paths in the file are taken from the config file's folder) */
  dataDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export interface HttpSection {
  host: string;
  port: number;
  /** certificate chain and private key (PEM files, relative to the config file): HTTPS instead of HTTP */
  tls?: { cert: string; key: string };
  /** host names besides localhost, the machine's name and the listener's addresses the page answers to (`*` = any) */
  allowedHosts: string[];
  /** largest request body accepted, in KiB (413 beyond) */
  maxBodyKB: number;
  /** live streams (SSE) one user or API token may hold open; opening one more closes the oldest */
  maxLiveStreams: number;
}

/** Web-page logins (users and API tokens live in `<dataDir>/auth.db`). */
export interface AuthSection {
  /** a session unused this long ends (an open page keeps its session alive) */
  sessionIdleMinutes: number;
  /** a session ends this long after login */
  sessionMaxHours: number;
  /** wrong passwords in a row before a user is locked */
  maxFailedLogins: number;
  lockoutMinutes: number;
}

export interface StorageSection {
  /** longest a sample waits before its transaction commits */
  commitIntervalMs: number;
  /** a transaction commits early when this many samples are waiting */
  maxBatch: number;
  /** `full`: every commit reaches the disk before it counts (power-cut safe); `normal`: faster, may lose the last commits on power loss (never on a crash) */
  synchronous: 'full' | 'normal';
  retention: {
    /** readings older than this are deleted (0 = keep by age forever) */
    maxAgeDays: number;
    /** database budget; oldest readings are dropped beyond it, with an event (0 = no budget) */
    maxSizeMB: number;
    /** for an hour after a wall-clock step, the share (0..1) of the readings one age pass may delete */
    maxShareAfterStep: number;
  };
}

/** A device of any registered driver (drivers/registry.ts). */
export type { DeviceConfig };

/** The wall clock (gateway/clock-sync.ts). */
export interface ClockSection {
  /** `auto`: samples are marked uncertain (reason `clock`) while the system says its clock is not synchronised; `off`: never */
  requireSync: 'auto' | 'off';
}

/** Writes to equipment (gateway/control/). */
export type { ControlSection };
export { DEFAULT_CONTROL } from '../gateway/control/types.js';

export interface SiteConfig {
  /** the file it was loaded from (as given) */
  file: string;
  gateway: GatewaySection;
  http: HttpSection;
  auth: AuthSection;
  storage: StorageSection;
  /** absent in configs built by hand (tests): requireSync `auto` */
  clock?: ClockSection;
  /** absent in configs built by hand (tests): DEFAULT_CONTROL */
  control?: ControlSection;
  /** upstream sync: push targets, pull consumers, retention cooperation */
  sync: SyncSection;
  devices: DeviceConfig[];
  /** the embedded MQTT broker (file paths absolute); absent when the file has no `mqttBroker:` */
  mqttBroker?: MqttBrokerSection;
  /** the SNMP trap receiver; absent when the file has no `snmpTraps:` */
  snmpTraps?: SnmpTrapsSection;
  /** alarm rules from the site file and the devices' profiles, point ids resolved (`<deviceId>.<key>`) */
  alarms: AlarmRule[];
  alarmSettings: AlarmSettings;
  /** the site topology (`topology:`; devices without an entry are unlinked nodes); absent in configs built by hand */
  topology?: Topology;
  /** event snapshots; absent in configs built by hand (tests): DEFAULT_SNAPSHOT_SETTINGS */
  snapshots?: SnapshotSettings;
  /** incident rules (gateway/incidents/); absent in configs built by hand (tests): none */
  incidents?: IncidentRule[];
  /** analysed points (gateway/analytics/), patterns resolved; absent in configs built by hand (tests): none */
  analytics?: AnalyticsSpec[];
  /** symptom grouping and notification hold-back; absent: DEFAULT_CORRELATION */
  correlation?: CorrelationSection;
  /** automated actions (gateway/actions/), runDir absolute; absent in configs built by hand (tests): none */
  actions?: ActionsSection;
  /**
   * report-by-exception storage by point id (a point's `store:`, from the site file or its
   * profile); absent when no point has one: every reading is stored
   */
  storePolicies?: Record<string, StorePolicy>;
  /** the central URL this file is polled from; absent when the file has no `configSource:` */
  configSource?: ConfigSourceSection;
}
