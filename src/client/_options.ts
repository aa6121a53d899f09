// Option resolution: every default and every check of the client's options
// in one place. A new option's type goes in options.ts; its default and its
// check go here, and the rest of the client reads the resolved value.

import { type DecodeLimitOptions, DEFAULT_DECODE_LIMITS } from "../decoder.ts";
import type {
  OperationOptions,
  StompClientOptions,
  StompTimers,
  StompTransportSource,
} from "./options.ts";
import { refuseUnknownKeys } from "../_keys.ts";
import { ReconnectPolicy } from "./_reconnect.ts";
import { kind, nonNegative, positive, shown } from "./_util.ts";

/** How late a runtime timer fires when the event loop was held up. */
const HELD_UP_MS = 50;

/** Whether a late timer means a held-up event loop: not in a page. */
const WAIT_WHEN_LATE = !("document" in globalThis);

/** A runtime timer, whose id changes when its callback waits for input. */
class SystemTimer {
  id?: ReturnType<typeof setTimeout>;
}

/**
 * The timers of the runtime: `setTimeout`, `clearTimeout`, `performance.now`.
 * A timer that fires late because the event loop was held up (synchronous
 * work in a handler, a process paused for a while) finds the input that
 * arrived meanwhile not yet read, and the output of just before not yet
 * written: runtimes run due timers first, and Deno took up to 6 turns
 * (17 ms) to read a socket after a 60 s pause. So its callback waits at
 * least 4 more turns and as long as it was late, up to 250 ms (again if
 * that wait ends late too, 3 times at most), and a RECEIPT or a heart-beat
 * that came (or could come) in time is read before a timeout or a silence
 * is declared. Not in a browser page, whose timers are late by design (a
 * hidden tab's wake up once a second, or once a minute): waiting more turns
 * there only delays them further.
 */
const SYSTEM_TIMERS: StompTimers = {
  setTimeout(callback, delay) {
    const timer = new SystemTimer();
    // When the current wait should end; a wait that ends later than that
    // (by HELD_UP_MS) starts the wait for input, again if need be.
    let due = performance.now() + delay;
    let until: number | undefined;
    let turns = 0;
    let rounds = 0;
    const fire = () => {
      const now = performance.now();
      if (WAIT_WHEN_LATE && rounds < 3 && now - due > HELD_UP_MS) {
        rounds++;
        until = now + Math.min(now - due, 250);
        turns = 0;
      }
      if (until !== undefined && (turns < 4 || now < until)) {
        const wait = turns++ < 4 ? 0 : until - now;
        due = now + wait;
        timer.id = setTimeout(fire, wait);
        return;
      }
      callback();
    };
    timer.id = setTimeout(fire, delay);
    return timer;
  },
  clearTimeout: (handle) => clearTimeout((handle as SystemTimer).id),
  now: () => performance.now(),
};

/** The longest delay runtimes wait: a longer one fires after about 1 ms. */
const MAX_DELAY = 2 ** 31 - 1;

/** A timer waiting out a delay longer than {@linkcode MAX_DELAY} in steps. */
class LongWait {
  handle: unknown;
}

/**
 * `timers` that wait any delay: a timeout of 30 days must not fire after
 * 1 ms (nor re-arm every millisecond), so a longer delay is waited in steps.
 */
function longTimers(timers: StompTimers): StompTimers {
  for (const name of ["setTimeout", "clearTimeout", "now"] as const) {
    if (typeof timers?.[name] !== "function") {
      throw new TypeError(
        `Cannot create client: timers.${name} must be a function, got ${typeof timers
          ?.[name]}`,
      );
    }
  }
  return {
    setTimeout(callback, delay) {
      if (!(delay > MAX_DELAY)) return timers.setTimeout(callback, delay);
      const wait = new LongWait();
      const end = timers.now() + delay;
      const step = () => {
        const left = end - timers.now();
        if (left > 0) {
          wait.handle = timers.setTimeout(step, Math.min(left, MAX_DELAY));
        } else callback();
      };
      wait.handle = timers.setTimeout(step, MAX_DELAY);
      return wait;
    },
    clearTimeout: (handle) =>
      timers.clearTimeout(handle instanceof LongWait ? handle.handle : handle),
    now: () => timers.now(),
  };
}

/**
 * Every option's name, so that one misspelt from JavaScript is refused
 * rather than ignored (a new option missing here fails the type check).
 */
const OPTION_NAMES = {
  host: 0,
  login: 0,
  passcode: 0,
  acceptVersion: 0,
  heartBeat: 0,
  headers: 0,
  command: 0,
  heartBeatGrace: 0,
  connectTimeout: 0,
  disconnectTimeout: 0,
  receiptTimeout: 0,
  sendBufferSize: 0,
  unconfirmedBytes: 0,
  maxSendBodyBytes: 0,
  textContentLength: 0,
  signal: 0,
  reconnect: 0,
  highWaterMark: 0,
  highWaterMarkBytes: 0,
  decodeLimits: 0,
  bodyChunks: 0,
  timers: 0,
  beforeConnect: 0,
  onUnhandledMessage: 0,
  replyMode: 0,
  replyDestination: 0,
  onStateChange: 0,
  onError: 0,
  trace: 0,
  redactHeaders: 0,
} satisfies Record<keyof StompClientOptions, 0>;

/** The client's options, checked, with their defaults. */
export interface ClientSettings {
  readonly source: StompTransportSource;
  readonly timers: StompTimers;
  /** Heart-beat intervals the server may stay silent (at least 1). */
  readonly grace: number;
  readonly connectTimeout: number;
  readonly disconnectTimeout: number;
  readonly receiptTimeout: number;
  readonly highWaterMark: number;
  readonly highWaterMarkBytes: number;
  readonly maxSendBody: number;
  readonly sendBufferSize: number;
  /** Bytes unconfirmed over an unpaced transport; Infinity: no bound. */
  readonly unconfirmedBytes: number;
  readonly limits: DecodeLimitOptions;
  readonly policy: ReconnectPolicy | undefined;
  /** Which credentials the options gave (they win over a URL's). */
  readonly credentials: { readonly login: boolean; readonly passcode: boolean };
  readonly beforeConnect: StompClientOptions["beforeConnect"];
  readonly onUnhandledMessage: StompClientOptions["onUnhandledMessage"];
  readonly onStateChange: StompClientOptions["onStateChange"];
  readonly onError: StompClientOptions["onError"];
  /** Text SENDs carry content-length unless this is false. */
  readonly textContentLength: boolean;
  readonly bodyChunks: boolean;
  readonly replyMode: "auto" | "temp-queue" | "subscription";
  readonly replyDestination: string | undefined;
  readonly trace: StompClientOptions["trace"];
  readonly redact: readonly string[] | undefined;
}

/**
 * Checks a client's transport source and options and fills in the
 * defaults; throws the `TypeError` or `RangeError` `StompClient.connect`
 * rejects with.
 */
export function resolveOptions(
  source: StompTransportSource,
  options: StompClientOptions,
): ClientSettings {
  if (
    typeof source !== "function" &&
    (source === null || typeof source !== "object" ||
      !(source.readable instanceof ReadableStream) ||
      !(source.writable instanceof WritableStream))
  ) {
    throw new TypeError(
      "Cannot create client: expected a transport ({ readable, writable, close }) or a function returning one",
    );
  }
  refuseUnknownKeys(
    "Cannot create client: unknown option",
    options,
    Object.keys(OPTION_NAMES),
    {
      connectheaders: "headers",
      heartbeatincoming: "heartBeat",
      heartbeatoutgoing: "heartBeat",
      password: "passcode",
      reconnectdelay: "reconnect",
      username: "login",
      vhost: "host",
    },
  );
  if (options.decodeLimits != null) {
    refuseUnknownKeys(
      "Cannot create client: unknown decodeLimits option",
      options.decodeLimits,
      Object.keys(DEFAULT_DECODE_LIMITS),
    );
  }
  const signal = badSignal("create client", options.signal);
  if (signal !== undefined) throw signal;
  const policy = ReconnectPolicy.from(options.reconnect);
  if (policy !== undefined && typeof source !== "function") {
    throw new TypeError(
      "Cannot create client: reconnect needs a function that opens a new transport, not a single transport",
    );
  }
  const grace = positive("heartBeatGrace", options.heartBeatGrace ?? 3);
  if (grace < 1) {
    throw new RangeError(
      `Cannot create client: heartBeatGrace must be at least 1, got ${grace}`,
    );
  }
  const connectTimeout = nonNegative(
    "connectTimeout",
    options.connectTimeout ?? 10000,
  );
  const disconnectTimeout = nonNegative(
    "disconnectTimeout",
    options.disconnectTimeout ?? 10000,
  );
  const receiptTimeout = nonNegative(
    "receiptTimeout",
    options.receiptTimeout ?? 30000,
  );
  const highWaterMark = checkHighWaterMark(options.highWaterMark ?? 256);
  const highWaterMarkBytes = checkHighWaterMarkBytes(
    options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES,
  );
  const maxSendBody = positive(
    "maxSendBodyBytes",
    options.maxSendBodyBytes ?? DEFAULT_DECODE_LIMITS.maxBodyBytes,
    true,
  );
  const sendBufferSize = positive(
    "sendBufferSize",
    options.sendBufferSize ?? 4 * 1024 * 1024,
  );
  const unconfirmedBytes = options.unconfirmedBytes ?? 1024 * 1024;
  if (
    unconfirmedBytes !== Infinity &&
    (typeof unconfirmedBytes !== "number" ||
      !Number.isSafeInteger(unconfirmedBytes) || unconfirmedBytes < 1)
  ) {
    throw new RangeError(
      `Cannot create client: unconfirmedBytes must be a positive integer or Infinity, got ${unconfirmedBytes}`,
    );
  }
  if (
    options.beforeConnect !== undefined &&
    typeof options.beforeConnect !== "function"
  ) {
    throw new TypeError(
      `Cannot create client: beforeConnect must be a function, got ${typeof options
        .beforeConnect}`,
    );
  }
  const replyMode = options.replyMode ?? "auto";
  if (!["auto", "temp-queue", "subscription"].includes(replyMode)) {
    throw new TypeError(
      `Cannot create client: replyMode must be "auto", "temp-queue" or "subscription", got ${
        JSON.stringify(replyMode)
      }`,
    );
  }
  const trace = options.trace;
  if (trace !== undefined && typeof trace !== "function") {
    throw new TypeError(
      `Cannot create client: trace must be a function, got ${typeof trace}`,
    );
  }
  const redact = options.redactHeaders;
  if (
    redact !== undefined &&
    (!Array.isArray(redact) ||
      !redact.every((name) => typeof name === "string"))
  ) {
    throw new TypeError(
      `Cannot create client: redactHeaders must be an array of header names`,
    );
  }
  return {
    source,
    timers: longTimers(options.timers ?? SYSTEM_TIMERS),
    grace,
    connectTimeout,
    disconnectTimeout,
    receiptTimeout,
    highWaterMark,
    highWaterMarkBytes,
    maxSendBody,
    sendBufferSize,
    unconfirmedBytes,
    limits: options.decodeLimits ?? {},
    policy,
    credentials: {
      login: options.login !== undefined,
      passcode: options.passcode !== undefined,
    },
    beforeConnect: options.beforeConnect,
    onUnhandledMessage: options.onUnhandledMessage,
    onStateChange: options.onStateChange,
    onError: options.onError,
    textContentLength: options.textContentLength !== false,
    bodyChunks: options.bodyChunks === true,
    replyMode,
    replyDestination: options.replyDestination,
    trace,
    redact: redact === undefined ? undefined : [...redact],
  };
}

/** A subscription's buffer size (the client option, or subscribe's). */
export function checkHighWaterMark(value: number): number {
  return positive("highWaterMark", value, true);
}

/**
 * The body bytes a subscription buffers before the client stops reading:
 * a few large messages, far below what 256 of them could take.
 */
export const DEFAULT_HIGH_WATER_MARK_BYTES = 8 * 1024 * 1024;

/** A subscription's buffer size in body bytes (the client option, or subscribe's). */
export function checkHighWaterMarkBytes(value: number): number {
  return positive("highWaterMarkBytes", value, true);
}

/**
 * How long a drain waits for the messages handed out to be acknowledged:
 * below the 30 s a container is usually given between SIGTERM and SIGKILL,
 * leaving time to disconnect.
 */
export const DEFAULT_DRAIN_TIMEOUT = 20_000;

/** Whether an operation's `timeout` option is usable (a finite number ≥ 0). */
export function validTimeout(timeout: unknown): timeout is number | undefined {
  return timeout === undefined ||
    (typeof timeout === "number" && timeout >= 0 && Number.isFinite(timeout));
}

/** The `TypeError` for a `signal` option that is not an AbortSignal. */
export function badSignal(
  what: string,
  signal: unknown,
): TypeError | undefined {
  if (
    signal === undefined ||
    typeof (signal as AbortSignal | null)?.addEventListener === "function"
  ) return undefined;
  return new TypeError(
    `Cannot ${what}: signal must be an AbortSignal, got ${kind(signal)}`,
  );
}

/**
 * An operation's timeout: its own option, or `fallback`; the `RangeError`
 * for an unusable one, the `TypeError` for a signal that is not one.
 */
export function operationTimeout(
  what: string,
  options: OperationOptions,
  fallback: number,
): number | RangeError | TypeError {
  const signal = badSignal(what, options.signal);
  if (signal !== undefined) return signal;
  const timeout = options.timeout;
  if (timeout === undefined) return fallback;
  if (validTimeout(timeout)) return timeout;
  return new RangeError(
    `Cannot ${what}: timeout must be a non-negative number, got ${
      shown(timeout)
    }`,
  );
}
