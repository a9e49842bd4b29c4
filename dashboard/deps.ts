import type { Hono } from 'hono';
import type { AlarmService } from '../gateway/alarms/types.js';
import type { AuthService, Role } from '../gateway/auth/types.js';
import type { Catalog } from '../gateway/catalog.js';
import type { DeviceStatus } from '../core/device-status.js';
import type { Logger } from '../core/logger.js';
import type { SelfHealth } from '../core/self-health.js';
import type { Store } from '../gateway/store/types.js';
import type { ControlService } from '../gateway/control/types.js';
import type { SnapshotService } from '../gateway/snapshots/types.js';
import type { ActionService } from '../gateway/actions/types.js';
import type { IncidentService } from '../gateway/incidents/types.js';
import type { Topology } from '../gateway/topology/types.js';
import type { AnalyticsService } from '../gateway/analytics/types.js';

/**
 * A provider of Prometheus metric families for GET /metrics (the shape routes/metrics.ts renders).
 * Declared here, not imported from the route, so deps and the route do not import each other.
 */
export type MetricsProvider = () => Array<{
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}>;

/** Free and total space of the file system holding the data folder. */
export interface DiskUsage {
  path: string;
  totalBytes: number;
  freeBytes: number;
}

/** What the users page needs of the API-token store (gateway/auth/tokens.ts has this shape). */
export interface TokenAdmin {
  list(): Array<{ name: string; role: string; createdAt: number; lastUsedAt: number | null; hint: string }>;
  create(name: string, role: Role): { token: string };
  revoke(name: string): boolean;
}

/** What the web API reads. It never talks to drivers. */
export interface DashboardDeps {
  gatewayId: string;
  version: string;
  startedAt: number;
  /** time since start on the monotonic clock, so a wall-clock step never moves uptime; default now() − startedAt */
  uptimeMs?: () => number;
  catalog: Catalog;
  store: Pick<Store, 'latest' | 'latestOf' | 'history' | 'stats' | 'onCommit' | 'rollups' | 'eventsAfter' | 'storedPoints'>;
  deviceStatus: () => DeviceStatus[];
  /** writes to equipment (POST /api/v1/points/:id/write); absent: every write answers not-writable */
  control?: ControlService;
  /** logins, sessions and API tokens; every route but login, static files and health needs it */
  auth: AuthService;
  /** API tokens, managed by admins on the users page (`gateway token` does the same on the command line) */
  tokens?: TokenAdmin;
  /** automated actions (GET /api/v1/actions, the actions page); absent: no actions page data */
  actions?: ActionService;
  /** the local alarms, when the gateway runs them */
  alarms?: AlarmService;
  /** event snapshots (GET /api/v1/alarms/:id/snapshot, the snapshot page); absent: 404 routes, no link */
  snapshots?: SnapshotService;
  /** the site topology (`topology:` of the site file); the topology page and API need it */
  topology?: Topology;
  /** incidents and symptom grouping (issue 15), when the gateway runs them */
  incidents?: IncidentService;
  /** learned baselines, anomalies and forecasts (issue 16); absent: the baseline and forecast routes answer 404 */
  analytics?: AnalyticsService;
  /** the data folder's file system (system page); undefined where it cannot be measured */
  diskUsage?: () => DiskUsage | undefined;
  /** true when the listener is HTTPS: cookies get Secure, responses HSTS */
  tls?: boolean;
  /** host names the page answers to (DNS rebinding); every host when not given (app.request tests) */
  allowedHost?: (host: string) => boolean;
  /** request body cap in bytes (`http.maxBodyKB`); default 64 KiB. A function: read per request (live config) */
  maxBodyBytes?: number | (() => number);
  /** live streams (SSE) one user or API token may hold open (`http.maxLiveStreams`); default 10. A function: read per stream opened */
  maxLiveStreams?: number | (() => number);
  /** sub-apps other parts contribute, mounted at `path` (the sync pull API at /api/v1/sync) */
  mounts?: { path: string; app: Hono }[];
  /** the gateway's own conditions (storage, clock, ...): health is `degraded` while any is raised */
  selfHealth?: SelfHealth;
  /** extra sections of GET /api/v1/health, by name (e.g. `sync`: per-target backlogs) */
  healthSections?: Record<string, () => unknown>;
  /** GET /metrics families beyond the gateway's own (sync, alarms, ...) */
  metrics?: MetricsProvider[];
  logger: Logger;
  now?: () => number;
}
