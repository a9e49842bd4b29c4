import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDeviceChannel, type DeviceChannel } from '../../drivers/mqtt/device-channel.js';
import { createIngestStats, type IngestStats } from '../../drivers/mqtt/ingest-stats.js';
import { decodeMessage } from '../../drivers/mqtt/payload.js';
import type { MqttDeviceLike, MqttPoint } from '../../drivers/mqtt/point.js';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

function point(key: string, extra: Partial<MqttPoint> = {}): MqttPoint {
  return { id: `rack1.${key}`, key, name: key, topic: 'dc1/rack1/env', filter: 'dc1/+/env', type: 'number', staleAfterMs: 30_000, ...extra };
}

function device(extra: Partial<MqttDeviceLike> = {}): MqttDeviceLike {
  return {
    id: 'rack1',
    driver: 'mqtt',
    maxPayloadBytes: 1024,
    retained: 'accept',
    timestampPath: 'ts',
    points: [point('temperature', { path: 'temperature' }), point('humidity', { path: 'humidity' }), point('door', { topic: 'dc1/rack1/door', type: 'boolean', staleAfterMs: 0 })],
    ...extra,
  };
}

describe('device channel', () => {
  let stats: IngestStats;
  let channel: DeviceChannel;
  let got: Sample[];

  const send = (topic: string, text: string, retain = false) => {
    const payload = Buffer.from(text);
    channel.accept(topic, decodeMessage(payload, 1024), payload.length, retain);
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    stats = createIngestStats();
    channel = createDeviceChannel(device(), { stats, warn: () => {}, logger: silentLogger, now: Date.now });
    got = [];
  });
  afterEach(() => {
    channel.stop();
    vi.useRealTimers();
  });

  it('turns one JSON message into one good sample per point on its topic', () => {
    channel.listen((s) => got.push(...s));
    send('dc1/rack1/env', '{"temperature":24.5,"humidity":41.2}');
    expect(got).toEqual([
      { pointId: 'rack1.temperature', ts: T0, value: 24.5, quality: 'good' },
      { pointId: 'rack1.humidity', ts: T0, value: 41.2, quality: 'good' },
    ]);
    expect(channel.current().map((s) => [s.pointId, s.value, s.quality])).toEqual([
      ['rack1.temperature', 24.5, 'good'],
      ['rack1.humidity', 41.2, 'good'],
      ['rack1.door', null, 'uncertain'],
    ]);
  });

  it('uses the payload timestamp when there is one, and marks an implausible one uncertain', () => {
    channel.listen((s) => got.push(...s));
    send('dc1/rack1/env', JSON.stringify({ temperature: 20, ts: (T0 - 5000) / 1000 }));
    send('dc1/rack1/env', JSON.stringify({ temperature: 21, ts: '1970-01-01T00:00:00Z' }));
    expect(got.map((s) => [s.ts, s.value, s.quality, s.reason])).toEqual([
      [T0 - 5000, 20, 'good', undefined],
      [T0, 21, 'uncertain', 'bad-timestamp'],
    ]);
    expect(stats.rejected['bad-timestamp']).toBe(1);
    // humidity was missing from both messages
    expect(stats.rejected['missing-field']).toBe(2);
  });

  it('stores nothing from bad input and counts it by reason', () => {
    channel.listen((s) => got.push(...s));
    send('dc1/rack1/env', '{"temperature":"hot","humidity":1e999}');
    send('dc1/rack1/env', 'not json');
    send('dc1/rack1/door', 'maybe');
    channel.accept('dc1/rack1/env', 'too-large', 9999, false);
    expect(got).toEqual([]);
    expect(stats.rejected).toMatchObject({ 'wrong-type': 2, 'not-finite': 1, 'not-json': 2, 'too-large': 1 });
  });

  it('holds samples while nobody listens and hands them over first', () => {
    send('dc1/rack1/door', 'true');
    const seen: Sample[][] = [];
    channel.listen((s) => seen.push(s));
    expect(seen).toEqual([[{ pointId: 'rack1.door', ts: T0, value: true, quality: 'good' }]]);
  });

  it('pushes a silent point once as bad/stale, and good again when it speaks', () => {
    channel.listen((s) => got.push(...s));
    send('dc1/rack1/env', '{"temperature":24,"humidity":40}');
    vi.advanceTimersByTime(29_000);
    expect(got.filter((s) => s.reason === 'stale')).toEqual([]);
    vi.advanceTimersByTime(5000);
    expect(got.filter((s) => s.reason === 'stale').map((s) => s.pointId)).toEqual(['rack1.temperature', 'rack1.humidity']);
    vi.advanceTimersByTime(120_000);
    // once, not on every check; the door (staleAfterMs 0) never goes stale
    expect(got.filter((s) => s.reason === 'stale')).toHaveLength(2);
    expect(channel.current().map((s) => s.reason)).toEqual(['stale', 'stale', 'no-data']);
    send('dc1/rack1/env', '{"temperature":25,"humidity":40}');
    expect(got.at(-1)).toMatchObject({ pointId: 'rack1.humidity', quality: 'good' });
    expect(stats.staleEvents).toBe(2);
  });

  it('trusts a retained value only as far as its timestamp says', () => {
    channel.listen((s) => got.push(...s));
    send('dc1/rack1/door', 'true', true);
    send('dc1/rack1/env', JSON.stringify({ temperature: 19, humidity: 30, ts: (T0 - 3_600_000) / 1000 }), true);
    send('dc1/rack1/env', JSON.stringify({ temperature: 22, humidity: 35, ts: (T0 - 1000) / 1000 }), true);
    expect(got.map((s) => [s.pointId, s.value, s.quality, s.reason])).toEqual([
      ['rack1.door', true, 'uncertain', 'retained'],
      ['rack1.temperature', 22, 'good', undefined],
      ['rack1.humidity', 35, 'good', undefined],
    ]);
    expect(stats.rejected['retained-stale']).toBe(2);
  });

  it('drops retained messages when the device says so', () => {
    const ignoring = createDeviceChannel(device({ retained: 'ignore' }), { stats, warn: () => {}, logger: silentLogger, now: Date.now });
    ignoring.listen((s) => got.push(...s));
    const payload = Buffer.from('true');
    ignoring.accept('dc1/rack1/door', decodeMessage(payload, 1024), payload.length, true);
    expect(got).toEqual([]);
    ignoring.stop();
  });
});
