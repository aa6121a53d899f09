// Heart-beats, for both ends of a connection: the client and the test broker.
// Parsing the `heart-beat` header, negotiating each direction, and a
// scheduler that writes a heart-beat when the link has been idle and notices
// a peer that has fallen silent. Web APIs only; the clock is passed in, so
// tests drive it by hand (ManualTimers).

import type { HeartBeat } from "./builders.ts";

/**
 * The clock heart-beats run on: the shape of the client's `timers` option
 * (`StompTimers`) and of `ManualTimers`.
 */
export interface HeartBeatTimers {
  /** Calls `callback` once after `delay` milliseconds; returns a handle. */
  setTimeout(callback: () => void, delay: number): unknown;
  /** Cancels a pending call. */
  clearTimeout(handle: unknown): void;
  /** The current time in milliseconds (any origin; only differences count). */
  now(): number;
}

/** The timers of the runtime: `setTimeout`, `clearTimeout`, `performance.now`. */
export const SYSTEM_TIMERS: HeartBeatTimers = {
  setTimeout: (callback, delay) => setTimeout(callback, delay),
  clearTimeout: (handle) => clearTimeout(handle as number),
  now: () => performance.now(),
};

/**
 * Heart-beat intervals after negotiation, in milliseconds; 0 is off.
 */
export interface NegotiatedHeartBeat {
  /** This end sends something at least this often. */
  readonly send: number;
  /** The peer sends something at least this often. */
  readonly receive: number;
}

/**
 * Heart-beats go out once the link has been idle for this share of the
 * interval, so timer lateness never makes us miss the peer's deadline.
 */
export const HEARTBEAT_EARLY = 0.8;

// Two non-negative integers; blanks around each are tolerated.
const HEART_BEAT = /^\s*(\d+)\s*,\s*(\d+)\s*$/;

/**
 * Reads a `heart-beat` header: `[sends every, wants every]` in milliseconds.
 * A missing header is `[0, 0]` (no heart-beats), as the specification says.
 *
 * @param value The header's value, or `undefined` when the frame has none.
 * @returns The two intervals, or `undefined` when the value is not two
 * non-negative integers separated by a comma.
 */
export function parseHeartBeat(
  value: string | undefined,
): HeartBeat | undefined {
  if (value === undefined) return [0, 0];
  const match = HEART_BEAT.exec(value);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2])];
}

/**
 * Negotiates one direction of heart-beats as the STOMP specification says: 0
 * on either side turns it off, otherwise the larger of the two values wins.
 *
 * @example Negotiating the client's sending interval
 * ```ts
 * import { negotiateHeartBeat } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * // The client can send every 4 s; the server wants something every 10 s.
 * assertEquals(negotiateHeartBeat(4000, 10000), 10000);
 * assertEquals(negotiateHeartBeat(4000, 0), 0);
 * ```
 *
 * @param offered What one side offers (can send every, or wants every).
 * @param wanted What the other side asks for in the same direction.
 * @returns The interval in milliseconds; 0 is off.
 */
export function negotiateHeartBeat(offered: number, wanted: number): number {
  return offered === 0 || wanted === 0 ? 0 : Math.max(offered, wanted);
}

/**
 * Negotiates both directions from this end's heart-beat header and the
 * peer's.
 *
 * @param local This end's `[can send every, wants every]`.
 * @param remote The peer's `[can send every, wants every]`.
 * @returns How often this end sends and how often the peer must.
 */
export function negotiateHeartBeats(
  local: HeartBeat,
  remote: HeartBeat,
): NegotiatedHeartBeat {
  return {
    send: negotiateHeartBeat(local[0], remote[1]),
    receive: negotiateHeartBeat(local[1], remote[0]),
  };
}

/**
 * How long the peer may stay silent: `grace` intervals, rounded up to a
 * whole millisecond.
 *
 * @param receive The negotiated interval the peer sends at.
 * @param grace How many intervals it may miss.
 * @returns The limit in milliseconds.
 */
export function silenceLimit(receive: number, grace: number): number {
  return Math.ceil(receive * grace);
}

/** What a {@linkcode HeartBeatScheduler} calls back into. */
export interface HeartBeatHost {
  /**
   * Nothing has been written for a while: write an EOL now. Returns false to
   * let it pass (a write is under way, which will count); the scheduler then
   * asks again 1 ms later unless something is written meanwhile.
   */
  beat(): boolean;
  /**
   * Nothing came from the peer for `silent` milliseconds, at least `limit`.
   * The scheduler has stopped; the host ends the connection.
   */
  silent(silent: number, limit: number): void;
  /**
   * Whether this end has stopped reading for now: the peer's bytes then
   * wait unread, which is not the peer's silence.
   */
  paused?(): boolean;
}

/**
 * Keeps heart-beats for one connection: told of every write (`sent`) and
 * every read (`received`), it asks the host to write an EOL when the link has
 * been idle for {@linkcode HEARTBEAT_EARLY} of the sending interval, and
 * reports the peer silent once nothing came for `grace` receiving intervals.
 * Its timers are its own: {@linkcode HeartBeatScheduler.stop} ends them.
 */
// The longest delay timers take: runtimes fire a longer one after about 1 ms,
// which for an interval a peer chose (`heart-beat:0,3000000000`) would be a
// timer firing every millisecond. Longer waits are taken in steps of this.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

// How many turns of the event loop (timers of 0 ms) a silence past the limit
// waits before it is reported, for reads that waited behind a blocked loop
// to run (Deno delivers them on the second turn).
const SILENCE_LOOKS = 4;

export class HeartBeatScheduler {
  readonly #timers: HeartBeatTimers;
  readonly #host: HeartBeatHost;
  #lastSent: number;
  #lastReceived: number;
  #sendTimer: unknown;
  #receiveTimer: unknown;
  #stopped = false;

  /**
   * Starts the bookkeeping (the link counts as active now); the timers start
   * with {@linkcode HeartBeatScheduler.start}.
   *
   * @param timers The clock.
   * @param host What writes heart-beats and ends the connection.
   */
  constructor(timers: HeartBeatTimers, host: HeartBeatHost) {
    this.#timers = timers;
    this.#host = host;
    const now = timers.now();
    this.#lastSent = now;
    this.#lastReceived = now;
  }

  /** Something (a frame or a heart-beat) is being written now. */
  sent(): void {
    this.#lastSent = this.#timers.now();
  }

  /** Something came from the peer now (or reading resumed after a pause). */
  received(): void {
    this.#lastReceived = this.#timers.now();
  }

  /**
   * Starts the timers of the negotiated directions; 0 leaves one off.
   *
   * @param heartBeat The negotiated intervals.
   * @param grace How many receiving intervals the peer may stay silent.
   */
  start(heartBeat: NegotiatedHeartBeat, grace: number): void {
    this.#clear();
    this.#stopped = false;
    const timers = this.#timers;
    const { send, receive } = heartBeat;
    if (send > 0) {
      const due = send * HEARTBEAT_EARLY;
      const tick = () => {
        if (this.#stopped) return;
        if (timers.now() - this.#lastSent >= due && this.#host.beat()) {
          this.sent();
        }
        if (this.#stopped) return;
        this.#sendTimer = this.#after(
          tick,
          Math.max(1, this.#lastSent + due - timers.now()),
        );
      };
      this.#sendTimer = this.#after(tick, due);
    }
    if (receive > 0) {
      const limit = silenceLimit(receive, grace);
      // Turns of the event loop taken so far to look again at a silence.
      let looks = 0;
      const check = () => {
        if (this.#stopped) return;
        const now = timers.now();
        if (this.#host.paused?.() === true) this.#lastReceived = now;
        const silent = now - this.#lastReceived;
        if (silent >= limit && looks < SILENCE_LOOKS) {
          // When this end's own event loop was blocked (a handler busy for
          // longer than the limit), this timer runs before the reads that
          // waited meanwhile: the peer's bytes may be there, unread.
          looks++;
          this.#receiveTimer = this.#after(check, 0);
          return;
        }
        looks = 0;
        if (silent >= limit) {
          this.stop();
          this.#host.silent(silent, limit);
          return;
        }
        this.#receiveTimer = this.#after(check, limit - silent);
      };
      this.#receiveTimer = this.#after(check, limit);
    }
  }

  /** Stops the timers (the connection ended). */
  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  #after(callback: () => void, delay: number): unknown {
    return this.#timers.setTimeout(callback, Math.min(delay, MAX_TIMER_DELAY));
  }

  #clear(): void {
    const timers = this.#timers;
    if (this.#sendTimer !== undefined) timers.clearTimeout(this.#sendTimer);
    if (this.#receiveTimer !== undefined) {
      timers.clearTimeout(this.#receiveTimer);
    }
    this.#sendTimer = undefined;
    this.#receiveTimer = undefined;
  }
}
