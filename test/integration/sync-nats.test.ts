/**
 * NATS JetStream push to a real nats-server (one node, JetStream on a temporary store): every
 * reading and event lands once in the stream, events first; a batch whose PubAcks were lost is
 * resent and the stream's duplicate window drops it; logins by user/password and token; a refused
 * login and a missing stream are shown in health; createStream makes the stream as configured; an
 * NKey seed file and TLS with a private CA.
 * The 3-node cluster with a node restart and gateway kill -9 is sync-nats-cluster.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { millis, nkeyAuthenticator, nkeys } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../core/logger.js';
import { Secret } from '../../core/secret.js';
import type { Store } from '../../gateway/store/index.js';
import { type NatsTargetConfig, syncSchema } from '../../sync/config-schema.js';
import { createSync, type SyncService } from '../../sync/create-sync.js';
import { itemLines, readingLines } from '../../sync/nats/item-lines.js';
import { parsePubAck } from '../../sync/nats/pub-acks.js';
import { startAckProxy } from '../helpers/nats-ack-proxy.js';
import { natsTarget } from '../helpers/nats-fixtures.js';
import { type NatsCluster, startNats } from '../helpers/nats-server.js';
import { oneTo, readStream } from '../helpers/nats-stream-reader.js';
import { peersAvailable } from '../helpers/peers.js';
import { syncSamples, syncSection, until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const GATEWAY = 'gw-nats';
const temp = createTempStores('sync-nats-');

function ingest(store: Store, readings: number, events: number): void {
  for (let e = 0; e < events; e++) store.appendEvent('alarm.raised', { e, nested: [{ seq: e, text: 'a "quoted", {braced} value' }] });
  const samples = syncSamples(readings);
  for (let i = 0; i < samples.length; i += 500) store.append(samples.slice(i, i + 500));
  store.flush();
}

const started: SyncService[] = [];
async function startSync(store: Store, target: NatsTargetConfig): Promise<SyncService> {
  const sync = await createSync({ config: syncSection([target]), gatewayId: GATEWAY, version: '9.9.9', startedAt: Date.now(), store, logger: silentLogger });
  started.push(sync);
  sync.start();
  return sync;
}

async function addStream(cluster: NatsCluster, name = 'FACILITY', duplicateWindowS = 120): Promise<void> {
  const nc = await cluster.client();
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name, subjects: [`${name === 'FACILITY' ? 'facility' : name.toLowerCase()}.>`], duplicate_window: duplicateWindowS * 1e9 });
  } finally {
    await nc.close();
  }
}

afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});
afterAll(() => temp.cleanup());

describe('item lines (one message per item)', () => {
  it('cuts the items array at its own commas only', () => {
    const items = [
      { seq: 1, ts: 5, point: 'a.b', value: 'x,"y"},{"seq":9', quality: 'good' },
      { seq: 2, ts: 6, type: 'alarm.raised', data: { list: [{ seq: 7 }, { seq: 8 }], s: '\\', n: null } },
      { seq: 3, ts: 7, point: 'a.c', value: null, quality: 'bad', reason: 'timeout' },
    ];
    const lines = itemLines(JSON.stringify(items)).split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(items);
    expect(itemLines('[]')).toBe('');
  });
  it('cuts readings (flat objects) the same way, faster', () => {
    const readings = [
      { seq: 1, ts: 5, point: 'a.b', value: 'x,"y"},{"seq":9', quality: 'good' },
      { seq: 2, ts: 6, point: 'a.c', value: null, quality: 'bad', reason: 'timeout' },
      { seq: 3, ts: 7, point: 'a.d', value: true, quality: 'good' },
    ];
    const json = JSON.stringify(readings);
    expect(readingLines(json)).toBe(itemLines(json));
    expect(readingLines(json).split('\n').map((l) => JSON.parse(l))).toEqual(readings);
    expect(readingLines('[]')).toBe('');
  });
});

describe('PubAcks', () => {
  it('takes a stored message or a duplicate of a stored one, not a duplicate only staged', () => {
    expect(parsePubAck('{"stream":"FACILITY","seq":12}')).toEqual({ ok: true, stream: 'FACILITY', duplicate: false });
    expect(parsePubAck('{"stream":"FACILITY","seq":12,"duplicate": true}')).toEqual({ ok: true, stream: 'FACILITY', duplicate: true });
    // nats-server 2.9 answers so while the first copy is only proposed to the replicas
    expect(parsePubAck('{"stream":"FACILITY","seq":0,"duplicate": true}')).toMatchObject({ ok: false, reason: 'error' });
    expect(parsePubAck('{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}')).toMatchObject({
      ok: false,
      code: 10077,
      message: 'JetStream refused the message: maximum messages exceeded',
    });
    expect(parsePubAck('nonsense')).toMatchObject({ ok: false });
  });
});

describe('the nats target config', () => {
  const parse = (extra: Record<string, unknown>) =>
    syncSchema.safeParse({ targets: [{ id: 'bus', kind: 'nats', servers: ['nats://127.0.0.1:4222'], subjectPrefix: 'facility', stream: 'FACILITY', ...extra }] });
  it('takes one way to log in, and user with password', () => {
    expect(parse({ user: 'gw', password: 'x' }).success).toBe(true);
    expect(parse({ token: 'x', credsFile: 'gw.creds' }).error?.issues[0]?.message).toBe('choose one way to log in, not token and credsFile');
    expect(parse({ user: 'gw' }).error?.issues[0]?.message).toBe('user and password go together');
    expect(parse({ tls: { certFile: 'c.pem' } }).error?.issues[0]?.message).toBe('certFile and keyFile go together');
  });
  it('fills the createStream defaults', () => {
    const parsed = parse({ createStream: {} });
    expect(parsed.data?.targets[0]).toMatchObject({
      batchItems: 5000,
      timeoutMs: 10_000,
      createStream: { replicas: 1, maxAgeS: 604_800, duplicateWindowS: 120, subjects: 'shared' },
    });
  });
});

describe.runIf(peersAvailable('nats-server'))('NATS JetStream push to nats-server', () => {
  let nats: NatsCluster;
  beforeAll(async () => {
    nats = await startNats();
    await addStream(nats);
  });
  afterAll(async () => nats?.dispose());

  it('delivers every reading and event once, events first, each as its committed item', { timeout: 30_000 }, async () => {
    const store = temp.open(temp.file());
    ingest(store, 20_000, 40);
    const sync = await startSync(store, natsTarget(nats.urls));
    const t = () => sync.health().targets[0]!;
    await until(() => t().streams.readings?.depth === 0 && t().streams.events?.depth === 0, 20_000, 'the backlog to drain');
    expect(t()).toMatchObject({ connected: true, state: 'idle', lastError: null });

    const nc = await nats.client();
    try {
      const got = await readStream(nc, 'FACILITY', `facility.${GATEWAY}.>`);
      expect(got.duplicates).toEqual({});
      expect(got.mismatchedIds).toEqual([]);
      expect(got.seqs.events).toEqual(oneTo(40));
      expect(got.seqs.readings).toEqual(oneTo(20_000));
      // Events were pending with the readings: every event is in the stream before the first reading.
      const lastEvent = Math.max(...got.messages.filter((m) => m.subject.endsWith('.events')).map((m) => m.streamSeq));
      const firstReading = Math.min(...got.messages.filter((m) => m.subject.endsWith('.readings')).map((m) => m.streamSeq));
      expect(lastEvent).toBeLessThan(firstReading);
      // The message is the committed item, as in the HTTP body.
      const rows = store.readingsAfter(0, 20_000);
      const bySeq = new Map(got.messages.filter((m) => m.subject.endsWith('.readings')).map((m) => [m.json.seq as number, m]));
      const differing = rows.filter((r) => {
        const m = bySeq.get(r.seq)!;
        return m.msgId !== `${GATEWAY}:readings:${r.seq}` || m.json.point !== r.pointId || m.json.ts !== r.ts || m.json.value !== r.value || m.json.quality !== r.quality;
      });
      expect(differing.slice(0, 3)).toEqual([]);
      const event = got.messages.find((m) => m.msgId === `${GATEWAY}:events:3`)!;
      expect(event.json).toMatchObject({ seq: 3, type: 'alarm.raised', data: { e: 2, nested: [{ seq: 2 }] } });
    } finally {
      await nc.close();
    }
  });

  it('resends a batch whose PubAcks were lost, and the stream keeps one copy', { timeout: 30_000 }, async () => {
    const proxy = await startAckProxy(nats.nodes[0]!.port);
    const nc = await nats.client();
    const jsm = await jetstreamManager(nc);
    try {
      const gateway = 'gw-deaf';
      const store = temp.open(temp.file());
      ingest(store, 3000, 0);
      const before = (await jsm.streams.info('FACILITY')).state.messages;
      // Log in and check the stream with answers, then lose every answer from the first publish on.
      proxy.deafOn(`HPUB facility.${gateway}.readings `);
      const sync = await createSync({
        config: syncSection([natsTarget([proxy.url], { timeoutMs: 1000, batchItems: 1000 })]),
        gatewayId: gateway,
        version: '9.9.9',
        startedAt: Date.now(),
        store,
        logger: silentLogger,
      });
      started.push(sync);
      sync.start();
      // The first batch is stored by the server but its acks never come back.
      const t = () => sync.health().targets[0]!;
      await until(() => t().consecutiveFailures > 0, 10_000, 'a PubAck timeout');
      expect(proxy.isDeaf()).toBe(true);
      expect(t().lastError?.message).toContain('no PubAck within 1000 ms');
      const storedWhileDeaf = (await jsm.streams.info('FACILITY')).state.messages - before;
      expect(storedWhileDeaf).toBeGreaterThan(0);
      expect(t().streams.readings?.ackedSeq).toBe(0);
      proxy.hear();
      await until(() => t().streams.readings?.depth === 0, 15_000, 'the backlog to drain');
      const got = await readStream(nc, 'FACILITY', `facility.${gateway}.>`);
      expect(got.duplicates).toEqual({});
      expect(got.seqs.readings?.slice().sort((a, b) => a - b)).toEqual(oneTo(3000));
      expect((await jsm.streams.info('FACILITY')).state.messages - before).toBe(3000);
    } finally {
      await nc.close();
      await proxy.close();
    }
  });

  it('publishes the seqs retention deleted as gap messages, in their place', { timeout: 15_000 }, async () => {
    const gateway = 'gw-gaps';
    const day = 86_400_000;
    const store = temp.open(temp.file(), { retention: { maxAgeDays: 1, maxSizeMB: 0 } });
    // 1..10 old, 11..15 new, 16..25 old, 26..30 new: age retention leaves 11..15 and 26..30.
    for (const [n, at] of [[10, Date.now() - 3 * day], [5, Date.now()], [10, Date.now() - 3 * day], [5, Date.now()]] as const) store.append(syncSamples(n, at));
    store.flush();
    store.enforceRetention();
    const sync = await createSync({
      config: { ...syncSection([natsTarget(nats.urls)]), retention: 'ignore' },
      gatewayId: gateway,
      version: '9.9.9',
      startedAt: Date.now(),
      store,
      logger: silentLogger,
    });
    started.push(sync);
    sync.start();
    const t = () => sync.health().targets[0]!;
    await until(() => t().streams.readings?.depth === 0 && t().streams.events?.depth === 0, 10_000, 'the backlog to drain');
    const nc = await nats.client();
    try {
      const got = await readStream(nc, 'FACILITY', `facility.${gateway}.readings`);
      expect(got.messages.map((m) => m.gap ?? m.json.seq)).toEqual(['1-10', 11, 12, 13, 14, 15, '16-25', 26, 27, 28, 29, 30]);
      const gap = got.messages[0]!;
      expect(gap).toMatchObject({ msgId: `${gateway}:readings:gap:1-10`, json: { gap: { fromSeq: 1, toSeq: 10 } } });
      expect(t().gapSeqs.readings).toBe(20);
    } finally {
      await nc.close();
    }
  });

  it('warns when the stream forgets message ids sooner than a resend can come', { timeout: 15_000 }, async () => {
    await addStream(nats, 'SHORT', 5);
    const lines: string[] = [];
    const store = temp.open(temp.file());
    ingest(store, 10, 0);
    const sync = await createSync({
      config: syncSection([natsTarget(nats.urls, { stream: 'SHORT', subjectPrefix: 'short', retryMaxMs: 60_000 })]),
      gatewayId: GATEWAY,
      version: '9.9.9',
      startedAt: Date.now(),
      store,
      logger: createLogger({ write: (line) => lines.push(line), repeat: false }),
    });
    started.push(sync);
    sync.start();
    await until(() => sync.health().targets[0]!.streams.readings?.depth === 0, 10_000, 'the backlog to drain');
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.msg).includes('duplicate window'));
    expect(warning).toMatchObject({ level: 'warn', stream: 'SHORT', duplicateWindowS: 5, resendWithinS: 62 });
  });

  it('shows a missing stream in health, naming it and the subjects', { timeout: 15_000 }, async () => {
    const store = temp.open(temp.file());
    ingest(store, 10, 1);
    const sync = await startSync(store, natsTarget(nats.urls, { stream: 'NOPE', subjectPrefix: 'elsewhere' }));
    const t = () => sync.health().targets[0]!;
    await until(() => t().lastError !== null, 5000, 'the error');
    expect(t().state).toBe('error');
    expect(t().lastError).toMatchObject({ kind: 'rejected' });
    expect(t().lastError!.message).toContain('"NOPE" does not exist');
    expect(t().lastError!.message).toContain(`elsewhere.${GATEWAY}.events and elsewhere.${GATEWAY}.readings`);
    expect(t().streams.events?.ackedSeq).toBe(0);
  });

  it('creates a missing stream with the configured replicas, age and duplicate window', { timeout: 15_000 }, async () => {
    const store = temp.open(temp.file());
    ingest(store, 100, 2);
    const sync = await startSync(
      store,
      natsTarget(nats.urls, { stream: 'PLANT', subjectPrefix: 'plant', createStream: { replicas: 1, maxAgeS: 3600, duplicateWindowS: 30, subjects: 'shared' } }),
    );
    const t = () => sync.health().targets[0]!;
    await until(() => t().streams.readings?.depth === 0, 10_000, 'the backlog to drain');
    const nc = await nats.client();
    try {
      const info = await (await jetstreamManager(nc)).streams.info('PLANT');
      expect(info.config).toMatchObject({ subjects: ['plant.>'], num_replicas: 1, storage: 'file' });
      expect(millis(info.config.max_age)).toBe(3_600_000);
      expect(millis(info.config.duplicate_window)).toBe(30_000);
      expect(info.state.messages).toBe(102);
    } finally {
      await nc.close();
    }
  });
});

describe.runIf(peersAvailable('nats-server'))('NATS server down and back', () => {
  it('shows the outage in health and drains once the server is back', { timeout: 30_000 }, async () => {
    const nats = await startNats();
    try {
      await addStream(nats);
      const store = temp.open(temp.file());
      ingest(store, 2000, 2);
      const sync = await startSync(store, natsTarget(nats.urls));
      const t = () => sync.health().targets[0]!;
      await until(() => t().streams.readings?.depth === 0, 10_000, 'the first backlog to drain');
      await nats.nodes[0]!.stop(true);
      ingest(store, 3000, 1);
      await until(() => t().connected === false && t().lastError !== null, 10_000, 'the outage in health');
      expect(t().state).toBe('retrying');
      expect(t().lastError!.message).toMatch(/^NATS nats:\/\/127\.0\.0\.1:\d+: /);
      expect(t().streams.readings?.depth).toBeGreaterThan(0);
      // Same port, same store folder: the stream is still there.
      await nats.nodes[0]!.start();
      await until(() => t().streams.readings?.depth === 0 && t().streams.events?.depth === 0, 20_000, 'the backlog to drain');
      expect(t()).toMatchObject({ connected: true, state: 'idle', lastError: null });
      const nc = await nats.client();
      try {
        const got = await readStream(nc, 'FACILITY');
        expect(got.duplicates).toEqual({});
        expect(got.seqs.readings?.slice().sort((a, b) => a - b)).toEqual(oneTo(5000));
        expect(got.seqs.events?.slice().sort((a, b) => a - b)).toEqual(oneTo(3));
      } finally {
        await nc.close();
      }
    } finally {
      for (const s of started.splice(0)) await s.stop();
      await nats.dispose();
    }
  });
});

describe.runIf(peersAvailable('nats-server'))('NATS logins', () => {
  const PASSWORD = 'pw-Very-Secret-42';
  const TOKEN = 'tok-Very-Secret-43';
  let withPassword: NatsCluster;
  let withToken: NatsCluster;
  beforeAll(async () => {
    [withPassword, withToken] = await Promise.all([startNats({ auth: { user: 'gw', password: PASSWORD } }), startNats({ auth: { token: TOKEN } })]);
    await Promise.all([addStream(withPassword), addStream(withToken)]);
  });
  afterAll(async () => {
    await withPassword?.dispose();
    await withToken?.dispose();
  });

  it('logs in with user and password, and with a token', { timeout: 20_000 }, async () => {
    const a = temp.open(temp.file());
    const b = temp.open(temp.file());
    ingest(a, 500, 1);
    ingest(b, 500, 1);
    const byPassword = await startSync(a, natsTarget(withPassword.urls, { user: 'gw', password: new Secret(PASSWORD) }));
    const byToken = await startSync(b, natsTarget(withToken.urls, { token: new Secret(TOKEN) }));
    for (const sync of [byPassword, byToken]) {
      await until(() => sync.health().targets[0]!.streams.readings?.depth === 0, 10_000, 'the backlog to drain');
    }
  });

  it('shows a refused password in health as auth, without the secret', { timeout: 20_000 }, async () => {
    const store = temp.open(temp.file());
    ingest(store, 10, 1);
    const wrong = 'wrong-Secret-44';
    const sync = await startSync(store, natsTarget(withPassword.urls, { user: 'gw', password: new Secret(wrong) }));
    const t = () => sync.health().targets[0]!;
    await until(() => t().lastError?.kind === 'auth', 5000, 'the auth error');
    expect(t()).toMatchObject({ state: 'error', connected: false });
    expect(t().lastError!.message).toMatch(/authorization/i);
    const shown = JSON.stringify(sync.health());
    for (const secret of [wrong, PASSWORD, TOKEN]) expect(shown).not.toContain(secret);
  });
});

describe.runIf(peersAvailable('nats-server'))('NATS publish permission', () => {
  it('shows a publish the server forbids as auth in health', { timeout: 20_000 }, async () => {
    const nats = await startNats({ auth: { user: 'gw', password: 'pw-45', denyPublish: ['facility.>'] } });
    try {
      await addStream(nats);
      const store = temp.open(temp.file());
      ingest(store, 10, 1);
      const sync = await startSync(store, natsTarget(nats.urls, { user: 'gw', password: new Secret('pw-45'), timeoutMs: 1000 }));
      const t = () => sync.health().targets[0]!;
      await until(() => t().lastError?.kind === 'auth', 10_000, 'the permission error');
      expect(t().state).toBe('error');
      expect(t().lastError!.message).toMatch(/permissions violation for publish/i);
      expect(t().streams.events?.ackedSeq).toBe(0);
    } finally {
      for (const s of started.splice(0)) await s.stop();
      await nats.dispose();
    }
  });
});

describe.runIf(peersAvailable('nats-server'))('NATS with an NKey seed file and TLS', () => {
  it('logs in with an NKey seed file', { timeout: 20_000 }, async () => {
    const user = nkeys.createUser();
    const seed = user.getSeed();
    const nats = await startNats({ auth: { nkey: user.getPublicKey() }, clientOptions: { authenticator: nkeyAuthenticator(seed) } });
    try {
      await addStream(nats);
      const seedFile = join(temp.dir(), 'gw.nk');
      writeFileSync(seedFile, `${new TextDecoder().decode(seed)}\n`, { mode: 0o600 });
      const store = temp.open(temp.file());
      ingest(store, 300, 1);
      const sync = await startSync(store, natsTarget(nats.urls, { nkeyFile: seedFile }));
      await until(() => sync.health().targets[0]!.streams.readings?.depth === 0, 10_000, 'the backlog to drain');
    } finally {
      // The gateway goes before its server (as in afterEach), not the other way round.
      for (const s of started.splice(0)) await s.stop();
      await nats.dispose();
    }
  });

  it('shows a missing seed file in health', { timeout: 20_000 }, async () => {
    const user = nkeys.createUser();
    const nats = await startNats({ auth: { nkey: user.getPublicKey() }, clientOptions: { authenticator: nkeyAuthenticator(user.getSeed()) } });
    try {
      const store = temp.open(temp.file());
      ingest(store, 10, 0);
      const sync = await startSync(store, natsTarget(nats.urls, { nkeyFile: join(temp.dir(), 'missing.nk') }));
      const t = () => sync.health().targets[0]!;
      await until(() => t().lastError !== null, 5000, 'the error');
      expect(t().lastError!.message).toMatch(/ENOENT|no such file/);
      expect(t().streams.readings?.ackedSeq).toBe(0);
    } finally {
      for (const s of started.splice(0)) await s.stop();
      await nats.dispose();
    }
  });

  it.runIf(hasOpenssl())('pushes over TLS to a server whose certificate a private CA file vouches for', { timeout: 20_000 }, async () => {
    const dir = temp.dir();
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    const nats = await startNats({ tls: { certFile, keyFile }, clientOptions: { tls: { caFile: certFile } } });
    try {
      await addStream(nats);
      const tlsUrls = nats.urls.map((u) => u.replace('nats://', 'tls://'));
      const store = temp.open(temp.file());
      ingest(store, 300, 1);
      const trusted = await startSync(store, natsTarget(tlsUrls, { tls: { caFile: certFile } }));
      await until(() => trusted.health().targets[0]!.streams.readings?.depth === 0, 10_000, 'the backlog to drain');
      // Without the CA the certificate is not trusted: nothing is sent, and health says why.
      const other = temp.open(temp.file());
      ingest(other, 10, 0);
      const untrusted = await startSync(other, natsTarget(tlsUrls, { id: 'bus-untrusted' }));
      const t = () => untrusted.health().targets[0]!;
      await until(() => t().lastError !== null, 5000, 'the TLS error');
      expect(t().lastError!.message).toMatch(/certificate/i);
      expect(t().streams.readings?.ackedSeq).toBe(0);
    } finally {
      for (const s of started.splice(0)) await s.stop();
      await nats.dispose();
    }
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('CI is missing openssl (apt-get install openssl)');
    console.warn('skipping the NATS TLS test: openssl is missing');
    return false;
  }
}
