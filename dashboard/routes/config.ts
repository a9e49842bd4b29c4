/**
 * The live configuration API (admin only, checked here since the role table lets operators POST):
 *   GET  /api/v1/config                      the running config, secrets redacted (also as `yaml` text),
 *                                            and the central config source's status (`central`)
 *   POST /api/v1/config?dryRun=1             validate YAML text and return the diff; changes nothing
 *   POST /api/v1/config[?guardS=N]           validate, diff and apply (nothing changes on any problem);
 *                                            for N s (default 60, 0: off) a device that was up going
 *                                            down restores the previous version by itself
 *   POST /api/v1/config/rollback {version}   apply an earlier version again
 *   GET  /api/v1/config/versions             every applied version (newest first)
 *   GET  /api/v1/config/versions/:n/diff     what version n changed
 *   GET  /api/v1/config/source               the running version's site file text, every secret value
 *                                            as `[secret]` (config/live/mask-secrets.ts), to edit
 * The body is the site file's YAML text, as `gateway check` would read it. A `[secret]` in it (from
 * /source) stands for the value at the same place in the running file, put back before anything else.
 */
import { type Context, Hono } from 'hono';
import { stringify as stringifyYaml } from 'yaml';
import { type ConfigProblem, formatProblem } from '../../core/errors.js';
import { roleAtLeast } from '../../gateway/auth/roles.js';
import type { WebEnv } from '../context.js';
import { jsonError } from '../errors.js';

/** A site file larger than this is not a site file (10 000 points fit in about 1 MiB of YAML). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface ConfigVersionInfo {
  n: number;
  hash: string;
  at: number;
  who: string;
  source: string;
  summary: string[];
  diff: unknown;
}

/** What the routes need of live configuration (app/start-live-config.ts provides it). */
export interface ConfigApi {
  /** the running config with its secrets redacted, and the version it is */
  current(): {
    version: { n: number; hash: string; at: number } | null;
    /** the watch after the last apply: `version` is undone by restoring `restores` if devices go down before `until` */
    guard: { version: number; restores: number; until: number } | null;
    config: unknown;
    /** the central config source (`configSource:`): last poll, ETag, outcome, error; null without one (app/config-source.ts) */
    central?: unknown;
  };
  /** the running version's site file text with its secrets as `[secret]`; null before any version */
  source(): { version: number; text: string; masked: number } | null;
  /** validate and diff (after putting back any `[secret]`); changes nothing */
  check(text: string): { ok: false; problems: ConfigProblem[] } | { ok: true; diff: unknown; summary: string[]; refusals: string[] };
  apply(text: string, who: string, options: { guardMs?: number }): Promise<ApplyOutcome>;
  /** undefined: no such version */
  rollback(version: number, who: string): Promise<ApplyOutcome | undefined>;
  /** newest first */
  versions(): ConfigVersionInfo[];
  version(n: number): ConfigVersionInfo | undefined;
}

type ApplyOutcome =
  | { status: 'invalid'; problems: ConfigProblem[] }
  | { status: 'refused'; diff: unknown; summary: string[]; refusals: string[] }
  | { status: 'unchanged'; diff: unknown; summary: string[] }
  | { status: 'applied'; diff: unknown; summary: string[]; version?: number };

/** The longest guard an apply may ask for (an hour). */
export const MAX_GUARD_S = 3600;

export function configRoutes(api: ConfigApi): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.use('*', async (c, next) => {
    const principal = c.get('principal');
    if (!roleAtLeast(principal.role, 'admin')) {
      return jsonError(c, 403, 'forbidden', `the configuration needs the admin role; ${principal.name} is ${principal.role}`);
    }
    return next();
  });

  // `yaml`: the same redacted config as YAML text, for the config page (and people) to read.
  app.get('/', (c) => {
    const current = api.current();
    return c.json({ ...current, yaml: stringifyYaml(current.config) });
  });

  app.post('/', async (c) => {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) return jsonError(c, 413, 'payload-too-large', `a site file is at most ${MAX_CONFIG_BYTES} bytes`);
    if (text.trim() === '') return jsonError(c, 400, 'bad-request', 'send the site file (YAML) as the request body');
    const dryRun = ['1', 'true'].includes(c.req.query('dryRun') ?? '');
    if (dryRun) {
      const checked = api.check(text);
      if (!checked.ok) return c.json(invalid(checked.problems), 422);
      return c.json({ valid: true, applicable: checked.refusals.length === 0, diff: checked.diff, summary: checked.summary, refusals: checked.refusals });
    }
    const guardS = c.req.query('guardS');
    const guard = guardS === undefined ? undefined : Number(guardS);
    if (guard !== undefined && !(Number.isInteger(guard) && guard >= 0 && guard <= MAX_GUARD_S)) {
      return jsonError(c, 400, 'bad-request', `guardS is whole seconds from 0 (no guard) to ${MAX_GUARD_S}`);
    }
    const outcome = await api.apply(text, c.get('principal').name, guard === undefined ? {} : { guardMs: guard * 1000 });
    return reply(c, outcome);
  });

  app.post('/rollback', async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return jsonError(c, 400, 'bad-request', 'the body is not valid JSON');
    }
    const version = (body as { version?: unknown } | null)?.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return jsonError(c, 400, 'bad-request', 'send {"version": N}');
    const outcome = await api.rollback(version, c.get('principal').name);
    if (!outcome) return jsonError(c, 404, 'not-found', `no config version ${version}`);
    return reply(c, outcome);
  });

  // the text as written (comments and all) for the editor; the secrets never leave the gateway
  app.get('/source', (c) => {
    const source = api.source();
    if (!source) return jsonError(c, 404, 'not-found', 'no config version recorded yet');
    return c.json(source);
  });

  app.get('/versions', (c) => c.json({ versions: api.versions().map(({ n, hash, at, who, source, summary }) => ({ n, hash, at, who, source, summary })) }));

  app.get('/versions/:n/diff', (c) => {
    const n = Number(c.req.param('n'));
    const version = Number.isInteger(n) && n > 0 ? api.version(n) : undefined;
    if (!version) return jsonError(c, 404, 'not-found', `no config version ${c.req.param('n')}`);
    return c.json({ n: version.n, hash: version.hash, at: version.at, who: version.who, source: version.source, diff: version.diff, summary: version.summary });
  });
  return app;
}

function invalid(problems: ConfigProblem[]) {
  return {
    valid: false,
    error: { code: 'invalid-config', message: `${problems.length} problem(s) in the config; nothing changed` },
    problems: problems.map((p) => ({ ...p, text: formatProblem(p) })),
  };
}

function reply(c: Context<WebEnv>, outcome: ApplyOutcome) {
  switch (outcome.status) {
    case 'invalid':
      return c.json(invalid(outcome.problems), 422);
    case 'refused':
      return c.json(
        {
          applied: false,
          error: { code: 'needs-restart', message: `not applied live (nothing changed): ${outcome.refusals.join('; ')}` },
          refusals: outcome.refusals,
          diff: outcome.diff,
          summary: outcome.summary,
        },
        409,
      );
    case 'unchanged':
      return c.json({ applied: false, unchanged: true, diff: outcome.diff, summary: outcome.summary });
    case 'applied':
      return c.json({ applied: true, version: outcome.version ?? null, diff: outcome.diff, summary: outcome.summary });
  }
}
