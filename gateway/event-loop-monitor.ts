/**
 * How late the event loop runs timers: the one number that says whether polls, commits and the
 * web page are being starved (a flood of input, a long synchronous job). Health shows the last
 * full window, so a burst stays visible for a while after it ends.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopDelay {
  /** delay percentiles and maximum over the window, ms */
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  /** the window these cover, s */
  windowS: number;
}

export interface EventLoopMonitor {
  /** the last full window (the current one until the first has ended) */
  snapshot(): EventLoopDelay;
  stop(): void;
}

export interface EventLoopMonitorOptions {
  /** default 10000 */
  windowMs?: number;
  /** sampling resolution, default 10 ms */
  resolutionMs?: number;
}

const NS_PER_MS = 1e6;

export function startEventLoopMonitor(options: EventLoopMonitorOptions = {}): EventLoopMonitor {
  const windowMs = options.windowMs ?? 10_000;
  const resolutionMs = options.resolutionMs ?? 10;
  // node records each timer's whole interval: the delay is what exceeds the resolution
  const round = (ns: number) => Math.max(0, Math.round((ns / NS_PER_MS - resolutionMs) * 10) / 10);
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const read = (): EventLoopDelay =>
    histogram.count === 0
      ? { delayP50Ms: 0, delayP99Ms: 0, delayMaxMs: 0, windowS: windowMs / 1000 }
      : {
          delayP50Ms: round(histogram.percentile(50)),
          delayP99Ms: round(histogram.percentile(99)),
          delayMaxMs: round(histogram.max),
          windowS: windowMs / 1000,
        };
  let last: EventLoopDelay | undefined;
  const timer = setInterval(() => {
    last = read();
    histogram.reset();
  }, windowMs);
  timer.unref();
  return {
    snapshot: () => last ?? read(),
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}

/** The delay as a Prometheus gauge (structural, like alarms/metrics.ts), in seconds. */
export function eventLoopMetricFamilies(d: EventLoopDelay) {
  return [
    {
      name: 'gateway_event_loop_delay_seconds',
      help: `How late the event loop ran timers over the last ${d.windowS} s (quantile 1: the maximum)`,
      type: 'gauge' as const,
      samples: [
        { labels: { quantile: '0.5' }, value: d.delayP50Ms / 1000 },
        { labels: { quantile: '0.99' }, value: d.delayP99Ms / 1000 },
        { labels: { quantile: '1' }, value: d.delayMaxMs / 1000 },
      ],
    },
  ];
}
