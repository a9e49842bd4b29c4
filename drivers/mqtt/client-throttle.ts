/**
 * Fair turns for the embedded broker's publishers, as backpressure. aedes reads a client's next
 * chunk from its socket as soon as every publish of the last chunk is authorized, and when that
 * happens synchronously it goes on reading chunk after chunk in one event-loop turn: one client
 * writing as fast as TCP allows then starves polls, commits and the web page for seconds.
 * Holding the authorization back (in arrival order) stops reading from that client:
 * - at most `maxPerTurn` publishes of one client are let through per event-loop turn (the rest
 *   wait for the next turn, after timers, I/O and the other clients had theirs);
 * - a client over `ratePerS` waits until it is back under it; its TCP window fills and it slows
 *   down, while the other clients are served as before.
 * Nothing is dropped, and nothing piles up beyond the one chunk aedes already read (~64 kB).
 */
import { createTokenBucket, type TokenBucket } from './rate-limits.js';

export interface ClientThrottleOptions {
  /** publishes per second one client may make; 0 or absent: no rate limit (turns still apply) */
  ratePerS?: number;
  /** how many may come at once after a quiet spell (default: one second's worth) */
  burst?: number;
  /** publishes of one client let through per event-loop turn (default 256) */
  maxPerTurn?: number;
  /** monotonic ms (default performance.now) */
  now?: () => number;
}

export interface ClientThrottle {
  /** Runs `go` now, or later in `client`'s order (after what it sent before). */
  admit(client: object, go: () => void): void;
  /** publishes that had to wait since start (over the rate, or past the turn's share) */
  held(): number;
  /** clients with publishes waiting now */
  holding(): number;
  /** Stops the timers; what is still held is dropped (the broker is closing). */
  close(): void;
}

interface ClientState {
  bucket: TokenBucket | undefined;
  waiting: (() => void)[];
  /** index of the next waiting publish (shifting a long array on every release is quadratic) */
  next: number;
  timer?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
  /** the turn `inTurn` counts for */
  turn: number;
  inTurn: number;
}

export const DEFAULT_MAX_PER_TURN = 256;

export function createClientThrottle(options: ClientThrottleOptions = {}): ClientThrottle {
  const now = options.now ?? (() => performance.now());
  const rate = options.ratePerS ?? 0;
  const burst = options.burst ?? Math.max(1, Math.ceil(rate));
  const maxPerTurn = Math.max(1, options.maxPerTurn ?? DEFAULT_MAX_PER_TURN);
  const states = new WeakMap<object, ClientState>();
  const busy = new Set<ClientState>();
  let held = 0;
  let closed = false;
  /**
   * Event-loop turns, counted in the check phase. The next turn starts before any release waiting
   * in that phase: it was scheduled by the first publish of this turn, before they re-armed.
   */
  let turn = 0;
  let turnEnd: NodeJS.Immediate | undefined;
  const inThisTurn = (state: ClientState) => {
    if (state.turn !== turn) {
      state.turn = turn;
      state.inTurn = 0;
    }
    return state.inTurn;
  };
  const countTurn = (state: ClientState) => {
    inThisTurn(state);
    state.inTurn += 1;
    turnEnd ??= setImmediate(() => {
      turn += 1;
      turnEnd = undefined;
    });
  };
  // the rate's token is taken last: a publish that waits for its turn must not spend one
  const mayGo = (state: ClientState) => inThisTurn(state) < maxPerTurn && (!state.bucket || state.bucket.take(now()));

  const release = (state: ClientState) => {
    state.timer = undefined;
    state.immediate = undefined;
    if (closed) return;
    while (state.next < state.waiting.length && mayGo(state)) {
      const go = state.waiting[state.next]!;
      state.waiting[state.next] = noop;
      state.next += 1;
      countTurn(state);
      go();
    }
    if (state.next < state.waiting.length) {
      // a client that never drains (aedes reads on as the last of a chunk goes) keeps appending
      if (state.next >= 1024 && state.next * 2 >= state.waiting.length) {
        state.waiting = state.waiting.slice(state.next);
        state.next = 0;
      }
      return arm(state);
    }
    state.waiting = [];
    state.next = 0;
    busy.delete(state);
  };

  const arm = (state: ClientState) => {
    if (state.timer || state.immediate || closed) return;
    const wait = state.bucket?.waitMs(now()) ?? 0;
    if (wait > 0) state.timer = setTimeout(() => release(state), wait);
    else state.immediate = setImmediate(() => release(state));
  };

  return {
    admit(client, go) {
      if (closed) return go();
      let state = states.get(client);
      if (!state) {
        state = { bucket: rate > 0 ? createTokenBucket(rate, burst, now()) : undefined, waiting: [], next: 0, turn, inTurn: 0 };
        states.set(client, state);
      }
      // Behind others of the same client: keep their order.
      if (state.waiting.length === 0 && mayGo(state)) {
        countTurn(state);
        return go();
      }
      held += 1;
      state.waiting.push(go);
      busy.add(state);
      arm(state);
    },
    held: () => held,
    holding: () => busy.size,
    close() {
      closed = true;
      if (turnEnd) clearImmediate(turnEnd);
      for (const state of busy) {
        clearTimeout(state.timer);
        if (state.immediate) clearImmediate(state.immediate);
      }
      busy.clear();
    },
  };
}

function noop(): void {}
