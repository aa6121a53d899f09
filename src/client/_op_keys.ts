// The option names each operation knows, typed against its options
// interface, so that one added there and not here fails the type check. A
// JavaScript caller's misspelt name (`recipt: true`) would otherwise leave
// the option at its default, and a header given beside `headers`
// (`"prefetch-count": "1"`) would be left out of the frame.

import { closestName } from "../_keys.ts";
import type {
  BeginOptions,
  ClientSendOptions,
  ClientSubscribeOptions,
  DisconnectOptions,
  DrainOptions,
  ReplyOptions,
  RequestOptions,
} from "./options.ts";
import type { MessageAckOptions } from "./message.ts";
import type { UnsubscribeOptions } from "./subscription.ts";
import type {
  TransactionEndOptions,
  TransactionSendOptions,
} from "./transaction.ts";
import { kind } from "./_util.ts";

/** Known names, each mapped to 0 (a plain lookup, no array per call). */
type Known<T> = Readonly<Record<keyof T, 0>>;

/** `Known<T>` if `T` has the names of `U`, no more nor fewer; else never. */
type Same<T, U> = [keyof T] extends [keyof U]
  ? [keyof U] extends [keyof T] ? Known<T> : never
  : never;

/** send, reply and a transaction's send. */
export const SEND_KEYS = {
  timeout: 0,
  signal: 0,
  receipt: 0,
  contentType: 0,
  headers: 0,
  contentLength: 0,
} as const satisfies
  & Known<ClientSendOptions>
  & Same<ReplyOptions, ClientSendOptions>
  & Same<TransactionSendOptions, ClientSendOptions>;

export const REQUEST_KEYS = {
  timeout: 0,
  signal: 0,
  contentType: 0,
  headers: 0,
  contentLength: 0,
} as const satisfies Known<RequestOptions>;

export const SUBSCRIBE_KEYS = {
  timeout: 0,
  signal: 0,
  ack: 0,
  receipt: 0,
  headers: 0,
  highWaterMark: 0,
  highWaterMarkBytes: 0,
} as const satisfies Known<ClientSubscribeOptions>;

/** begin, unsubscribe, ack, nack, commit and abort. */
export const FRAME_KEYS = {
  timeout: 0,
  signal: 0,
  receipt: 0,
  headers: 0,
} as const satisfies
  & Known<BeginOptions>
  & Same<UnsubscribeOptions, BeginOptions>
  & Same<MessageAckOptions, BeginOptions>
  & Same<TransactionEndOptions, BeginOptions>;

export const DISCONNECT_KEYS = {
  timeout: 0,
  signal: 0,
  headers: 0,
} as const satisfies Known<DisconnectOptions>;

export const DRAIN_KEYS = {
  timeout: 0,
  signal: 0,
} as const satisfies Known<DrainOptions>;

// Header names without a "-" or "." that callers put at the top level.
const HEADERS = ["persistent", "priority", "expires", "selector", "durable"];

// Names other libraries use (lower-cased), and ours for them.
const ALIASES: Readonly<Record<string, string>> = {
  ackmode: "ack",
  skipcontentlengthheader: "contentLength",
};

/**
 * The `TypeError` for options that are not an object, or for their first
 * own key (with a value other than `undefined`) not in `known`, naming the
 * closest known one, or saying to put a header in `headers`.
 *
 * @param verb What the operation does, for "Cannot <verb>: ...".
 */
export function optionsFault(
  verb: string,
  options: object,
  known: Readonly<Record<string, 0>>,
): TypeError | undefined {
  if (typeof options !== "object") {
    return new TypeError(
      `Cannot ${verb}: options must be an object, got ${kind(options)}`,
    );
  }
  // for-in walks the keys without making an array (send is the hot path).
  for (const key in options) {
    if (
      known[key] === 0 || !Object.hasOwn(options, key) ||
      (options as Record<string, unknown>)[key] === undefined
    ) continue;
    const names = Object.keys(known);
    const closest = Object.hasOwn(ALIASES, key.toLowerCase())
      ? ALIASES[key.toLowerCase()]
      : closestName(key, names);
    const name = JSON.stringify(key);
    return new TypeError(
      `Cannot ${verb}: unknown option ${name}${
        closest !== undefined && names.includes(closest)
          ? ` (did you mean ${JSON.stringify(closest)}?)`
          : /[-.]/.test(key) || HEADERS.includes(key)
          ? ` (a header? put it in headers: { ${name}: ... })`
          : ""
      }`,
    );
  }
  return undefined;
}

/**
 * The rejection (through `owner.refuse`, so onError hears of it) for
 * options {@linkcode optionsFault} finds fault with, else `undefined`.
 */
export function refusedOptions(
  owner: { refuse(error: Error): Promise<never> },
  verb: string,
  options: object,
  known: Readonly<Record<string, 0>>,
): Promise<never> | undefined {
  const fault = optionsFault(verb, options, known);
  return fault === undefined ? undefined : owner.refuse(fault);
}
