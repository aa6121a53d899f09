// The brokers a client connects to, attempt by attempt: the next of
// connectUrl's list (round and round), the `beforeConnect` hook (which can
// name another URL and credentials), the transport source, and the
// credentials CONNECT carries (the options' win over a URL's, a hook's over
// both). The URL the client reports never carries a secret.

import { redactUrl } from "../_redact.ts";
import type { OpenTransportOptions } from "../transports/open.ts";
import { openUrl } from "../transports/_open.ts";
import type { StompTransport } from "../transports/transport.ts";
import { StompConnectionError } from "./errors.ts";
import type {
  ConnectAttempt,
  ConnectSettings,
  StompTransportSource,
} from "./options.ts";
import type { ConnectOverrides } from "./session.ts";
import type { ClientSettings } from "./_options.ts";
import { type BrokerUrl, parseAnyUrl, parseBrokerUrl } from "./_urls.ts";
import { describe } from "./_util.ts";
import { refuseUnknownKeys } from "../_keys.ts";
import { typeName } from "../_type_name.ts";

/** One connection attempt to a broker. */
export interface BrokerAttempt {
  /**
   * Runs `beforeConnect` and opens the transport; rejects with a
   * `StompConnectionError` when the hook fails or names a bad URL.
   */
  open(signal: AbortSignal): Promise<StompTransport>;
  /** What CONNECT carries in place of the options, for this attempt. */
  overrides(): ConnectOverrides;
  /**
   * The URL (without credentials) this attempt opens, once known (after
   * `beforeConnect`); `undefined` before, or for a transport without one.
   */
  readonly url: URL | undefined;
  /** Whether `beforeConnect` is running (named when the attempt times out). */
  readonly hooking: boolean;
}

/** The names of what `beforeConnect` may return, and their types. */
const SETTINGS = {
  login: "string",
  passcode: "string",
  host: "string",
  headers: "object",
  url: "string or URL",
} as const satisfies Record<keyof ConnectSettings, string>;

/**
 * What `beforeConnect` returned, checked (a JavaScript hook can return
 * anything), without the names it left null or undefined. Throws a
 * `TypeError` naming the type of what is wrong, never its value (a token).
 */
function checkSettings(returned: unknown): ConnectSettings {
  if (returned === undefined || returned === null) return {};
  const what = "Cannot connect: beforeConnect";
  if (typeof returned !== "object" || Array.isArray(returned)) {
    throw new TypeError(
      `${what} must return an object or undefined, got ${typeName(returned)}`,
    );
  }
  refuseUnknownKeys(
    `${what} returned an unknown setting`,
    returned,
    Object.keys(SETTINGS),
  );
  const settings: Record<string, unknown> = {};
  for (const [name, expected] of Object.entries(SETTINGS)) {
    const value = (returned as Record<string, unknown>)[name];
    if (value === undefined || value === null) continue;
    const ok = typeof value === expected ||
      (name === "url" && (typeof value === "string" || value instanceof URL));
    if (!ok) {
      const noun = name === "headers"
        ? "headers that are"
        : `a ${name} that is`;
      throw new TypeError(
        `${what} returned ${noun} ${typeName(value)}, not ${
          expected === "object" ? "an object" : `a ${expected}`
        }`,
      );
    }
    settings[name] = value;
  }
  return settings as ConnectSettings;
}

export class Brokers {
  readonly #source: StompTransportSource;
  readonly #list: readonly BrokerUrl[] | undefined;
  readonly #beforeConnect: ClientSettings["beforeConnect"];
  readonly #credentials: ClientSettings["credentials"];
  /** The URL of the current (or last) connection attempt. */
  #url: URL | undefined;

  constructor(
    settings: Pick<ClientSettings, "source" | "beforeConnect" | "credentials">,
    list: readonly BrokerUrl[] | undefined,
  ) {
    this.#source = settings.source;
    this.#beforeConnect = settings.beforeConnect;
    this.#credentials = settings.credentials;
    this.#list = list;
  }

  /**
   * The URL (without credentials) of the broker of the current or last
   * attempt; `undefined` when the transport came without one.
   */
  get url(): URL | undefined {
    return this.#url;
  }

  /**
   * Attempt `number` (from 1, over the client's life; `reconnecting` once
   * a connection was up): to the next broker of the list.
   */
  attempt(number: number, reconnecting: boolean): BrokerAttempt {
    const list = this.#list;
    let broker = list?.[(number - 1) % list.length];
    let settings: ConnectSettings = {};
    let opens: URL | undefined;
    let hooking = false;
    const open = async (signal: AbortSignal) => {
      let url = broker?.url;
      const beforeConnect = this.#beforeConnect;
      if (beforeConnect !== undefined) {
        let returned: unknown;
        hooking = true;
        try {
          returned = await beforeConnect({ number, reconnecting, url, signal });
        } catch (cause) {
          throw new StompConnectionError(
            `Cannot connect: beforeConnect failed: ${
              redactUrl(describe(cause))
            }`,
            { cause },
          );
        } finally {
          hooking = false;
        }
        try {
          settings = checkSettings(returned);
        } catch (cause) {
          // A mistake in the code, the same on every attempt: not retried.
          ARGUMENT_ERRORS.add(cause as TypeError);
          throw new StompConnectionError(describe(cause), { cause });
        }
        if (settings.url !== undefined) {
          try {
            broker = list === undefined
              ? parseAnyUrl(settings.url)
              : parseBrokerUrl(settings.url);
          } catch (cause) {
            throw new StompConnectionError(
              `Cannot connect: beforeConnect returned a bad url: ${
                describe(cause).replace(/^Cannot connect: /, "")
              }`,
              { cause },
            );
          }
          url = broker.url;
        }
      }
      this.#url = opens = url;
      const source = this.#source;
      return typeof source === "function"
        ? await source({ number, reconnecting, url, signal })
        : source;
    };
    const overrides = (): ConnectOverrides => ({
      login: settings.login ??
        (this.#credentials.login ? undefined : broker?.login),
      passcode: settings.passcode ??
        (this.#credentials.passcode ? undefined : broker?.passcode),
      host: settings.host,
      headers: settings.headers,
    });
    return {
      open,
      overrides,
      get url() {
        return opens;
      },
      get hooking() {
        return hooking;
      },
    };
  }
}

/**
 * Errors of connectUrl's transport options (a `TypeError` or `RangeError` of
 * `openUrl`): the same on every attempt, so never retried.
 */
const ARGUMENT_ERRORS = new WeakSet<Error>();

/** Whether `error` is a transport option's, refused on every attempt. */
export function isArgumentError(error: unknown): error is Error {
  return error instanceof Error && ARGUMENT_ERRORS.has(error);
}

/**
 * What an attempt threw building its CONNECT frame: a `TypeError` or
 * `RangeError` (a header that is not a string) is marked as an argument's,
 * the same on every attempt, so never retried.
 */
export function sameEveryAttempt(error: unknown): unknown {
  if (!(error instanceof TypeError || error instanceof RangeError)) {
    return error;
  }
  ARGUMENT_ERRORS.add(error);
  return new StompConnectionError(error.message, { cause: error });
}

/** connectUrl's transport source: opens each attempt's URL with `options`. */
export function urlSource(
  options: OpenTransportOptions,
): (attempt: ConnectAttempt) => Promise<StompTransport> {
  return async (attempt: ConnectAttempt) => {
    // The attempt given up (its timeout, connect()'s signal) stops the
    // opening too: a WebSocket left unanswered would stay open until the
    // transport's own timeout.
    const signal = options.signal === undefined
      ? attempt.signal
      : AbortSignal.any([options.signal, attempt.signal]);
    try {
      return await openUrl(attempt.url!, { ...options, signal });
    } catch (error) {
      // A transport option it refuses is refused on every attempt.
      if (error instanceof TypeError || error instanceof RangeError) {
        ARGUMENT_ERRORS.add(error);
      }
      throw error;
    }
  };
}
