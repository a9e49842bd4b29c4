/**
 * MQTT staleness is elapsed (monotonic) time: a wall clock stepped forward made every point
 * stale at once, one stepped back kept silent points "fresh" for the length of the step.
 * vi.setSystemTime moves Date only; performance.now runs on.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDeviceChannel, type DeviceChannel } from '../../drivers/mqtt/device-channel.js';
import { createIngestStats } from '../../drivers/mqtt/ingest-stats.js';
import { decodeMessage } from '../../drivers/mqtt/payload.js';
import type { MqttDeviceLike } from '../../drivers/mqtt/point.js';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';

const DAY = 86_400_000;

const device: MqttDeviceLike = {
  id: 'rack1',
  driver: 'mqtt',
  maxPayloadBytes: 1024,
  retained: 'accept',
  points: [{ id: 'rack1.temperature', key: 'temperature', name: 'temperature', topic: 'dc1/rack1/env', filter: 'dc1/+/env', type: 'number', staleAfterMs: 30_000, path: 'temperature' }],
} as MqttDeviceLike;

describe('MQTT staleness across wall-clock steps', () => {
  let channel: DeviceChannel;
  let got: Sample[];
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    channel = createDeviceChannel(device, { stats: createIngestStats(), warn: () => {}, logger: silentLogger, now: Date.now, monoNow: () => performance.now() });
    got = [];
    channel.listen((s) => got.push(...s));
  });
  afterEach(() => {
    channel.stop();
    vi.useRealTimers();
  });
  const send = (text: string) => {
    const payload = Buffer.from(text);
    channel.accept('dc1/rack1/env', decodeMessage(payload, 1024), payload.length, false);
  };
  const stale = () => got.filter((s) => s.reason === 'stale');

  it('a forward step does not make a point that just spoke stale', () => {
    send('{"temperature":24}');
    vi.advanceTimersByTime(5000);
    vi.setSystemTime(Date.now() + 40 * DAY);
    vi.advanceTimersByTime(5000);
    expect(stale()).toEqual([]);
    expect(channel.current()[0]).toMatchObject({ quality: 'good', value: 24 });
  });

  it('a backward step does not keep a silent point fresh; the stale sample carries the wall time', () => {
    send('{"temperature":24}');
    vi.setSystemTime(Date.now() - DAY);
    vi.advanceTimersByTime(35_000);
    expect(stale()).toHaveLength(1);
    // stamped with the (stepped-back) wall clock of the check
    expect(stale()[0]!.ts).toBeLessThan(Date.UTC(2026, 0, 1));
    expect(stale()[0]!.ts).toBeGreaterThan(Date.UTC(2026, 0, 1) - DAY);
    expect(channel.current()[0]).toMatchObject({ quality: 'bad', reason: 'stale' });
  });
});
