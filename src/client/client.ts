/**
 * {@linkcode StompClient}: a STOMP client over any {@linkcode StompTransport}.
 *
 * @module
 */

import type { AckMode } from "../builders.ts";
import { type DecodeLimits, StompDecoder } from "../decoder.ts";
import { encodeFrame } from "../encoder.ts";
import type { StompBody, StompFrame, StompVersion } from "../frame.ts";
import type { StompHeadersInit } from "../headers.ts";
import {
  openTransport,
  type OpenTransportOptions,
} from "../transports/open.ts";
import type { StompTransport } from "../transports/transport.ts";
import {
  type ClientInternals,
  Message,
  Subscription,
  Transaction,
} from "./_impl.ts";
import { type Deferred, deferred, report } from "./_util.ts";
import { StompConnectionError, type StompServerError } from "./errors.ts";
import type { MessageAckOptions } from "./message.ts";
import {
  type NegotiatedHeartBeat,
  type SessionOutput,
  StompSession,
  type StompSessionOptions,
} from "./session.ts";
import type { StompSubscription, UnsubscribeOptions } from "./subscription.ts";
import type {
  StompTransaction,
  TransactionEndOptions,
  TransactionSendOptions,
} from "./transaction.ts";

/**
 * The states of a {@linkcode StompClient}:
 * - `connecting`: the first connection is being opened (before
 *   {@linkcode StompClient.connect} resolves).
 * - `connected`: operations go straight out.
 * - `reconnecting`: the connection was lost and a new one is being opened;
 *   operations wait for it.
 * - `disconnecting`: {@linkcode StompClient.disconnect} is waiting for the
 *   server's RECEIPT.
 * - `closed`: for good.
 */
export type StompClientState =
  | "connecting"
  | "connected"
  | "reconnecting"
  | "disconnecting"
  | "closed";

/**
 * The clock the client uses for heart-beats and timeouts. Tests pass a
 * manual one (such as `ManualTimers` from `@stomper/stomp/testing`) to move
 * time forward without waiting.
 */
export interface StompTimers {
  /**
   * Calls `callback` once after `delay` milliseconds.
   *
   * @param callback The function to call.
   * @param delay Milliseconds.
   * @returns A handle for `clearTimeout`.
   */
  setTimeout(callback: () => void, delay: number): unknown;
  /**
   * Cancels a pending call.
   *
   * @param handle What `setTimeout` returned.
   */
  clearTimeout(handle: unknown): void;
  /**
   * The current time in milliseconds (any origin; only differences count).
   *
   * @returns The time.
   */
  now(): number;
}

/** The timers of the runtime: `setTimeout`, `clearTimeout`, `performance.now`. */
const SYSTEM_TIMERS: StompTimers = {
  setTimeout: (callback, delay) => setTimeout(callback, delay),
  clearTimeout: (handle) => clearTimeout(handle as number),
  now: () => performance.now(),
};

/**
 * Options of automatic reconnection. The n-th retry waits
 * `min(maxDelay, initialDelay × factor^(n-1))`, shortened by a random part of
 * up to `jitter` of it, so that many clients dropped at once do not all come
 * back at the same moment.
 */
export interface ReconnectOptions {
  /**
   * Attempts per outage before giving up (the client then closes with a
   * {@linkcode StompConnectionError}).
   *
   * @default {10}
   */
  retries?: number;
  /**
   * Milliseconds before the first attempt.
   *
   * @default {500}
   */
  initialDelay?: number;
  /**
   * The longest wait between attempts, in milliseconds.
   *
   * @default {30000}
   */
  maxDelay?: number;
  /**
   * How much the wait grows after each failed attempt.
   *
   * @default {2}
   */
  factor?: number;
  /**
   * The largest share of a wait taken off at random, from 0 to 1.
   *
   * @default {0.5}
   */
  jitter?: number;
  /**
   * The random source for the jitter, returning numbers in [0, 1).
   *
   * @default {Math.random}
   */
  random?: () => number;
  /** Called after each failed attempt, with its error and number (from 1). */
  onFailedAttempt?: (error: Error, attempt: number) => void;
}

/** A change of {@linkcode StompClient.state}. */
export interface StompStateChange {
  /** The new state. */
  readonly state: StompClientState;
  /** The state before. */
  readonly previous: StompClientState;
  /** What caused it, for a lost connection or a failure. */
  readonly error: Error | undefined;
}

/**
 * Where the client's connections come from: a transport (one connection), or
 * a function that opens a new one each time it is called (needed for
 * reconnection).
 */
export type StompTransportSource =
  | StompTransport
  | (() => StompTransport | Promise<StompTransport>);

/** Options of {@linkcode StompClient.connect}. */
export interface StompClientOptions extends StompSessionOptions {
  /**
   * How many heart-beat intervals the server may stay silent before the
   * connection is declared lost: with a negotiated interval of 10 s and a
   * grace of 3, 30 s without a byte. Below 3 a live ActiveMQ can be taken
   * for dead: ActiveMQ 5.17 sends its first heart-beat two intervals after
   * CONNECTED (RabbitMQ sends one every half interval).
   *
   * @default {3}
   */
  heartBeatGrace?: number;
  /**
   * Milliseconds a connection attempt may take, from opening the transport
   * to CONNECTED; 0 waits for ever.
   *
   * @default {10000}
   */
  connectTimeout?: number;
  /**
   * Milliseconds {@linkcode StompClient.disconnect} waits for the RECEIPT of
   * DISCONNECT.
   *
   * @default {5000}
   */
  disconnectTimeout?: number;
  /**
   * Aborts the first connection attempt, while the transport opens or
   * CONNECTED is awaited (not the connection once open).
   */
  signal?: AbortSignal;
  /**
   * Reconnect when the connection is lost (needs a transport function, not a
   * single transport). `true` uses the defaults of
   * {@linkcode ReconnectOptions}.
   *
   * @default {false}
   */
  reconnect?: boolean | ReconnectOptions;
  /**
   * The default size, in messages, of each subscription's buffer.
   *
   * @default {256}
   */
  highWaterMark?: number;
  /** Size limits of the frames received; see `DEFAULT_DECODE_LIMITS`. */
  decodeLimits?: Partial<DecodeLimits>;
  /**
   * The clock for heart-beats, timeouts and reconnection delays.
   *
   * @default {the runtime's setTimeout, clearTimeout and performance.now}
   */
  timers?: StompTimers;
  /** Called on every change of {@linkcode StompClient.state}. */
  onStateChange?: (change: StompStateChange) => void;
  /**
   * Called for every ERROR frame. The error also rejects the operation
   * that asked for a receipt with the matching id, and ends the connection
   * (the server closes it after an ERROR).
   */
  onError?: (error: StompServerError) => void;
}

/** Options of {@linkcode StompClient.connectUrl}. */
export interface ConnectUrlOptions extends StompClientOptions {
  /** Options for the transport (CA certificates, WebSocket message type, ...). */
  transport?: OpenTransportOptions;
}

/** Options of {@linkcode StompClient.send}. */
export interface ClientSendOptions {
  /**
   * Wait for the server's RECEIPT: the promise resolves once the server has
   * the message, and rejects on a matching ERROR or a lost connection.
   *
   * @default {false}
   */
  receipt?: boolean;
  /** The MIME type of the body, such as `application/json`. */
  contentType?: string;
  /** Extra headers for the SEND frame. */
  headers?: StompHeadersInit;
}

/** Options of {@linkcode StompClient.subscribe}. */
export interface ClientSubscribeOptions {
  /**
   * The acknowledgement mode: `auto` (the server forgets a message once
   * sent), `client` (an ACK acknowledges that message and all earlier ones)
   * or `client-individual` (one message per ACK).
   *
   * @default {"auto"}
   */
  ack?: AckMode;
  /**
   * Wait for the server's RECEIPT before resolving.
   *
   * @default {false}
   */
  receipt?: boolean;
  /**
   * Extra SUBSCRIBE headers, such as `{ "prefetch-count": "10" }` for
   * RabbitMQ or `{ "activemq.prefetchSize": "10" }` for ActiveMQ.
   */
  headers?: StompHeadersInit;
  /**
   * The most messages buffered for this subscription before the client
   * stops reading from the connection.
   *
   * @default {the client's highWaterMark}
   */
  highWaterMark?: number;
}

/** Options of {@linkcode StompClient.begin}. */
export interface BeginOptions {
  /**
   * Wait for the server's RECEIPT before resolving.
   *
   * @default {false}
   */
  receipt?: boolean;
  /** Extra headers for the BEGIN frame. */
  headers?: StompHeadersInit;
}

/** Options of {@linkcode StompClient.disconnect}. */
export interface DisconnectOptions {
  /**
   * Milliseconds to wait for the RECEIPT of DISCONNECT.
   *
   * @default {the client's disconnectTimeout}
   */
  timeout?: number;
  /** Extra headers for the DISCONNECT frame. */
  headers?: StompHeadersInit;
}

interface PendingReceipt {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly link: Link;
}

interface ResolvedReconnect {
  readonly retries: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  readonly jitter: number;
  readonly random: () => number;
  readonly onFailedAttempt:
    | ((error: Error, attempt: number) => void)
    | undefined;
}

const EOL = new Uint8Array([0x0a]);
// Heart-beats go out once the link has been idle for this share of the
// interval, so timer lateness never makes us miss the server's deadline.
const HEARTBEAT_EARLY = 0.8;

function noop(): void {}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One connection: a transport and the state that lives and dies with it. */
class Link {
  readonly generation: number;
  readonly transport: StompTransport;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly decoder: StompDecoder;
  readonly handshake = deferred<void>();
  readonly goodbye = deferred<void>();
  version: StompVersion = "1.0";
  heartBeat: NegotiatedHeartBeat = { send: 0, receive: 0 };
  connected = false;
  lastReceived: number;
  lastSent: number;
  paused = false;
  dead = false;
  error: Error | undefined;
  sendTimer: unknown;
  receiveTimer: unknown;
  reading: Promise<void> = Promise.resolve();

  constructor(
    generation: number,
    transport: StompTransport,
    limits: Partial<DecodeLimits>,
    now: number,
  ) {
    this.generation = generation;
    this.transport = transport;
    this.writer = transport.writable.getWriter();
    this.writer.closed.catch(noop);
    this.handshake.promise.catch(noop);
    // Until CONNECTED says otherwise nothing is unescaped: a pre-CONNECTED
    // ERROR (such as a Java message with backslashes) must stay readable.
    this.decoder = new StompDecoder({ ...limits, version: "1.0" });
    this.lastReceived = now;
    this.lastSent = now;
  }
}

function positive(what: string, value: number, integer = false): number {
  if (
    typeof value !== "number" || !(value > 0) || !Number.isFinite(value) ||
    (integer && !Number.isSafeInteger(value))
  ) {
    throw new RangeError(
      `Cannot create client: ${what} must be a positive ${
        integer ? "integer" : "number"
      }, got ${value}`,
    );
  }
  return value;
}

function nonNegative(what: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(
      `Cannot create client: ${what} must be a non-negative number, got ${value}`,
    );
  }
  return value;
}

function resolveReconnect(
  option: boolean | ReconnectOptions | undefined,
): ResolvedReconnect | undefined {
  if (option === undefined || option === false) return undefined;
  const o = option === true ? {} : option;
  const jitter = nonNegative("reconnect.jitter", o.jitter ?? 0.5);
  if (jitter > 1) {
    throw new RangeError(
      `Cannot create client: reconnect.jitter must be between 0 and 1, got ${jitter}`,
    );
  }
  const retries = o.retries ?? 10;
  if (retries !== Infinity) positive("reconnect.retries", retries, true);
  return {
    retries,
    initialDelay: nonNegative("reconnect.initialDelay", o.initialDelay ?? 500),
    maxDelay: nonNegative("reconnect.maxDelay", o.maxDelay ?? 30000),
    factor: positive("reconnect.factor", o.factor ?? 2),
    jitter,
    random: o.random ?? Math.random,
    onFailedAttempt: o.onFailedAttempt,
  };
}

/**
 * A STOMP client: connects over any {@linkcode StompTransport} (TCP, TLS,
 * WebSocket, a Node socket), then sends, subscribes, acknowledges, runs
 * transactions, keeps heart-beats and, if asked, reconnects.
 *
 * **Errors.** An ERROR frame becomes a {@linkcode StompServerError} carrying
 * the frame: it rejects the operation whose receipt it names (or
 * {@linkcode StompClient.connect}, for a bad login), goes to `onError`, and
 * ends the connection, as the specification says servers do after an ERROR.
 * A transport failure, a server silent for longer than the heart-beat allows
 * (interval × `heartBeatGrace`), or a timeout becomes a
 * {@linkcode StompConnectionError} whose `cause` says why; every operation
 * still waiting rejects with it, and subscriptions end with it. Promises the
 * client creates internally never reject unobserved.
 *
 * **Backpressure and prefetch.** Each subscription buffers at most
 * `highWaterMark` messages (256 by default). When a buffer is full the client
 * stops reading from the transport until the consumer takes a message, so
 * the socket's receive window fills and TCP flow control stops the broker
 * from sending: memory stays bounded by the buffers plus the one chunk being
 * decoded, however slow the consumer. Reading stops for the whole connection:
 * RECEIPTs and the other subscriptions wait too, so a task that awaits a
 * receipt while a subscription it does not read is full waits until someone
 * reads it. Keep the broker from pushing more than the consumer takes with
 * its prefetch limit: RabbitMQ's `prefetch-count` SUBSCRIBE header (or
 * ActiveMQ's `activemq.prefetchSize`) with the `client` or
 * `client-individual` ack mode caps the messages delivered but not yet
 * acknowledged. With a prefetch smaller than the `highWaterMark`, the
 * broker stops before the buffer fills, TCP never has to push back, and the
 * other subscriptions and receipts on the connection keep flowing. In `auto`
 * mode the broker ignores prefetch and TCP backpressure is the only brake;
 * give such a slow consumer its own connection. While the client is paused,
 * the server's heart-beats wait unread in the socket, so the silence check is
 * suspended until reading resumes.
 *
 * **Reconnection** (opt-in, `reconnect`): when the connection is lost, the
 * client waits (exponential backoff with jitter), opens a new transport,
 * connects again and re-subscribes every active subscription under its id;
 * operations started meanwhile wait for the new connection. Receipts that
 * were pending, transactions, and messages not yet acknowledged belong to the
 * lost connection: the first two reject, and the broker redelivers the
 * messages (buffered ones are dropped; `ack()` on one already handed out
 * rejects, so nothing is acknowledged twice).
 *
 * @example Quick start against the in-process test broker
 * ```ts
 * import { StompClient } from "@stomper/stomp/client";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen(); // or a real broker's URL
 * await using client = await StompClient.connectUrl(broker.url, {
 *   login: "guest",
 *   passcode: "guest",
 * });
 * const inbox = await client.subscribe("/queue/hello", { ack: "client-individual" });
 * await client.send("/queue/hello", "Hello, STOMP", { receipt: true });
 * for await (const message of inbox) {
 *   assertEquals(message.text, "Hello, STOMP");
 *   await message.ack();
 *   break;
 * }
 * ```
 */
export class StompClient implements AsyncDisposable {
  readonly #source: StompTransportSource;
  readonly #session: StompSession;
  readonly #timers: StompTimers;
  readonly #grace: number;
  readonly #connectTimeout: number;
  readonly #disconnectTimeout: number;
  readonly #highWaterMark: number;
  readonly #limits: Partial<DecodeLimits>;
  readonly #reconnect: ResolvedReconnect | undefined;
  readonly #onStateChange: ((change: StompStateChange) => void) | undefined;
  readonly #onError: ((error: StompServerError) => void) | undefined;
  readonly #internals: ClientInternals;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #receipts = new Map<string, PendingReceipt>();
  readonly #closed = deferred<void>();

  #state: StompClientState = "connecting";
  #generation = 0;
  #link: Link | undefined;
  #closeError: Error | undefined;
  #flow: Deferred<void> | undefined;
  #ready: Deferred<void> | undefined;
  #disconnecting: Promise<void> | undefined;
  #cancelSleep: (() => void) | undefined;

  private constructor(
    source: StompTransportSource,
    options: StompClientOptions,
  ) {
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
    this.#reconnect = resolveReconnect(options.reconnect);
    if (this.#reconnect !== undefined && typeof source !== "function") {
      throw new TypeError(
        "Cannot create client: reconnect needs a function that opens a new transport, not a single transport",
      );
    }
    this.#source = source;
    this.#session = new StompSession(options);
    this.#timers = options.timers ?? SYSTEM_TIMERS;
    this.#grace = positive("heartBeatGrace", options.heartBeatGrace ?? 3);
    if (this.#grace < 1) {
      throw new RangeError(
        `Cannot create client: heartBeatGrace must be at least 1, got ${this.#grace}`,
      );
    }
    this.#connectTimeout = nonNegative(
      "connectTimeout",
      options.connectTimeout ?? 10000,
    );
    this.#disconnectTimeout = nonNegative(
      "disconnectTimeout",
      options.disconnectTimeout ?? 5000,
    );
    this.#highWaterMark = positive(
      "highWaterMark",
      options.highWaterMark ?? 256,
      true,
    );
    this.#limits = options.decodeLimits ?? {};
    this.#onStateChange = options.onStateChange;
    this.#onError = options.onError;
    this.#closed.promise.catch(noop);
    this.#internals = {
      settle: (message, command, ackOptions, transaction) =>
        this.#settle(message, command, ackOptions, transaction),
      unsubscribe: (subscription, unsubscribeOptions) =>
        this.#unsubscribe(subscription, unsubscribeOptions),
      wake: () => this.#wake(),
      transactionSend: (transaction, destination, body, sendOptions) =>
        this.#transactionSend(transaction, destination, body, sendOptions),
      transactionEnd: (transaction, command, endOptions) =>
        this.#transactionEnd(transaction, command, endOptions),
    };
  }

  /**
   * Connects: sends CONNECT over the transport and resolves once the server
   * answers CONNECTED. Rejects with a {@linkcode StompServerError} when the
   * server refuses (bad login, no common version), and with a
   * {@linkcode StompConnectionError} when the transport cannot be opened,
   * fails, the timeout passes or the signal aborts.
   *
   * @example Connecting over a Deno TCP connection
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { fromConn } from "@stomper/stomp/transports";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * const transport = fromConn(
   *   await Deno.connect({ hostname: "127.0.0.1", port: broker.port }),
   * );
   * const client = await StompClient.connect(transport, { heartBeat: [0, 0] });
   * assertEquals(client.version, "1.2");
   * await client.disconnect();
   * ```
   *
   * @param source A transport, or a function opening one (required for
   * `reconnect`).
   * @param options Login, virtual host, versions, heart-beats, timeouts,
   * reconnection and more.
   * @returns The connected client.
   */
  static async connect(
    source: StompTransportSource,
    options: StompClientOptions = {},
  ): Promise<StompClient> {
    const client = new StompClient(source, options);
    try {
      await client.#open(options.signal);
    } catch (error) {
      client.#finish(error instanceof Error ? error : new Error(String(error)));
      await client.#link?.reading;
      throw error;
    }
    if (client.#link?.dead) {
      // Lost between CONNECTED and here: the error is the connection's.
      const error = client.#link.error!;
      client.#finish(error);
      await client.#link.reading;
      throw error;
    }
    client.#setState("connected");
    return client;
  }

  /**
   * Connects to a broker named by a URL: `tcp://`, `tls://`, `stomp+ssl://`,
   * `ws://` or `wss://` (see `openTransport`). Credentials in the URL
   * (`tcp://user:pass@host:61613`) are used as login and passcode unless the
   * options give them. Each reconnection opens a new transport to the URL.
   *
   * @example Connecting by URL
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen({ login: "app", passcode: "secret" });
   * const url = `tcp://app:secret@127.0.0.1:${broker.port}`;
   * await using client = await StompClient.connectUrl(url);
   * assertEquals(client.state, "connected");
   * ```
   *
   * @param url The broker's URL.
   * @param options The client's options, and `transport` options.
   * @returns The connected client.
   */
  static async connectUrl(
    url: string | URL,
    options: ConnectUrlOptions = {},
  ): Promise<StompClient> {
    let target: URL;
    try {
      target = new URL(url);
    } catch (cause) {
      throw new TypeError(
        `Cannot connect: invalid URL ${JSON.stringify(String(url))}`,
        { cause },
      );
    }
    const { transport = {}, ...clientOptions } = options;
    if (clientOptions.login === undefined && target.username !== "") {
      clientOptions.login = decodeURIComponent(target.username);
    }
    if (clientOptions.passcode === undefined && target.password !== "") {
      clientOptions.passcode = decodeURIComponent(target.password);
    }
    // Credentials go in CONNECT, never into the transport's URL.
    target.username = "";
    target.password = "";
    return await StompClient.connect(
      () => openTransport(target, transport),
      clientOptions,
    );
  }

  /** The state of the client. */
  get state(): StompClientState {
    return this.#state;
  }

  /** The negotiated STOMP version of the current connection. */
  get version(): StompVersion | undefined {
    return this.#session.version;
  }

  /** The negotiated heart-beat intervals of the current connection. */
  get heartBeat(): NegotiatedHeartBeat {
    return this.#session.heartBeat;
  }

  /** The server's `server` header (name and version), when it sent one. */
  get server(): string | undefined {
    return this.#session.connectedFrame?.headers.get("server");
  }

  /** The server's `session` header (a session id), when it sent one. */
  get sessionId(): string | undefined {
    return this.#session.connectedFrame?.headers.get("session");
  }

  /**
   * Settles when the client is closed for good: resolves after
   * {@linkcode StompClient.disconnect} or {@linkcode StompClient.close},
   * rejects with a {@linkcode StompConnectionError} when the connection was
   * lost (and not restored).
   */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /**
   * Sends a message.
   *
   * @example Sending with a receipt
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * await using client = await StompClient.connectUrl(broker.url);
   * await client.send("/queue/a", JSON.stringify({ n: 1 }), {
   *   contentType: "application/json",
   *   receipt: true,
   * });
   * assertEquals(broker.depth("/queue/a"), 1);
   * ```
   *
   * @param destination Where to send, such as `/queue/orders`.
   * @param body The body: bytes, or text sent as UTF-8.
   * @param options Receipt, content type and extra headers.
   * @returns A promise that resolves when the frame is written, or with
   * `receipt: true` when the server confirms it.
   */
  async send(
    destination: string,
    body?: StompBody,
    options: ClientSendOptions = {},
  ): Promise<void> {
    const link = await this.#whenConnected("send");
    const out = this.#session.send(destination, body, sendOptions(options));
    await this.#request(link, out);
  }

  /**
   * Subscribes to a destination.
   *
   * @example Subscribing with client acknowledgement and a prefetch limit
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * await using client = await StompClient.connectUrl(broker.url);
   * const jobs = await client.subscribe("/queue/jobs", {
   *   ack: "client-individual",
   *   headers: { "prefetch-count": "4" },
   * });
   * await client.send("/queue/jobs", "job");
   * for await (const job of jobs) {
   *   assertEquals(job.needsAck, true);
   *   await job.ack();
   *   break;
   * }
   * ```
   *
   * @param destination What to subscribe to, such as `/queue/jobs` or
   * `/topic/news`.
   * @param options Ack mode, receipt, buffer size and extra headers.
   * @returns The subscription, once SUBSCRIBE is written (or, with
   * `receipt: true`, confirmed).
   */
  async subscribe(
    destination: string,
    options: ClientSubscribeOptions = {},
  ): Promise<StompSubscription> {
    const highWaterMark = options.highWaterMark === undefined
      ? this.#highWaterMark
      : positive("highWaterMark", options.highWaterMark, true);
    const link = await this.#whenConnected("subscribe");
    const out = this.#session.subscribe(destination, {
      ...(options.ack === undefined ? {} : { ack: options.ack }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.receipt === undefined ? {} : { receipt: options.receipt }),
    });
    const subscription = new Subscription(
      out.subscription,
      highWaterMark,
      this.#internals,
    );
    this.#subscriptions.set(subscription.id, subscription);
    try {
      await this.#request(link, out);
    } catch (error) {
      if (
        error instanceof StompConnectionError &&
        this.#state === "reconnecting"
      ) {
        // Restored with the other subscriptions on the new connection.
        await this.#whenConnected("subscribe");
        return subscription;
      }
      this.#subscriptions.delete(subscription.id);
      this.#session.forget(subscription.id);
      subscription.end(error);
      throw error;
    }
    return subscription;
  }

  /**
   * Begins a transaction.
   *
   * @example Sending two messages atomically
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * await using client = await StompClient.connectUrl(broker.url);
   * const transaction = await client.begin();
   * await transaction.send("/queue/a", "first");
   * await transaction.send("/queue/a", "second");
   * assertEquals(broker.depth("/queue/a"), 0);
   * await transaction.commit({ receipt: true });
   * assertEquals(broker.depth("/queue/a"), 2);
   * ```
   *
   * @param options Receipt and extra headers.
   * @returns The transaction, once BEGIN is written (or confirmed).
   */
  async begin(options: BeginOptions = {}): Promise<StompTransaction> {
    const link = await this.#whenConnected("begin a transaction");
    const out = this.#session.begin({
      ...(options.receipt === undefined ? {} : { receipt: options.receipt }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    const transaction = new Transaction(
      out.transaction,
      link.generation,
      this.#internals,
    );
    await this.#request(link, out);
    return transaction;
  }

  /**
   * Disconnects gracefully: sends DISCONNECT and waits for its RECEIPT (so
   * the server has processed everything sent before), then closes the
   * transport. A server that closes the connection instead of answering
   * (RabbitMQ's Web-STOMP does) counts as done. Subscriptions end. Rejects
   * with a {@linkcode StompConnectionError} only if the RECEIPT did not come
   * within the timeout; the connection is closed either way. Calling it again,
   * or on a closed client, does nothing.
   *
   * @example Disconnecting
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * const client = await StompClient.connectUrl(broker.url);
   * await client.disconnect({ timeout: 2000 });
   * assertEquals(client.state, "closed");
   * ```
   *
   * @param options Timeout and extra headers.
   * @returns A promise that resolves once the connection is closed.
   */
  disconnect(options: DisconnectOptions = {}): Promise<void> {
    switch (this.#state) {
      case "closed":
        return this.#settledClose();
      case "disconnecting":
        return this.#disconnecting!;
      case "connected":
        this.#disconnecting = this.#disconnect(options);
        return this.#disconnecting;
      default:
        this.#finish(undefined);
        return this.#settledClose();
    }
  }

  /**
   * Closes the connection at once, without DISCONNECT. Operations still
   * waiting reject with a {@linkcode StompConnectionError}; subscriptions end.
   *
   * @example Closing abruptly
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * const client = await StompClient.connectUrl(broker.url);
   * client.close();
   * await client.closed;
   * assertEquals(client.state, "closed");
   * ```
   */
  close(): void {
    this.#finish(undefined);
  }

  /**
   * Disconnects (see {@linkcode StompClient.disconnect}), for `await using`.
   *
   * @returns A promise that resolves once the connection is closed.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  // --- connection life cycle -------------------------------------------------

  /**
   * Opens a transport and completes CONNECT / CONNECTED, all within the
   * connect timeout and until the signal aborts.
   */
  async #open(signal: AbortSignal | undefined): Promise<Link> {
    if (signal?.aborted) {
      throw new StompConnectionError("Connection attempt aborted", {
        cause: signal.reason,
      });
    }
    const source = this.#source;
    const ms = this.#connectTimeout;
    // Rejected by the timeout or the signal: ends whichever phase is running.
    const stop = deferred<never>();
    stop.promise.catch(noop);
    let link: Link | undefined;
    const fail = (error: StompConnectionError) => {
      stop.reject(error);
      if (link !== undefined) this.#lose(link, error);
    };
    const timer = ms === 0 ? undefined : this.#timers.setTimeout(
      () =>
        fail(
          new StompConnectionError(
            link === undefined
              ? `Cannot connect within ${ms} ms: the transport did not open`
              : `No CONNECTED frame within ${ms} ms`,
          ),
        ),
      ms,
    );
    const onAbort = () =>
      fail(
        new StompConnectionError("Connection attempt aborted", {
          cause: signal!.reason,
        }),
      );
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const opening = (async () =>
        typeof source === "function" ? await source() : source)();
      let transport: StompTransport;
      try {
        transport = await Promise.race([opening, stop.promise]);
      } catch (cause) {
        // Given up before the transport came: close it when it does.
        opening.then((late) => late.close(), noop);
        if (cause instanceof StompConnectionError) throw cause;
        throw new StompConnectionError(
          `Cannot open transport: ${describe(cause)}`,
          { cause },
        );
      }
      if (this.#state === "closed") {
        transport.close();
        throw new StompConnectionError(
          "Cannot connect: the client was closed",
        );
      }
      try {
        link = new Link(
          ++this.#generation,
          transport,
          this.#limits,
          this.#timers.now(),
        );
      } catch (cause) {
        transport.close();
        throw new StompConnectionError(
          `Cannot use transport: ${describe(cause)}`,
          { cause },
        );
      }
      this.#link = link;
      this.#session.reset();
      link.reading = this.#read(link);
      await this.#write(link, this.#session.connectFrame());
      await link.handshake.promise;
      // Lost right after CONNECTED (in the same chunk, say): not connected.
      if (link.dead) throw link.error;
      return link;
    } finally {
      if (timer !== undefined) this.#timers.clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async #read(link: Link): Promise<void> {
    let reader: ReadableStreamDefaultReader<Uint8Array>;
    try {
      reader = link.transport.readable.getReader();
    } catch (cause) {
      this.#lose(
        link,
        new StompConnectionError(`Cannot read transport: ${describe(cause)}`, {
          cause,
        }),
      );
      return;
    }
    try {
      while (!link.dead) {
        if (this.#mustPause()) {
          link.paused = true;
          this.#flow ??= deferred<void>();
          await this.#flow.promise;
          link.paused = false;
          link.lastReceived = this.#timers.now();
          continue;
        }
        const { value, done } = await reader.read();
        if (link.dead) break;
        if (done) {
          this.#lose(
            link,
            new StompConnectionError("The server closed the connection"),
          );
          break;
        }
        link.lastReceived = this.#timers.now();
        try {
          link.decoder.decode(value, (frame) => this.#receive(link, frame));
        } catch (cause) {
          if (cause instanceof StompConnectionError) throw cause;
          throw new StompConnectionError(
            `Cannot decode data from the server: ${describe(cause)}`,
            { cause },
          );
        }
      }
    } catch (cause) {
      this.#lose(
        link,
        cause instanceof StompConnectionError
          ? cause
          : new StompConnectionError(
            `Transport failed while reading: ${describe(cause)}`,
            { cause },
          ),
      );
    } finally {
      try {
        reader.releaseLock();
      } catch {
        // Nothing to release: the stream is gone with the transport.
      }
    }
  }

  #receive(link: Link, frame: StompFrame): void {
    if (link.dead) return;
    const event = this.#session.receive(frame);
    switch (event.type) {
      case "connected":
        link.version = event.version;
        link.decoder.version = event.version;
        link.heartBeat = event.heartBeat;
        link.connected = true;
        this.#startHeartBeats(link);
        link.handshake.resolve();
        return;
      case "message": {
        if (event.subscription === undefined) return;
        const subscription = this.#subscriptions.get(event.subscription.id);
        subscription?.deliver(
          new Message(frame, subscription, link.generation, this.#internals),
        );
        return;
      }
      case "receipt": {
        const pending = this.#receipts.get(event.receiptId);
        if (pending !== undefined) {
          this.#receipts.delete(event.receiptId);
          pending.resolve();
        }
        if (event.disconnected) link.goodbye.resolve();
        return;
      }
      case "error": {
        const error = event.error;
        if (event.receiptId !== undefined) {
          const pending = this.#receipts.get(event.receiptId);
          this.#receipts.delete(event.receiptId);
          pending?.reject(error);
        }
        if (this.#onError !== undefined) {
          try {
            this.#onError(error);
          } catch (thrown) {
            report(thrown);
          }
        }
        this.#lose(
          link,
          link.connected
            ? new StompConnectionError(
              `Connection ended by an ERROR from the server: ${
                JSON.stringify(frame.headers.get("message") ?? "")
              }`,
              { cause: error },
            )
            : error,
        );
        return;
      }
    }
  }

  #startHeartBeats(link: Link): void {
    const timers = this.#timers;
    const { send, receive } = link.heartBeat;
    if (send > 0) {
      const due = send * HEARTBEAT_EARLY;
      const tick = () => {
        if (link.dead) return;
        if (timers.now() - link.lastSent >= due) {
          this.#writeBytes(link, EOL).catch(noop);
        }
        link.sendTimer = timers.setTimeout(
          tick,
          Math.max(1, link.lastSent + due - timers.now()),
        );
      };
      link.sendTimer = timers.setTimeout(tick, due);
    }
    if (receive > 0) {
      const limit = Math.ceil(receive * this.#grace);
      const check = () => {
        if (link.dead) return;
        const now = timers.now();
        // A paused reader leaves the server's bytes in the socket: that is
        // our doing, not the server's silence.
        if (link.paused) link.lastReceived = now;
        const silent = now - link.lastReceived;
        if (silent >= limit) {
          this.#lose(
            link,
            new StompConnectionError(
              `Server silent for ${
                Math.round(silent)
              } ms: heart-beats were due every ${receive} ms (grace ${this.#grace}, limit ${limit} ms)`,
            ),
          );
          return;
        }
        link.receiveTimer = timers.setTimeout(check, limit - silent);
      };
      link.receiveTimer = timers.setTimeout(check, limit);
    }
  }

  /** Ends a connection: stops its timers, closes it, fails what waited on it. */
  #lose(link: Link, error: Error): void {
    if (link.dead) return;
    link.dead = true;
    link.error = error;
    if (link.sendTimer !== undefined) this.#timers.clearTimeout(link.sendTimer);
    if (link.receiveTimer !== undefined) {
      this.#timers.clearTimeout(link.receiveTimer);
    }
    try {
      link.transport.close();
    } catch {
      // Closed already (a transport that closes itself on error).
    }
    link.handshake.reject(error);
    link.goodbye.resolve();
    const pendingError = error instanceof StompConnectionError
      ? error
      : new StompConnectionError(`Connection lost: ${describe(error)}`, {
        cause: error,
      });
    for (const [id, pending] of this.#receipts) {
      if (pending.link !== link) continue;
      this.#receipts.delete(id);
      pending.reject(pendingError);
    }
    this.#wake();
    if (link !== this.#link) return;
    this.#session.close();
    if (this.#state === "connected") {
      if (this.#reconnect !== undefined) this.#reconnectLoop(pendingError);
      else this.#finish(pendingError);
    }
    // connecting and reconnecting: the handshake's rejection reaches #open's
    // caller; disconnecting: goodbye resolved, disconnect() finishes.
  }

  /** Closes the client for good; `error` undefined means a clean close. */
  #finish(error: Error | undefined): void {
    if (this.#state === "closed") return;
    const failure = error === undefined || error instanceof StompConnectionError
      ? error
      : new StompConnectionError(describe(error), { cause: error });
    this.#closeError = failure;
    this.#setState("closed", failure);
    const link = this.#link;
    const closing = failure ??
      new StompConnectionError("The client was closed");
    if (link !== undefined) this.#lose(link, closing);
    for (const [id, pending] of this.#receipts) {
      this.#receipts.delete(id);
      pending.reject(closing);
    }
    for (const subscription of this.#subscriptions.values()) {
      subscription.end(failure);
    }
    this.#subscriptions.clear();
    this.#cancelSleep?.();
    this.#ready?.resolve();
    this.#wake();
    const reading = link?.reading ?? Promise.resolve();
    reading.then(() => {
      if (failure === undefined) this.#closed.resolve();
      else this.#closed.reject(failure);
    });
  }

  async #reconnectLoop(cause: StompConnectionError): Promise<void> {
    const options = this.#reconnect!;
    this.#ready = deferred<void>();
    this.#setState("reconnecting", cause);
    // Messages buffered from the lost connection cannot be acknowledged any
    // more; the broker redelivers them.
    for (const subscription of this.#subscriptions.values()) {
      subscription.purge(this.#generation + 1);
    }
    let last: Error = cause;
    for (let attempt = 1;; attempt++) {
      if (attempt > options.retries) {
        this.#finish(
          new StompConnectionError(
            `Cannot reconnect: gave up after ${options.retries} attempts`,
            { cause: last },
          ),
        );
        return;
      }
      const base = Math.min(
        options.maxDelay,
        options.initialDelay * options.factor ** (attempt - 1),
      );
      await this.#sleep(base * (1 - options.jitter * options.random()));
      if (this.#state !== "reconnecting") return;
      try {
        const link = await this.#open(undefined);
        for (const frame of this.#session.resubscribe()) {
          await this.#write(link, frame);
        }
        if (this.#state !== "reconnecting") return;
        if (link.dead) throw link.error;
        this.#setState("connected");
        this.#ready.resolve();
        return;
      } catch (error) {
        if (this.#state !== "reconnecting") return;
        last = error instanceof Error ? error : new Error(String(error));
        if (options.onFailedAttempt !== undefined) {
          try {
            options.onFailedAttempt(last, attempt);
          } catch (thrown) {
            report(thrown);
          }
        }
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#timers.setTimeout(() => {
        this.#cancelSleep = undefined;
        resolve();
      }, ms);
      this.#cancelSleep = () => {
        this.#timers.clearTimeout(timer);
        this.#cancelSleep = undefined;
        resolve();
      };
    });
  }

  async #disconnect(options: DisconnectOptions): Promise<void> {
    const link = this.#link!;
    const timeout = options.timeout === undefined
      ? this.#disconnectTimeout
      : nonNegative("timeout", options.timeout);
    this.#setState("disconnecting");
    // A reader paused for a full buffer must go on: the RECEIPT is behind.
    this.#wake();
    const out = this.#session.disconnect(
      options.headers === undefined ? {} : { headers: options.headers },
    );
    // A failed write means the connection is gone: goodbye resolves.
    this.#write(link, out.frame).catch(noop);
    let timedOut = false;
    const timer = this.#timers.setTimeout(() => {
      timedOut = true;
      link.goodbye.resolve();
    }, timeout);
    await link.goodbye.promise;
    this.#timers.clearTimeout(timer);
    this.#finish(undefined);
    await link.reading;
    if (timedOut) {
      throw new StompConnectionError(
        `No RECEIPT for DISCONNECT within ${timeout} ms; the connection was closed anyway`,
      );
    }
  }

  async #settledClose(): Promise<void> {
    await this.#link?.reading;
  }

  #setState(state: StompClientState, error?: Error): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    if (this.#onStateChange === undefined) return;
    try {
      this.#onStateChange({ state, previous, error });
    } catch (thrown) {
      report(thrown);
    }
  }

  // --- flow control ----------------------------------------------------------

  #mustPause(): boolean {
    // While disconnecting, only messages already in flight can still come,
    // and the RECEIPT must not wait behind them.
    if (this.#state === "disconnecting" || this.#state === "closed") {
      return false;
    }
    for (const subscription of this.#subscriptions.values()) {
      if (subscription.full) return true;
    }
    return false;
  }

  #wake(): void {
    const flow = this.#flow;
    if (flow === undefined) return;
    this.#flow = undefined;
    flow.resolve();
  }

  // --- writing ---------------------------------------------------------------

  async #whenConnected(verb: string): Promise<Link> {
    while (true) {
      if (this.#state === "connected") return this.#link!;
      if (this.#state === "reconnecting" && this.#ready !== undefined) {
        await this.#ready.promise;
        continue;
      }
      throw new StompConnectionError(
        `Cannot ${verb}: the client is ${this.#state}`,
        this.#closeError === undefined
          ? undefined
          : { cause: this.#closeError },
      );
    }
  }

  #write(link: Link, frame: StompFrame): Promise<void> {
    // Encoding first: a frame the version cannot carry throws a TypeError
    // before anything is written.
    return this.#writeBytes(
      link,
      encodeFrame(frame, { version: link.version }),
    );
  }

  async #writeBytes(link: Link, bytes: Uint8Array): Promise<void> {
    if (link.dead) throw link.error;
    link.lastSent = this.#timers.now();
    try {
      await link.writer.write(bytes);
    } catch (cause) {
      this.#lose(
        link,
        new StompConnectionError(
          `Connection lost while sending: ${describe(cause)}`,
          { cause },
        ),
      );
      throw link.error;
    }
  }

  /** Writes a frame and, if it asked for a receipt, waits for it. */
  async #request(link: Link, out: SessionOutput): Promise<void> {
    let confirmed: Promise<void> | undefined;
    if (out.receipt !== undefined) {
      const pending = deferred<void>();
      pending.promise.catch(noop);
      this.#receipts.set(out.receipt, {
        resolve: pending.resolve,
        reject: pending.reject,
        link,
      });
      confirmed = pending.promise;
    }
    try {
      await this.#write(link, out.frame);
    } catch (error) {
      if (out.receipt !== undefined) this.#receipts.delete(out.receipt);
      throw error;
    }
    await confirmed;
  }

  // --- what messages, subscriptions and transactions call --------------------

  async #settle(
    message: Message,
    command: "ACK" | "NACK",
    options: MessageAckOptions,
    transaction: Transaction | undefined,
  ): Promise<void> {
    const verb = command === "ACK" ? "acknowledge" : "reject";
    const link = this.#link;
    if (link === undefined || link.generation !== message.generation) {
      throw new StompConnectionError(
        `Cannot ${verb} message ${
          JSON.stringify(message.messageId)
        }: it arrived on a connection that was lost, and the broker will deliver it again`,
      );
    }
    if (transaction !== undefined) this.#checkTransaction(transaction, verb);
    if (this.#state !== "connected") {
      throw new StompConnectionError(
        `Cannot ${verb} message ${
          JSON.stringify(message.messageId)
        }: the client is ${this.#state}`,
        this.#closeError === undefined
          ? undefined
          : { cause: this.#closeError },
      );
    }
    const ackOptions = {
      ...(options.receipt === undefined ? {} : { receipt: options.receipt }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(transaction === undefined ? {} : { transaction: transaction.id }),
    };
    const out = command === "ACK"
      ? this.#session.ack(message.frame, ackOptions)
      : this.#session.nack(message.frame, ackOptions);
    await this.#request(link, out);
  }

  async #unsubscribe(
    subscription: Subscription,
    options: UnsubscribeOptions,
  ): Promise<void> {
    if (!subscription.active) return;
    this.#subscriptions.delete(subscription.id);
    if (this.#state !== "connected") {
      // Not restored on the next connection; the lost one took it along.
      this.#session.forget(subscription.id);
      subscription.end();
      return;
    }
    const link = this.#link!;
    const out = this.#session.unsubscribe(subscription.id, {
      ...(options.receipt === undefined ? {} : { receipt: options.receipt }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    subscription.end();
    await this.#request(link, out);
  }

  async #transactionSend(
    transaction: Transaction,
    destination: string,
    body: StompBody | undefined,
    options: TransactionSendOptions,
  ): Promise<void> {
    const link = this.#checkTransaction(transaction, "send in");
    const out = this.#session.send(destination, body, {
      ...sendOptions(options),
      transaction: transaction.id,
    });
    await this.#request(link, out);
  }

  async #transactionEnd(
    transaction: Transaction,
    command: "COMMIT" | "ABORT",
    options: TransactionEndOptions,
  ): Promise<void> {
    const link = this.#checkTransaction(
      transaction,
      command === "COMMIT" ? "commit" : "abort",
    );
    const endOptions = {
      ...(options.receipt === undefined ? {} : { receipt: options.receipt }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    };
    const out = command === "COMMIT"
      ? this.#session.commit(transaction.id, endOptions)
      : this.#session.abort(transaction.id, endOptions);
    await this.#request(link, out);
  }

  #checkTransaction(transaction: Transaction, verb: string): Link {
    const link = this.#link;
    if (link === undefined || link.generation !== transaction.generation) {
      throw new StompConnectionError(
        `Cannot ${verb} transaction ${
          JSON.stringify(transaction.id)
        }: it was lost with its connection (the broker aborted it)`,
      );
    }
    if (this.#state !== "connected") {
      throw new StompConnectionError(
        `Cannot ${verb} transaction ${
          JSON.stringify(transaction.id)
        }: the client is ${this.#state}`,
        this.#closeError === undefined
          ? undefined
          : { cause: this.#closeError },
      );
    }
    return link;
  }
}

function sendOptions(
  options: ClientSendOptions,
): { receipt?: boolean; contentType?: string; headers?: StompHeadersInit } {
  return {
    ...(options.receipt === undefined ? {} : { receipt: options.receipt }),
    ...(options.contentType === undefined
      ? {}
      : { contentType: options.contentType }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  };
}
