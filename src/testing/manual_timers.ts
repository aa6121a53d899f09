/**
 * {@linkcode ManualTimers}: a clock that moves only when told, for testing
 * heart-beats, timeouts and reconnection delays without waiting.
 *
 * @module
 */

interface Scheduled {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told: `setTimeout` callbacks run during
 * {@linkcode ManualTimers.advance}, in time order. It has the shape of the
 * client's `timers` option (`StompTimers`).
 *
 * @example Moving time forward
 * ```ts
 * import { ManualTimers } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * const timers = new ManualTimers();
 * const fired: number[] = [];
 * timers.setTimeout(() => fired.push(timers.now()), 1000);
 * await timers.advance(999);
 * assertEquals(fired, []);
 * await timers.advance(1);
 * assertEquals(fired, [1000]);
 * ```
 */
export class ManualTimers {
  #now = 0;
  #nextId = 1;
  #scheduled: Scheduled[] = [];

  /**
   * Calls `callback` once the clock has moved `delay` milliseconds on.
   *
   * @param callback The function to call.
   * @param delay Milliseconds.
   * @returns A handle for {@linkcode ManualTimers.clearTimeout}.
   */
  setTimeout(callback: () => void, delay: number): number {
    if (typeof callback !== "function") {
      throw new TypeError(
        `Cannot set timeout: callback must be a function, got ${
          typeof callback === "string" ? JSON.stringify(callback) : callback
        }`,
      );
    }
    const id = this.#nextId++;
    const at = this.#now + Math.max(0, Number.isFinite(delay) ? delay : 0);
    this.#scheduled.push({ id, at, callback });
    return id;
  }

  /**
   * Cancels a pending call.
   *
   * @param handle What `setTimeout` returned.
   */
  clearTimeout(handle: unknown): void {
    this.#scheduled = this.#scheduled.filter((entry) => entry.id !== handle);
  }

  /**
   * The current time of this clock, in milliseconds from its creation.
   *
   * @returns The time.
   */
  now(): number {
    return this.#now;
  }

  /** The number of calls waiting. */
  get pending(): number {
    return this.#scheduled.length;
  }

  /**
   * Moves the clock forward, running every call that falls due, in order,
   * each at its own time. Between calls it lets pending promise callbacks
   * and I/O run (one macrotask turn), so that what a timer starts can finish
   * before the next one fires.
   *
   * @param ms Milliseconds to move on.
   * @returns A promise that resolves once the clock has reached its new time.
   */
  async advance(ms: number): Promise<void> {
    if (typeof ms !== "number" || !(ms >= 0)) {
      throw new RangeError(
        `Cannot advance clock: ms must be a non-negative number, got ${
          typeof ms === "string" ? JSON.stringify(ms) : ms
        }`,
      );
    }
    if (ms === Infinity) {
      // The clock would stay at Infinity: every later call would fall due at once.
      throw new RangeError(
        "Cannot advance clock: ms must be finite, got Infinity",
      );
    }
    const end = this.#now + ms;
    while (true) {
      let next: Scheduled | undefined;
      for (const entry of this.#scheduled) {
        if (entry.at <= end && (next === undefined || entry.at < next.at)) {
          next = entry;
        }
      }
      if (next === undefined) break;
      this.#scheduled = this.#scheduled.filter((entry) => entry !== next);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
    }
    // An advance begun while this one waited may have gone further.
    this.#now = Math.max(this.#now, end);
  }
}
