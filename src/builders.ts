/**
 * One builder per STOMP command, client side and server side.
 *
 * Each builder checks what the specification requires of its frame (a SEND
 * needs a destination, an ACK its id, ...) and throws a `TypeError` naming the
 * frame and the field otherwise. Extra headers given in `headers` are
 * appended after the builder's own, in order.
 *
 * @example Building client frames
 * ```ts
 * import { connect, send, subscribe } from "@stomper/stomp/frames";
 * import { assertEquals } from "@std/assert";
 *
 * const hello = connect({ host: "/", login: "guest", passcode: "guest" });
 * assertEquals(hello.headers.get("accept-version"), "1.0,1.1,1.2");
 * assertEquals(subscribe("0", "/queue/a").headers.get("ack"), "auto");
 * assertEquals(send("/queue/a", "hi").text, "hi");
 * ```
 *
 * @module
 */

import {
  type StompBody,
  type StompCommand,
  StompFrame,
  type StompVersion,
  VERSIONS,
} from "./frame.ts";
import { StompHeaders, type StompHeadersInit } from "./headers.ts";
import { checkOptions } from "./_keys.ts";

/** Options shared by every builder. */
export interface FrameOptions {
  /** Extra headers, appended after the builder's own, in order. */
  headers?: StompHeadersInit | undefined;
}

/** Options of builders whose frame can ask for a RECEIPT. */
export interface ReceiptOptions extends FrameOptions {
  /** A receipt id: the server answers with a RECEIPT frame carrying it. */
  receipt?: string | undefined;
}

/** A heart-beat setting in milliseconds: `[can send every, wants every]`; 0 is off. */
export type HeartBeat = readonly [number, number];

/** Options of {@linkcode connect} and {@linkcode stomp}. */
export interface ConnectOptions extends FrameOptions {
  /** The virtual host (required by STOMP 1.1 and 1.2; RabbitMQ's default is `/`). */
  host: string;
  /** The user name. */
  login?: string | undefined;
  /** The password. */
  passcode?: string | undefined;
  /**
   * The versions the client accepts.
   *
   * @default {["1.0", "1.1", "1.2"]}
   */
  acceptVersion?: readonly StompVersion[] | undefined;
  /**
   * Heart-beats offered, in milliseconds: `[client sends every, client wants
   * every]`. Omitted means `0,0` (none).
   */
  heartBeat?: HeartBeat | undefined;
}

/** Options of {@linkcode send}. */
export interface SendOptions extends ReceiptOptions {
  /** The MIME type of the body, such as `text/plain;charset=utf-8`. */
  contentType?: string | undefined;
  /** The transaction the message belongs to. */
  transaction?: string | undefined;
}

/** The acknowledgement modes of a subscription. */
export type AckMode = "auto" | "client" | "client-individual";

/** Options of {@linkcode subscribe}. */
export interface SubscribeOptions extends ReceiptOptions {
  /**
   * The acknowledgement mode.
   *
   * @default {"auto"}
   */
  ack?: AckMode | undefined;
}

/**
 * The message an ACK or NACK refers to: a string is the STOMP 1.2 `id` (the
 * MESSAGE's `ack` header); `{ messageId, subscription }` is the STOMP 1.1
 * form, and `{ messageId }` alone the STOMP 1.0 form.
 */
export type AckTarget =
  | string
  | { readonly id: string }
  | { readonly messageId: string; readonly subscription?: string | undefined };

/** Options of {@linkcode ack} and {@linkcode nack}. */
export interface AckOptions extends ReceiptOptions {
  /** The transaction the acknowledgement belongs to. */
  transaction?: string | undefined;
}

/** Options of {@linkcode connected}. */
export interface ConnectedOptions extends FrameOptions {
  /** The negotiated version (omitted for STOMP 1.0). */
  version?: StompVersion | undefined;
  /** Heart-beats: `[server sends every, server wants every]`, in milliseconds. */
  heartBeat?: HeartBeat | undefined;
  /** A session id. */
  session?: string | undefined;
  /** The server's name and version, such as `stomper/0.1.0`. */
  server?: string | undefined;
}

/** Options of {@linkcode message}. */
export interface MessageOptions extends FrameOptions {
  /** The unique id of the message. */
  messageId: string;
  /** The id of the subscription the message is delivered to. */
  subscription: string;
  /** The id to acknowledge it with (STOMP 1.2, client ack modes). */
  ack?: string | undefined;
  /** The MIME type of the body. */
  contentType?: string | undefined;
}

/** Options of {@linkcode error}. */
export interface ErrorOptions extends FrameOptions {
  /** The receipt id of the frame that caused the error. */
  receiptId?: string | undefined;
  /** The MIME type of the body. */
  contentType?: string | undefined;
}

function build(
  command: StompCommand,
  own: (string | undefined)[],
  options: FrameOptions,
  body?: StompBody,
): StompFrame {
  const headers = new StompHeaders();
  for (let i = 0; i < own.length; i += 2) {
    const value = own[i + 1];
    if (value !== undefined) headers.append(own[i]!, value);
  }
  if (options.headers !== undefined) {
    for (const [name, value] of new StompHeaders(options.headers)) {
      headers.append(name, value);
    }
  }
  return new StompFrame(command, headers, body);
}

/** `options` checked: `null` (from JavaScript) is none, a non-object refused. */
function given<T extends object>(command: StompCommand, options: T): T {
  return checkOptions(`Cannot build ${command} frame`, options);
}

function required(
  command: StompCommand,
  field: string,
  value: unknown,
): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(
      `Cannot build ${command} frame: ${field} must be a non-empty string, got ${
        JSON.stringify(value) ?? String(value)
      }`,
    );
  }
  return value;
}

function optional(
  command: StompCommand,
  field: string,
  value: unknown,
): string | undefined {
  return value === undefined ? undefined : required(command, field, value);
}

function heartBeatHeader(
  command: StompCommand,
  value: HeartBeat | undefined,
): string | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) || value.length !== 2 ||
    !value.every((ms) => Number.isSafeInteger(ms) && ms >= 0)
  ) {
    throw new TypeError(
      `Cannot build ${command} frame: heart-beat must be two non-negative integers, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return `${value[0]},${value[1]}`;
}

function connectFrame(
  command: "CONNECT" | "STOMP",
  options: ConnectOptions,
): StompFrame {
  options = given(command, options);
  const versions = options.acceptVersion ?? VERSIONS;
  if (
    !Array.isArray(versions) || versions.length === 0 ||
    !versions.every((v) => (VERSIONS as readonly string[]).includes(v))
  ) {
    throw new TypeError(
      `Cannot build ${command} frame: accept-version must list versions among 1.0, 1.1, 1.2, got ${
        JSON.stringify(versions)
      }`,
    );
  }
  return build(command, [
    "accept-version",
    versions.join(","),
    "host",
    required(command, "host", options.host),
    "login",
    options.login,
    "passcode",
    options.passcode,
    "heart-beat",
    heartBeatHeader(command, options.heartBeat),
  ], options);
}

/**
 * Builds a CONNECT frame.
 *
 * @example Connecting with heart-beats
 * ```ts
 * import { connect } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = connect({ host: "/", heartBeat: [10000, 10000] });
 * assertEquals(frame.headers.get("heart-beat"), "10000,10000");
 * ```
 *
 * @param options Host, credentials, versions and heart-beats.
 * @returns The frame.
 */
export function connect(options: ConnectOptions): StompFrame {
  return connectFrame("CONNECT", options);
}

/**
 * Builds a STOMP frame: the STOMP 1.1+ name of CONNECT, which servers can
 * tell apart from HTTP.
 *
 * @example Building a STOMP frame
 * ```ts
 * import { stomp } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = stomp({ host: "/", acceptVersion: ["1.2"] });
 * assertEquals(frame.command, "STOMP");
 * assertEquals(frame.headers.get("accept-version"), "1.2");
 * ```
 *
 * @param options Host, credentials, versions and heart-beats.
 * @returns The frame.
 */
export function stomp(options: ConnectOptions): StompFrame {
  return connectFrame("STOMP", options);
}

/**
 * Builds a SEND frame.
 *
 * @example Sending JSON in a transaction
 * ```ts
 * import { send } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = send("/queue/a", '{"n":1}', {
 *   contentType: "application/json",
 *   transaction: "tx1",
 * });
 * assertEquals(frame.headers.get("content-type"), "application/json");
 * assertEquals(frame.headers.get("transaction"), "tx1");
 * ```
 *
 * @param destination Where to send.
 * @param body The body (text is sent as UTF-8).
 * @param options Content type, transaction, receipt and extra headers.
 * @returns The frame.
 */
export function send(
  destination: string,
  body?: StompBody,
  options: SendOptions = {},
): StompFrame {
  options = given("SEND", options);
  return build(
    "SEND",
    [
      "destination",
      required("SEND", "destination", destination),
      "content-type",
      optional("SEND", "content-type", options.contentType),
      "transaction",
      optional("SEND", "transaction", options.transaction),
      "receipt",
      optional("SEND", "receipt", options.receipt),
    ],
    options,
    body,
  );
}

/**
 * Builds a SUBSCRIBE frame.
 *
 * @example Subscribing with client acknowledgement
 * ```ts
 * import { subscribe } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = subscribe("sub-0", "/queue/a", { ack: "client-individual" });
 * assertEquals(frame.headers.get("id"), "sub-0");
 * assertEquals(frame.headers.get("ack"), "client-individual");
 * ```
 *
 * @param id The subscription id, unique in the connection.
 * @param destination What to subscribe to.
 * @param options Ack mode, receipt and extra headers (such as RabbitMQ's
 * `prefetch-count`).
 * @returns The frame.
 */
export function subscribe(
  id: string,
  destination: string,
  options: SubscribeOptions = {},
): StompFrame {
  options = given("SUBSCRIBE", options);
  const ack = options.ack ?? "auto";
  if (ack !== "auto" && ack !== "client" && ack !== "client-individual") {
    throw new TypeError(
      `Cannot build SUBSCRIBE frame: ack must be "auto", "client" or "client-individual", got ${
        JSON.stringify(ack)
      }`,
    );
  }
  return build("SUBSCRIBE", [
    "id",
    required("SUBSCRIBE", "id", id),
    "destination",
    required("SUBSCRIBE", "destination", destination),
    "ack",
    ack,
    "receipt",
    optional("SUBSCRIBE", "receipt", options.receipt),
  ], options);
}

/**
 * Builds an UNSUBSCRIBE frame.
 *
 * @example Unsubscribing
 * ```ts
 * import { unsubscribe } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(unsubscribe("sub-0").headers.get("id"), "sub-0");
 * ```
 *
 * @param id The subscription id.
 * @param options Receipt and extra headers.
 * @returns The frame.
 */
export function unsubscribe(
  id: string,
  options: ReceiptOptions = {},
): StompFrame {
  options = given("UNSUBSCRIBE", options);
  return build("UNSUBSCRIBE", [
    "id",
    required("UNSUBSCRIBE", "id", id),
    "receipt",
    optional("UNSUBSCRIBE", "receipt", options.receipt),
  ], options);
}

function ackFrame(
  command: "ACK" | "NACK",
  target: AckTarget,
  options: AckOptions,
): StompFrame {
  options = given(command, options);
  let own: (string | undefined)[];
  if (typeof target === "string") {
    own = ["id", required(command, "id", target)];
  } else if (target !== null && typeof target === "object" && "id" in target) {
    own = ["id", required(command, "id", target.id)];
  } else if (
    target !== null && typeof target === "object" && "messageId" in target
  ) {
    own = [
      "message-id",
      required(command, "message-id", target.messageId),
      "subscription",
      optional(command, "subscription", target.subscription),
    ];
  } else {
    throw new TypeError(
      `Cannot build ${command} frame: expected an id or { messageId, subscription }, got ${
        JSON.stringify(target)
      }`,
    );
  }
  own.push(
    "transaction",
    optional(command, "transaction", options.transaction),
    "receipt",
    optional(command, "receipt", options.receipt),
  );
  return build(command, own, options);
}

/**
 * Builds an ACK frame, in the STOMP 1.2 form (`id`) or the 1.1 / 1.0 form
 * (`message-id`, with `subscription` in 1.1).
 *
 * @example Acknowledging in 1.2 and in 1.1
 * ```ts
 * import { ack } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(ack("m-1").headers.get("id"), "m-1");
 * const old = ack({ messageId: "m-1", subscription: "0" });
 * assertEquals(old.headers.get("message-id"), "m-1");
 * assertEquals(old.headers.get("subscription"), "0");
 * ```
 *
 * @param target The message to acknowledge.
 * @param options Transaction, receipt and extra headers.
 * @returns The frame.
 */
export function ack(target: AckTarget, options: AckOptions = {}): StompFrame {
  return ackFrame("ACK", target, options);
}

/**
 * Builds a NACK frame (STOMP 1.1+), in the same forms as {@linkcode ack}.
 *
 * @example Rejecting a message
 * ```ts
 * import { nack } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(nack("m-1").command, "NACK");
 * ```
 *
 * @param target The message to reject.
 * @param options Transaction, receipt and extra headers.
 * @returns The frame.
 */
export function nack(target: AckTarget, options: AckOptions = {}): StompFrame {
  return ackFrame("NACK", target, options);
}

function transactionFrame(
  command: "BEGIN" | "COMMIT" | "ABORT",
  transaction: string,
  options: ReceiptOptions,
): StompFrame {
  options = given(command, options);
  return build(command, [
    "transaction",
    required(command, "transaction", transaction),
    "receipt",
    optional(command, "receipt", options.receipt),
  ], options);
}

/**
 * Builds a BEGIN frame.
 *
 * @example Beginning a transaction
 * ```ts
 * import { begin } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(begin("tx1").headers.get("transaction"), "tx1");
 * ```
 *
 * @param transaction The transaction id.
 * @param options Receipt and extra headers.
 * @returns The frame.
 */
export function begin(
  transaction: string,
  options: ReceiptOptions = {},
): StompFrame {
  return transactionFrame("BEGIN", transaction, options);
}

/**
 * Builds a COMMIT frame.
 *
 * @example Committing a transaction
 * ```ts
 * import { commit } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(commit("tx1").command, "COMMIT");
 * ```
 *
 * @param transaction The transaction id.
 * @param options Receipt and extra headers.
 * @returns The frame.
 */
export function commit(
  transaction: string,
  options: ReceiptOptions = {},
): StompFrame {
  return transactionFrame("COMMIT", transaction, options);
}

/**
 * Builds an ABORT frame.
 *
 * @example Aborting a transaction
 * ```ts
 * import { abort } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(abort("tx1").command, "ABORT");
 * ```
 *
 * @param transaction The transaction id.
 * @param options Receipt and extra headers.
 * @returns The frame.
 */
export function abort(
  transaction: string,
  options: ReceiptOptions = {},
): StompFrame {
  return transactionFrame("ABORT", transaction, options);
}

/**
 * Builds a DISCONNECT frame.
 *
 * @example Disconnecting with a receipt
 * ```ts
 * import { disconnect } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(disconnect({ receipt: "bye" }).headers.get("receipt"), "bye");
 * ```
 *
 * @param options Receipt and extra headers.
 * @returns The frame.
 */
export function disconnect(options: ReceiptOptions = {}): StompFrame {
  options = given("DISCONNECT", options);
  return build("DISCONNECT", [
    "receipt",
    optional("DISCONNECT", "receipt", options.receipt),
  ], options);
}

/**
 * Builds a CONNECTED frame (server side).
 *
 * @example Accepting a connection
 * ```ts
 * import { connected } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = connected({ version: "1.2", heartBeat: [0, 5000] });
 * assertEquals(frame.headers.get("version"), "1.2");
 * assertEquals(frame.headers.get("heart-beat"), "0,5000");
 * ```
 *
 * @param options Version, heart-beats, session, server and extra headers.
 * @returns The frame.
 */
export function connected(options: ConnectedOptions = {}): StompFrame {
  options = given("CONNECTED", options);
  if (options.version !== undefined && !VERSIONS.includes(options.version)) {
    throw new TypeError(
      `Cannot build CONNECTED frame: unknown version ${
        JSON.stringify(options.version)
      }`,
    );
  }
  return build("CONNECTED", [
    "version",
    options.version,
    "heart-beat",
    heartBeatHeader("CONNECTED", options.heartBeat),
    "session",
    optional("CONNECTED", "session", options.session),
    "server",
    optional("CONNECTED", "server", options.server),
  ], options);
}

/**
 * Builds a MESSAGE frame (server side).
 *
 * @example Delivering a message
 * ```ts
 * import { message } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = message("/queue/a", "hi", { messageId: "m-1", subscription: "0" });
 * assertEquals(frame.headers.get("message-id"), "m-1");
 * assertEquals(frame.text, "hi");
 * ```
 *
 * @param destination Where the message was sent.
 * @param body The body.
 * @param options Message id, subscription, ack id, content type and extra
 * headers.
 * @returns The frame.
 */
export function message(
  destination: string,
  body: StompBody | undefined,
  options: MessageOptions,
): StompFrame {
  options = given("MESSAGE", options);
  return build(
    "MESSAGE",
    [
      "destination",
      required("MESSAGE", "destination", destination),
      "message-id",
      required("MESSAGE", "message-id", options.messageId),
      "subscription",
      required("MESSAGE", "subscription", options.subscription),
      "ack",
      optional("MESSAGE", "ack", options.ack),
      "content-type",
      optional("MESSAGE", "content-type", options.contentType),
    ],
    options,
    body,
  );
}

/**
 * Builds a RECEIPT frame (server side).
 *
 * @example Confirming a frame
 * ```ts
 * import { receipt } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(receipt("77").headers.get("receipt-id"), "77");
 * ```
 *
 * @param receiptId The `receipt` header of the frame being confirmed.
 * @param options Extra headers.
 * @returns The frame.
 */
export function receipt(
  receiptId: string,
  options: FrameOptions = {},
): StompFrame {
  options = given("RECEIPT", options);
  return build("RECEIPT", [
    "receipt-id",
    required("RECEIPT", "receipt-id", receiptId),
  ], options);
}

/**
 * Builds an ERROR frame (server side).
 *
 * @example Reporting an error
 * ```ts
 * import { error } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = error("Bad destination", "No queue named 'x'", { receiptId: "9" });
 * assertEquals(frame.headers.get("message"), "Bad destination");
 * assertEquals(frame.headers.get("receipt-id"), "9");
 * ```
 *
 * @param message A short description, sent in the `message` header.
 * @param body Details.
 * @param options Receipt id, content type and extra headers.
 * @returns The frame.
 */
export function error(
  message: string,
  body?: StompBody,
  options: ErrorOptions = {},
): StompFrame {
  options = given("ERROR", options);
  return build(
    "ERROR",
    [
      "message",
      required("ERROR", "message", message),
      "receipt-id",
      optional("ERROR", "receipt-id", options.receiptId),
      "content-type",
      optional("ERROR", "content-type", options.contentType),
    ],
    options,
    body,
  );
}
