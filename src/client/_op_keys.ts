// The option names each operation knows, typed against its options
// interface, so that one added there and not here fails the type check. A
// JavaScript caller's misspelt name (`recipt: true`) would otherwise leave
// the option at its default, and a header given beside `headers`
// (`"prefetch-count": "1"`) would be left out of the frame.

import { unknownKey } from "../_keys.ts";
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

/** Known names, each mapped to 0 (a plain lookup, no array per call). */
type Known<T> = Readonly<Record<keyof T, 0>>;

/** `Known<T>` if `T` has the names of `U`, no more nor fewer; else never. */
type Same<T, U> = [keyof T] extends [keyof U]
  ? [keyof U] extends [keyof T] ? Known<T> : never
  : never;

export const DRAIN_KEYS = {
  timeout: 0,
  signal: 0,
} as const satisfies Known<DrainOptions>;

export const DISCONNECT_KEYS = {
  ...DRAIN_KEYS,
  headers: 0,
} as const satisfies Known<DisconnectOptions>;

/** begin, unsubscribe, ack, nack, commit and abort. */
export const FRAME_KEYS = {
  ...DISCONNECT_KEYS,
  receipt: 0,
} as const satisfies
  & Known<BeginOptions>
  & Same<UnsubscribeOptions, BeginOptions>
  & Same<MessageAckOptions, BeginOptions>
  & Same<TransactionEndOptions, BeginOptions>;

/** send, reply and a transaction's send. */
export const SEND_KEYS = {
  ...FRAME_KEYS,
  contentType: 0,
  contentLength: 0,
} as const satisfies
  & Known<ClientSendOptions>
  & Same<ReplyOptions, ClientSendOptions>
  & Same<TransactionSendOptions, ClientSendOptions>;

export const REQUEST_KEYS = {
  ...DISCONNECT_KEYS,
  contentType: 0,
  contentLength: 0,
} as const satisfies Known<RequestOptions>;

export const SUBSCRIBE_KEYS = {
  ...FRAME_KEYS,
  ack: 0,
  highWaterMark: 0,
  highWaterMarkBytes: 0,
} as const satisfies Known<ClientSubscribeOptions>;

// A header put beside `headers`: a name with "-" or ".", or one of these.
const HEADER = /[-.]|^(persistent|priority|expires|selector)$/;

/**
 * The rejection (through `owner.refuse`, so onError hears of it) for the
 * first key of `options` (with a value other than `undefined`) not in
 * `known`, naming the closest known one, or
 * saying to put a header in `headers`; else `undefined`.
 *
 * @param verb What the operation does, for "Cannot <verb>: ...".
 */
export function refusedOptions(
  owner: { refuse(error: Error): Promise<never> },
  verb: string,
  options: object,
  known: Readonly<Record<string, 0>>,
): Promise<never> | undefined {
  // for-in walks the keys without making an array (send is the hot path).
  for (const key in options) {
    if (
      known[key] === 0 ||
      (options as Record<string, unknown>)[key] === undefined
    ) continue;
    return owner.refuse(
      unknownKey(
        `Cannot ${verb}: unknown option`,
        key,
        Object.keys(known),
        {},
        HEADER.test(key) ? " (a header? put it in headers)" : "",
      ),
    );
  }
  return undefined;
}
