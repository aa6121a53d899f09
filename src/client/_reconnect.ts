// When to try again: exponential backoff with jitter, an attempt count that
// starts over only once a connection has stayed up for a while, and the
// point where the client gives up. The attempts are counted here only: the
// number of each over the client's life (which broker of a list it goes
// to), and those in a row (how long to wait, when to give up).

import type { ReconnectOptions } from "./options.ts";
import { refuseUnknownKeys } from "../_keys.ts";
import { nonNegative, positive } from "./_util.ts";

/** Every reconnect option's name (see `OPTION_NAMES` in _options.ts). */
const RECONNECT_NAMES = {
  retries: 0,
  initialDelay: 0,
  maxDelay: 0,
  factor: 0,
  jitter: 0,
  random: 0,
  retryFirstConnect: 0,
  stableAfter: 0,
  onFailedAttempt: 0,
} satisfies Record<keyof ReconnectOptions, 0>;

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

  /** The policy for `option`, or `undefined` when reconnection is off. */
  static from(
    option: boolean | ReconnectOptions | undefined,
  ): ReconnectPolicy | undefined {
    if (option === undefined || option === false) return undefined;
    if (option === true) return new ReconnectPolicy({});
    if (typeof option !== "object" || option === null) {
      throw new TypeError(
        `Cannot create client: reconnect must be true, false or an object of options, got ${
          option === null ? "null" : `a ${typeof option}`
        }`,
      );
    }
    refuseUnknownKeys(
      "Cannot create client: unknown reconnect option",
      option,
      Object.keys(RECONNECT_NAMES),
      {
        attempts: "retries",
        delay: "initialDelay",
        maxattempts: "retries",
        maxretries: "retries",
        mindelay: "initialDelay",
        multiplier: "factor",
      },
    );
    return new ReconnectPolicy(option);
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
}

/** The connection attempts of a client, and whether to make another. */
export class Attempts {
  /** The reconnection policy; `undefined` when reconnection is off. */
  readonly policy: ReconnectPolicy | undefined;
  /** Attempts over the client's life. */
  #total = 0;
  /** Retries in a row without a connection that stayed up. */
  #inARow = 0;
  /** Attempts failed since the client was last connected (or began). */
  #failed = 0;
  #connectedAt: number | undefined;
  #wasUp = false;
  readonly #randomFailed: (thrown: unknown) => void;

  /**
   * `randomFailed` takes what the policy's `random` throws (the wait is then
   * taken without jitter).
   */
  constructor(
    policy: ReconnectPolicy | undefined,
    randomFailed: (thrown: unknown) => void = () => {},
  ) {
    this.policy = policy;
    this.#randomFailed = randomFailed;
  }

  /** A new attempt begins: its number over the client's life, from 1. */
  begin(): number {
    return ++this.#total;
  }

  /** Whether a connection was ever established. */
  get wasUp(): boolean {
    return this.#wasUp;
  }

  /** The retries made in a row so far. */
  get inARow(): number {
    return this.#inARow;
  }

  /**
   * An attempt failed: its number among those made since the client was
   * last connected (or began), from 1 (what `onFailedAttempt` is given).
   */
  failed(): number {
    return ++this.#failed;
  }

  /** A connection is up (CONNECTED came). */
  connected(now: number): void {
    this.#wasUp = true;
    this.#failed = 0;
    this.#connectedAt = now;
  }

  /** The connection was lost: if it stayed up long enough, start over. */
  lost(now: number): void {
    const policy = this.policy;
    if (
      policy !== undefined && this.#connectedAt !== undefined &&
      now - this.#connectedAt >= policy.stableAfter
    ) {
      this.#inARow = 0;
    }
    this.#connectedAt = undefined;
  }

  /**
   * Counts one more retry and returns how long to wait before it, or
   * `undefined` when the retries are used up (or reconnection is off).
   */
  next(): number | undefined {
    const policy = this.policy;
    if (policy === undefined || this.#inARow >= policy.retries) {
      return undefined;
    }
    const attempt = ++this.#inARow;
    const base = Math.min(
      policy.maxDelay,
      policy.initialDelay * policy.factor ** (attempt - 1),
    );
    return base * (1 - policy.jitter * this.#random(policy));
  }

  /** The policy's random number, or 0 (no jitter) if it fails to give one. */
  #random(policy: ReconnectPolicy): number {
    let value: number;
    try {
      value = policy.random();
    } catch (thrown) {
      this.#randomFailed(thrown);
      return 0;
    }
    return value >= 0 && value <= 1 ? value : 0;
  }
}
