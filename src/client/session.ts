/**
 * The client side of the STOMP protocol as a state machine without I/O:
 * {@linkcode StompSession} turns operations into frames to send, and frames
 * received into events.
 *
 * @module
 */

import {
  abort as abortFrame,
  ack as ackFrame,
  begin as beginFrame,
  commit as commitFrame,
  connect as connectFrame,
  disconnect as disconnectFrame,
  type HeartBeat,
  nack as nackFrame,
  send as sendFrame,
  stomp as stompFrame,
  subscribe as subscribeFrame,
  unsubscribe as unsubscribeFrame,
} from "../builders.ts";
import {
  type StompBody,
  type StompFrame,
  type StompVersion,
  VERSIONS,
} from "../frame.ts";
import type { StompHeadersInit } from "../headers.ts";
import { StompConnectionError, StompServerError } from "./errors.ts";
import { ackTarget } from "./_acks.ts";
import {
  type NegotiatedHeartBeat,
  negotiateHeartBeat,
  parseHeartBeat as parseHeartBeatHeader,
} from "../_heartbeat.ts";
import type {
  ConnectOverrides,
  ResubscribeOptions,
  SessionAckOptions,
  SessionBeginOutput,
  SessionConnectedEvent,
  SessionOutput,
  SessionReceiptOptions,
  SessionSendOptions,
  SessionSubscribeOptions,
  SessionSubscribeOutput,
  SessionSubscription,
  StompSessionEvent,
  StompSessionOptions,
  StompSessionState,
} from "./session_types.ts";

export { negotiateHeartBeat } from "../_heartbeat.ts";
export type { NegotiatedHeartBeat } from "../_heartbeat.ts";
export type * from "./session_types.ts";

const DEFAULT_HEART_BEAT: HeartBeat = [10000, 10000];

function parseHeartBeat(value: string | undefined): HeartBeat {
  const parsed = parseHeartBeatHeader(value);
  if (parsed === undefined) {
    throw new StompConnectionError(
      `Invalid heart-beat header in CONNECTED frame: ${JSON.stringify(value)}`,
    );
  }
  return parsed;
}

function checkHeartBeat(value: HeartBeat): HeartBeat {
  if (
    !Array.isArray(value) || value.length !== 2 ||
    !value.every((ms) => Number.isSafeInteger(ms) && ms >= 0)
  ) {
    throw new TypeError(
      `Cannot create session: heartBeat must be two non-negative integers, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/**
 * The client side of STOMP 1.0, 1.1 and 1.2 without any I/O: operations give
 * the frames to send, received frames give events. It negotiates the version
 * and heart-beats, numbers subscriptions, receipts and transactions, writes
 * ACK and NACK frames in the form the negotiated version wants (1.2: the
 * MESSAGE's `ack` header as `id`; 1.1: `message-id` and `subscription`; 1.0:
 * `message-id`), and tracks the connection state.
 *
 * The caller moves the bytes: it encodes the frames with the negotiated
 * version (`encodeFrame(frame, { version })`) and sets the decoder's version
 * when the `connected` event comes. {@linkcode StompClient} is such a caller.
 *
 * @example A session driven by hand
 * ```ts
 * import { connected, message, receipt } from "@stomper/stomp";
 * import { StompSession } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const session = new StompSession({ login: "guest", passcode: "guest", heartBeat: [0, 0] });
 * assertEquals(session.connectFrame().headers.get("login"), "guest");
 *
 * const event = session.receive(connected({ version: "1.2" }));
 * assertEquals(event.type, "connected");
 * assertEquals(session.version, "1.2");
 *
 * const { frame, subscription } = session.subscribe("/queue/a", { ack: "client-individual" });
 * assertEquals(frame.command, "SUBSCRIBE");
 *
 * const delivery = message("/queue/a", "hi", {
 *   messageId: "m-1",
 *   subscription: subscription.id,
 *   ack: "a-1",
 * });
 * assertEquals(session.receive(delivery).type, "message");
 * assertEquals(session.ack(delivery).frame.headers.get("id"), "a-1");
 *
 * const bye = session.disconnect();
 * assertEquals(session.state, "disconnecting");
 * session.receive(receipt(bye.receipt!));
 * assertEquals(session.state, "closed");
 * ```
 */
export class StompSession {
  readonly #host: string;
  readonly #login: string | undefined;
  readonly #passcode: string | undefined;
  readonly #acceptVersion: readonly StompVersion[];
  readonly #heartBeat: HeartBeat;
  readonly #headers: StompHeadersInit | undefined;
  readonly #command: "CONNECT" | "STOMP";

  #state: StompSessionState = "idle";
  // Whether the server accepted this session (CONNECTED came): only then did
  // it start transactions and owe receipts that a lost connection ends.
  #established = false;
  #version: StompVersion | undefined;
  #negotiated: NegotiatedHeartBeat = { send: 0, receive: 0 };
  #connected: StompFrame | undefined;
  // Counters never restart, so ids stay unique across reconnections.
  #nextReceipt = 1;
  #nextSubscription = 1;
  #nextTransaction = 1;
  readonly #subscriptions = new Map<string, SessionSubscription>();
  readonly #transactions = new Set<string>();
  readonly #receipts = new Set<string>();
  #disconnectReceipt: string | undefined;

  /**
   * Constructs a new instance.
   *
   * @param options What the CONNECT frame says.
   */
  constructor(options: StompSessionOptions = {}) {
    options ??= {};
    this.#host = options.host ?? "/";
    this.#login = options.login;
    this.#passcode = options.passcode;
    const versions = options.acceptVersion ?? VERSIONS;
    if (
      !Array.isArray(versions) || versions.length === 0 ||
      !versions.every((v) => (VERSIONS as readonly string[]).includes(v))
    ) {
      throw new TypeError(
        `Cannot create session: acceptVersion must list versions among 1.0, 1.1, 1.2, got ${
          JSON.stringify(versions)
        }`,
      );
    }
    this.#acceptVersion = versions;
    this.#heartBeat = checkHeartBeat(options.heartBeat ?? DEFAULT_HEART_BEAT);
    this.#headers = options.headers;
    const command = options.command ?? "CONNECT";
    if (command !== "CONNECT" && command !== "STOMP") {
      throw new TypeError(
        `Cannot create session: command must be "CONNECT" or "STOMP", got ${
          JSON.stringify(command)
        }`,
      );
    }
    this.#command = command;
  }

  /** The state of the session. */
  get state(): StompSessionState {
    return this.#state;
  }

  /** The negotiated version; `undefined` until CONNECTED arrives. */
  get version(): StompVersion | undefined {
    return this.#version;
  }

  /** The negotiated heart-beat intervals; both 0 until CONNECTED arrives. */
  get heartBeat(): NegotiatedHeartBeat {
    return this.#negotiated;
  }

  /** The CONNECTED frame (its `server` and `session` headers, for example). */
  get connectedFrame(): StompFrame | undefined {
    return this.#connected;
  }

  /** The active subscriptions, in the order they were made. */
  get subscriptions(): ReadonlyMap<string, SessionSubscription> {
    return this.#subscriptions;
  }

  /**
   * Starts the session: returns the CONNECT (or STOMP) frame to send first.
   *
   * @param overrides Values for this connection only, in place of the
   * session's options (for credentials that change between connections).
   * @returns The frame.
   */
  connectFrame(overrides: ConnectOverrides = {}): StompFrame {
    overrides ??= {};
    this.#expect("connect", "idle");
    const login = overrides.login ?? this.#login;
    const passcode = overrides.passcode ?? this.#passcode;
    const headers = overrides.headers ?? this.#headers;
    const options = {
      host: overrides.host ?? this.#host,
      acceptVersion: this.#acceptVersion,
      heartBeat: this.#heartBeat,
      ...(login === undefined ? {} : { login }),
      ...(passcode === undefined ? {} : { passcode }),
      ...(headers === undefined ? {} : { headers }),
    };
    const frame = this.#command === "STOMP"
      ? stompFrame(options)
      : connectFrame(options);
    this.#state = "connecting";
    return frame;
  }

  /**
   * Takes a frame received from the server and says what it means. Throws a
   * {@linkcode StompConnectionError} for a frame the protocol does not allow
   * here (a client command, CONNECTED twice, a MESSAGE before CONNECTED, a
   * version that was not offered): the connection cannot go on.
   *
   * @param frame The frame received.
   * @returns The event.
   */
  receive(frame: StompFrame): StompSessionEvent {
    const state = this.#state;
    switch (frame.command) {
      case "CONNECTED":
        if (state === "connected" || state === "disconnecting") {
          throw this.#violation("the server sent a second CONNECTED frame");
        }
        if (state !== "connecting") {
          throw this.#violation(`Unexpected CONNECTED frame (${state})`);
        }
        return this.#onConnected(frame);
      case "ERROR": {
        if (state === "idle" || state === "closed") {
          throw this.#violation(`Unexpected ERROR frame (${state})`);
        }
        const receiptId = frame.headers.get("receipt-id");
        const pending = receiptId !== undefined &&
          this.#receipts.delete(receiptId);
        this.#state = "closed";
        return {
          type: "error",
          frame,
          error: new StompServerError(frame),
          receiptId: pending ? receiptId : undefined,
        };
      }
      case "MESSAGE": {
        if (state !== "connected" && state !== "disconnecting") {
          throw this.#violation(`Unexpected MESSAGE frame (${state})`);
        }
        const id = frame.headers.get("subscription");
        // STOMP 1.0 servers may leave out `subscription`; with a single
        // subscription the message can only be for it.
        const subscription = id === undefined
          ? this.#onlySubscription()
          : this.#subscriptions.get(id);
        return { type: "message", frame, subscription };
      }
      case "RECEIPT": {
        if (state !== "connected" && state !== "disconnecting") {
          throw this.#violation(`Unexpected RECEIPT frame (${state})`);
        }
        const receiptId = frame.headers.get("receipt-id");
        if (receiptId === undefined) {
          throw this.#violation("RECEIPT frame without a receipt-id header");
        }
        this.#receipts.delete(receiptId);
        const disconnected = receiptId === this.#disconnectReceipt;
        if (disconnected) this.#state = "closed";
        return { type: "receipt", frame, receiptId, disconnected };
      }
      default:
        throw this.#violation(
          `Unexpected ${frame.command} frame from the server`,
        );
    }
  }

  /**
   * Builds a SEND frame.
   *
   * @param destination Where to send.
   * @param body The body (text is sent as UTF-8).
   * @param options Receipt, content type, transaction and extra headers.
   * @returns The frame and its receipt id.
   */
  send(
    destination: string,
    body?: StompBody,
    options: SessionSendOptions = {},
  ): SessionOutput {
    options ??= {};
    this.#expectOpen("send");
    if (options.transaction !== undefined) {
      this.#checkTransaction("send in", options.transaction);
    }
    const receipt = this.#receipt(options.receipt);
    const frame = sendFrame(destination, body, {
      ...pick(options, "contentType", "transaction", "headers"),
      ...(receipt === undefined ? {} : { receipt }),
    });
    return { frame, receipt };
  }

  /**
   * Registers a subscription and builds its SUBSCRIBE frame.
   *
   * @param destination What to subscribe to.
   * @param options Ack mode, receipt and extra headers (such as RabbitMQ's
   * `prefetch-count`).
   * @returns The frame, its receipt id and the subscription.
   */
  subscribe(
    destination: string,
    options: SessionSubscribeOptions = {},
  ): SessionSubscribeOutput {
    options ??= {};
    this.#expectOpen("subscribe");
    const id = `sub-${this.#nextSubscription}`;
    const subscription: SessionSubscription = {
      id,
      destination,
      ack: options.ack ?? "auto",
      headers: options.headers,
    };
    const frame = this.#subscribeFrame(subscription, options.receipt);
    this.#nextSubscription++;
    this.#subscriptions.set(id, subscription);
    return {
      frame: frame.frame,
      receipt: frame.receipt,
      subscription,
    };
  }

  /**
   * Forgets a subscription and builds its UNSUBSCRIBE frame.
   *
   * @param id The subscription id.
   * @param options Receipt and extra headers.
   * @returns The frame and its receipt id.
   */
  unsubscribe(id: string, options: SessionReceiptOptions = {}): SessionOutput {
    options ??= {};
    this.#expectOpen("unsubscribe");
    if (!this.#subscriptions.has(id)) {
      throw new TypeError(
        `Cannot unsubscribe: no active subscription ${JSON.stringify(id)}`,
      );
    }
    const receipt = this.#receipt(options.receipt);
    const frame = unsubscribeFrame(id, {
      ...pick(options, "headers"),
      ...(receipt === undefined ? {} : { receipt }),
    });
    this.#subscriptions.delete(id);
    return { frame, receipt };
  }

  /**
   * Forgets a subscription without building a frame: for one whose
   * SUBSCRIBE never reached the server, or that must not be restored after
   * a reconnection.
   *
   * @param id The subscription id.
   * @returns Whether the subscription was active.
   */
  forget(id: string): boolean {
    return this.#subscriptions.delete(id);
  }

  /**
   * Stops waiting for a receipt: for a frame that was never sent, or whose
   * RECEIPT the caller gave up on.
   *
   * @param id The receipt id.
   * @returns Whether the receipt was pending.
   */
  forgetReceipt(id: string): boolean {
    return this.#receipts.delete(id);
  }

  /**
   * Builds the ACK frame for a MESSAGE, in the form of the negotiated version.
   * Throws a `TypeError` when the subscription does not acknowledge (`auto`)
   * or the message lacks the header the version needs.
   *
   * @param message The MESSAGE frame to acknowledge.
   * @param options Transaction, receipt and extra headers.
   * @returns The frame and its receipt id.
   */
  ack(message: StompFrame, options: SessionAckOptions = {}): SessionOutput {
    options ??= {};
    return this.#ack("ACK", message, options);
  }

  /**
   * Builds the NACK frame for a MESSAGE (STOMP 1.1+), in the form of the
   * negotiated version.
   *
   * @param message The MESSAGE frame to reject.
   * @param options Transaction, receipt and extra headers.
   * @returns The frame and its receipt id.
   */
  nack(message: StompFrame, options: SessionAckOptions = {}): SessionOutput {
    options ??= {};
    return this.#ack("NACK", message, options);
  }

  /**
   * Starts a transaction: numbers it and builds its BEGIN frame.
   *
   * @param options Receipt and extra headers.
   * @returns The frame, its receipt id and the transaction id.
   */
  begin(options: SessionReceiptOptions = {}): SessionBeginOutput {
    options ??= {};
    this.#expectOpen("begin a transaction");
    const transaction = `tx-${this.#nextTransaction++}`;
    const receipt = this.#receipt(options.receipt);
    const frame = beginFrame(transaction, {
      ...pick(options, "headers"),
      ...(receipt === undefined ? {} : { receipt }),
    });
    this.#transactions.add(transaction);
    return { frame, receipt, transaction };
  }

  /**
   * Ends a transaction by committing it.
   *
   * @param transaction The transaction id.
   * @param options Receipt and extra headers.
   * @returns The frame and its receipt id.
   */
  commit(
    transaction: string,
    options: SessionReceiptOptions = {},
  ): SessionOutput {
    options ??= {};
    return this.#endTransaction("COMMIT", transaction, options);
  }

  /**
   * Ends a transaction by aborting it.
   *
   * @param transaction The transaction id.
   * @param options Receipt and extra headers.
   * @returns The frame and its receipt id.
   */
  abort(
    transaction: string,
    options: SessionReceiptOptions = {},
  ): SessionOutput {
    options ??= {};
    return this.#endTransaction("ABORT", transaction, options);
  }

  /**
   * Builds the DISCONNECT frame, always with a receipt so that the caller can
   * wait for the server to have processed everything before.
   *
   * @param options Extra headers.
   * @returns The frame and its receipt id.
   */
  disconnect(
    options: Omit<SessionReceiptOptions, "receipt"> = {},
  ): SessionOutput & { readonly receipt: string } {
    options ??= {};
    this.#expect("disconnect", "connected");
    const receipt = this.#receipt(true)!;
    const frame = disconnectFrame({ ...pick(options, "headers"), receipt });
    this.#disconnectReceipt = receipt;
    this.#state = "disconnecting";
    return { frame, receipt };
  }

  /**
   * Marks the session closed: the connection is gone. If the server had
   * accepted the session, its pending receipts and transactions are
   * forgotten (the server ended them with the connection); a connection that
   * never got CONNECTED started nothing, so what was prepared for it is kept.
   * Subscriptions are kept for {@linkcode StompSession.resubscribe} after a
   * {@linkcode StompSession.reset}.
   */
  close(): void {
    this.#state = "closed";
    this.#disconnectReceipt = undefined;
    if (!this.#established) return;
    this.#receipts.clear();
    this.#transactions.clear();
  }

  /**
   * Prepares the session for a new connection (a reconnection or another
   * attempt): back to `idle`, with the version and heart-beats to negotiate
   * again. The subscriptions are kept; transactions and pending receipts are
   * dropped if the server had accepted the old connection (see
   * {@linkcode StompSession.close}).
   */
  reset(): void {
    this.close();
    this.#established = false;
    this.#state = "idle";
    this.#version = undefined;
    this.#negotiated = { send: 0, receive: 0 };
    this.#connected = undefined;
  }

  /**
   * Builds the SUBSCRIBE frames that restore active subscriptions on a new
   * connection, with the same ids.
   *
   * @param options Which subscriptions, and whether each frame asks for a
   * RECEIPT (so that a refusal can be told from other errors).
   * @returns The frames with their receipt ids, in the order the
   * subscriptions were made.
   */
  resubscribe(options: ResubscribeOptions = {}): SessionOutput[] {
    options ??= {};
    this.#expect("resubscribe", "connected");
    const out: SessionOutput[] = [];
    for (const subscription of this.#subscriptions.values()) {
      if (options.only?.(subscription) === false) continue;
      out.push(this.#subscribeFrame(subscription, options.receipt));
    }
    return out;
  }

  #onConnected(frame: StompFrame): SessionConnectedEvent {
    const header = frame.headers.get("version");
    const version = (header ?? "1.0") as StompVersion;
    if (!this.#acceptVersion.includes(version)) {
      throw this.#violation(
        header === undefined
          ? `Server speaks STOMP 1.0 (no version header) but the client accepts only ${
            this.#acceptVersion.join(", ")
          }`
          : `Server chose version ${
            JSON.stringify(header)
          }, which the client did not offer (${
            this.#acceptVersion.join(", ")
          })`,
      );
    }
    const [serverSends, serverWants] = parseHeartBeat(
      frame.headers.get("heart-beat"),
    );
    const [clientSends, clientWants] = this.#heartBeat;
    this.#negotiated = {
      send: negotiateHeartBeat(clientSends, serverWants),
      receive: negotiateHeartBeat(clientWants, serverSends),
    };
    this.#version = version;
    this.#connected = frame;
    this.#state = "connected";
    this.#established = true;
    return { type: "connected", frame, version, heartBeat: this.#negotiated };
  }

  #ack(
    command: "ACK" | "NACK",
    message: StompFrame,
    options: SessionAckOptions,
  ): SessionOutput {
    const verb = command === "ACK" ? "acknowledge" : "reject";
    this.#expect(verb, "connected");
    const version = this.#version!;
    if (command === "NACK" && version === "1.0") {
      throw new TypeError(
        "Cannot reject message: NACK needs STOMP 1.1 or later, and the server chose 1.0",
      );
    }
    if (message?.command !== "MESSAGE") {
      throw new TypeError(
        `Cannot ${verb} message: expected a MESSAGE frame, got ${
          JSON.stringify(message?.command)
        }`,
      );
    }
    const headers = message.headers;
    const messageId = headers.get("message-id");
    const subscriptionId = headers.get("subscription");
    const subscription = subscriptionId === undefined
      ? this.#onlySubscription()
      : this.#subscriptions.get(subscriptionId);
    if (subscription?.ack === "auto") {
      throw new TypeError(
        `Cannot ${verb} message ${JSON.stringify(messageId)}: subscription ${
          JSON.stringify(subscription.id)
        } is in "auto" mode, where the server needs no acknowledgement`,
      );
    }
    if (options.transaction !== undefined) {
      this.#checkTransaction(verb + " in", options.transaction);
    }
    const target = ackTarget(version, headers);
    if (target === undefined) {
      throw new TypeError(
        version === "1.2"
          ? `Cannot ${verb} message ${
            JSON.stringify(messageId)
          }: it has no "ack" header, which STOMP 1.2 needs`
          : `Cannot ${verb} message: it has no "message-id" header, which STOMP ${version} needs`,
      );
    }
    const receipt = this.#receipt(options.receipt);
    const frameOptions = {
      ...pick(options, "transaction", "headers"),
      ...(receipt === undefined ? {} : { receipt }),
    };
    const frame = command === "ACK"
      ? ackFrame(target, frameOptions)
      : nackFrame(target, frameOptions);
    return { frame, receipt };
  }

  #endTransaction(
    command: "COMMIT" | "ABORT",
    transaction: string,
    options: SessionReceiptOptions,
  ): SessionOutput {
    const verb = command === "COMMIT" ? "commit" : "abort";
    this.#expectOpen(verb);
    this.#checkTransaction(verb, transaction);
    const receipt = this.#receipt(options.receipt);
    const frameOptions = {
      ...pick(options, "headers"),
      ...(receipt === undefined ? {} : { receipt }),
    };
    const frame = command === "COMMIT"
      ? commitFrame(transaction, frameOptions)
      : abortFrame(transaction, frameOptions);
    this.#transactions.delete(transaction);
    return { frame, receipt };
  }

  #subscribeFrame(
    subscription: SessionSubscription,
    withReceipt: boolean | undefined,
  ): SessionOutput {
    const receipt = this.#receipt(withReceipt);
    const frame = subscribeFrame(subscription.id, subscription.destination, {
      ack: subscription.ack,
      ...(subscription.headers === undefined
        ? {}
        : { headers: subscription.headers }),
      ...(receipt === undefined ? {} : { receipt }),
    });
    return { frame, receipt };
  }

  #checkTransaction(verb: string, transaction: string): void {
    if (!this.#transactions.has(transaction)) {
      throw new TypeError(
        `Cannot ${verb} transaction ${
          JSON.stringify(transaction)
        }: it is not active (never begun, already ended, or lost with a connection)`,
      );
    }
  }

  #onlySubscription(): SessionSubscription | undefined {
    if (this.#subscriptions.size !== 1) return undefined;
    return this.#subscriptions.values().next().value;
  }

  #receipt(wanted: boolean | undefined): string | undefined {
    if (wanted !== true) return undefined;
    const id = `r-${this.#nextReceipt++}`;
    this.#receipts.add(id);
    return id;
  }

  /**
   * Operations that need no negotiated version can be prepared before
   * CONNECTED (for a connection being opened); not once DISCONNECT is out.
   */
  #expectOpen(verb: string): void {
    const state = this.#state;
    if (state === "disconnecting" || state === "closed") {
      throw new StompConnectionError(
        `Cannot ${verb}: the session is ${state}`,
      );
    }
  }

  #expect(verb: string, state: StompSessionState): void {
    if (this.#state !== state) {
      throw new StompConnectionError(
        `Cannot ${verb}: the session is ${this.#state}, not ${state}`,
      );
    }
  }

  #violation(message: string): StompConnectionError {
    this.#state = "closed";
    return new StompConnectionError(`Protocol violation: ${message}`);
  }
}

function pick<T extends object, K extends keyof T>(
  options: T,
  ...keys: K[]
): { [P in K]?: Exclude<T[P], undefined> } {
  const out: { [P in K]?: Exclude<T[P], undefined> } = {};
  for (const key of keys) {
    const value = options[key];
    if (value !== undefined) out[key] = value as Exclude<T[K], undefined>;
  }
  return out;
}
