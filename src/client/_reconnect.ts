// When to try again: exponential backoff with jitter, an attempt count that
// starts over only once a connection has stayed up for a while, and the
// point where the client gives up.

import type { ReconnectOptions } from "./options.ts";
import { nonNegative, positive } from "./_util.ts";

export class ReconnectPolicy {
  readonly retries: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  readonly jitter: number;
  readonly random: () => number;
  readonly retryFirstConnect: boolean;
  readonly stableAfter: number;
  readonly onFailedAttempt:
    | ((error: Error, attempt: number) => void)
    | undefined;
  /** Attempts in a row without a connection that stayed up. */
  #attempts = 0;
  #connectedAt: number | undefined;

  /** The policy for `option`, or `undefined` when reconnection is off. */
  static from(
    option: boolean | ReconnectOptions | undefined,
  ): ReconnectPolicy | undefined {
    if (option === undefined || option === false) return undefined;
    return new ReconnectPolicy(option === true ? {} : option);
  }

  constructor(options: ReconnectOptions) {
    const jitter = nonNegative("reconnect.jitter", options.jitter ?? 0.5);
    if (jitter > 1) {
      throw new RangeError(
        `Cannot create client: reconnect.jitter must be between 0 and 1, got ${jitter}`,
      );
    }
    const retries = options.retries ?? 10;
    if (retries !== Infinity) positive("reconnect.retries", retries, true);
    this.retries = retries;
    this.initialDelay = nonNegative(
      "reconnect.initialDelay",
      options.initialDelay ?? 500,
    );
    this.maxDelay = nonNegative(
      "reconnect.maxDelay",
      options.maxDelay ?? 30000,
    );
    this.factor = positive("reconnect.factor", options.factor ?? 2);
    this.jitter = jitter;
    this.random = options.random ?? Math.random;
    this.retryFirstConnect = options.retryFirstConnect ?? true;
    this.stableAfter = nonNegative(
      "reconnect.stableAfter",
      options.stableAfter ?? 10000,
    );
    this.onFailedAttempt = options.onFailedAttempt;
  }

  /** The attempts made in a row so far. */
  get attempts(): number {
    return this.#attempts;
  }

  /** A connection is up (CONNECTED came). */
  connected(now: number): void {
    this.#connectedAt = now;
  }

  /** The connection was lost: if it stayed up long enough, start over. */
  lost(now: number): void {
    if (
      this.#connectedAt !== undefined &&
      now - this.#connectedAt >= this.stableAfter
    ) {
      this.#attempts = 0;
    }
    this.#connectedAt = undefined;
  }

  /**
   * Counts one more attempt and returns how long to wait before it, or
   * `undefined` when the retries are used up.
   */
  next(): number | undefined {
    if (this.#attempts >= this.retries) return undefined;
    const attempt = ++this.#attempts;
    const base = Math.min(
      this.maxDelay,
      this.initialDelay * this.factor ** (attempt - 1),
    );
    return base * (1 - this.jitter * this.random());
  }
}
