/**
 * {@linkcode StompClient}: a STOMP client over any `StompTransport`.
 *
 * @module
 */

import { encodeFrame } from "../encoder.ts";
import { type StompBody, StompFrame, type StompVersion } from "../frame.ts";
import { StompHeaders, type StompHeadersInit } from "../headers.ts";
import { encodePlainInto, plainFrameBound, utf8Length } from "../_plain.ts";
import { openTransport } from "../transports/open.ts";
import {
  type Connection,
  type ConnectionHandlers,
  newStats,
  openConnection,
} from "./_connection.ts";
import type { StompClientStats } from "./trace.ts";
import {
  type ClientInternals,
  Message,
  Subscription,
  Transaction,
} from "./_impl.ts";
import { Deadlines, Operation, type OperationContext } from "./_operation.ts";
import { frameOverhead, frameSize, Outbox, type Outgoing } from "./_outbox.ts";
import { Receipts } from "./_receipts.ts";
import type { ReconnectPolicy } from "./_reconnect.ts";
import {
  checkHighWaterMark,
  type ClientSettings,
  operationTimeout,
  resolveOptions,
  validTimeout,
} from "./_options.ts";
import {
  type BrokerUrl,
  parseAnyUrl,
  parseBrokerUrl,
  parseBrokerUrls,
} from "./_urls.ts";
import { redactUrl } from "../_redact.ts";
import {
  asError,
  type Deferred,
  deferred,
  describe,
  noop,
  report,
} from "./_util.ts";
import {
  StompConnectionError,
  StompServerError,
  StompUnhandledMessageError,
} from "./errors.ts";
import type { MessageAckOptions, StompMessage } from "./message.ts";
import type {
  BeginOptions,
  ClientSendOptions,
  ClientSubscribeOptions,
  ConnectAttempt,
  ConnectSettings,
  ConnectUrlOptions,
  DisconnectOptions,
  OperationOptions,
  ReplyOptions,
  RequestOptions,
  StompClientOptions,
  StompClientState,
  StompTimers,
  StompTransportSource,
} from "./options.ts";
import {
  type NegotiatedHeartBeat,
  type SessionOutput,
  StompSession,
} from "./session.ts";
import type { StompSubscription, UnsubscribeOptions } from "./subscription.ts";
import type {
  StompTransaction,
  TransactionEndOptions,
  TransactionSendOptions,
} from "./transaction.ts";

/** What a queued operation needs beyond its frame. */
interface Enqueue<T> {
  /** The value the operation resolves with. */
  readonly value: T;
  /** The connection it belongs to, if any (ACK, NACK, transactions). */
  readonly epoch?: number | undefined;
  /** The caller asked for a RECEIPT: resolve on it, not on acceptance. */
  readonly confirmed: boolean;
  /** The subscription a SUBSCRIBE is for (its receipt tells a refusal). */
  readonly subscription?: Subscription;
  readonly skip?: (epoch: number) => boolean;
  readonly written?: (epoch: number) => void;
  /** Called when the timeout or the signal ends the operation first. */
  readonly cancelled?: () => void;
  /** A SEND's text body, left out of its frame (see Outgoing.text). */
  readonly text?: string | undefined;
  /**
   * Resolve once written, not when accepted: until then the operation can
   * still be taken out (a request's SEND, ended with its request).
   */
  readonly whenWritten?: boolean;
  /** A text SEND written without content-length (see Outgoing.lengthless). */
  readonly lengthless?: boolean;
}

/** What an operation's `prepare` returns: its frame and how to queue it. */
interface Prepared<T> extends Omit<Enqueue<T>, "confirmed"> {
  /** The frame to queue; `undefined` when there is nothing to write. */
  readonly out: SessionOutput | undefined;
  /** Undoes what `prepare` did, when the frame could not be queued. */
  readonly unqueued?: () => void;
}

/**
 * A STOMP client: connects over any `StompTransport` (TCP, TLS, WebSocket, a
 * Node socket), then sends, subscribes, acknowledges, runs transactions,
 * keeps heart-beats and, if asked, reconnects.
 *
 * **Order.** Every operation takes its place in one outgoing order at the
 * moment it is called, whatever the state: `send(); send(); disconnect()`
 * writes both messages, then DISCONNECT, and resolves once the server has
 * confirmed it. While reconnecting, operations wait in that order and go out
 * on the new connection; acknowledgements and transactions belong to the
 * connection they were made on, and reject when it is lost.
 *
 * **The send buffer.** Operations issued but not yet written are held in
 * order (their frames, without copying binary bodies), counted in bytes as
 * {@linkcode StompClient.bufferedAmount}. Below `sendBufferSize` (4 MiB) an
 * operation is accepted at once: `await send()` resolves without waiting for
 * the write, and a burst of sends goes out in few writes (over TCP, frames
 * issued together share one write; a WebSocket still gets one message per
 * frame, and waits while its `bufferedAmount` is high). Past the limit, an
 * operation's promise resolves only once it is written, so a producer that
 * awaits each `send` (or every n-th) runs at the connection's pace with
 * memory bounded by the limit. A producer that awaits nothing still has its
 * order kept, but holds every frame it issued until written. With `receipt:
 * true` the promise resolves on the server's RECEIPT: the only proof that a
 * message arrived.
 *
 * **Errors.** An ERROR frame becomes a {@linkcode StompServerError} whose
 * message says what the server said: it rejects the operation whose receipt
 * it names (or `connect`, for a bad login), and ends the connection, as the
 * specification says servers do after an ERROR. A SUBSCRIBE the server
 * refuses ends that subscription with the error (its iterator throws), and
 * it is not restored: every SUBSCRIBE asks for a receipt, so that an ERROR
 * naming it, or naming no receipt while it is unconfirmed, is known to be its
 * refusal. A transport failure, a silent server (interval ×
 * `heartBeatGrace`), or a closed client becomes a
 * {@linkcode StompConnectionError}; a timeout a `StompTimeoutError`. Every
 * failure rejects the promises of the operations it ends, which never turn
 * into unhandled rejections when nobody awaits them, and reaches `onError`
 * (see {@linkcode StompClientOptions.onError}); `closed` rejects when the
 * client ends with one.
 *
 * **Timeouts.** Operations that ask for a RECEIPT wait at most
 * `receiptTimeout` (30 s); each operation also takes its own `timeout` and
 * `signal`. An operation not yet written when it times out or is aborted is
 * taken out of the order and never written.
 *
 * **Backpressure and prefetch.** Each subscription buffers at most
 * `highWaterMark` messages (256 by default). When a buffer is full the client
 * stops reading from the transport until the consumer takes a message, so
 * the socket's receive window fills and TCP flow control stops the broker
 * from sending: memory stays bounded by the buffers plus the one chunk being
 * decoded, however slow the consumer. Reading stops for the whole connection:
 * RECEIPTs and the other subscriptions wait too, so a task that awaits a
 * receipt while a subscription it does not read is full waits until someone
 * reads it, or its receipt times out. Keep the broker from pushing more than
 * the consumer takes with its prefetch limit: RabbitMQ's `prefetch-count`
 * SUBSCRIBE header (or ActiveMQ's `activemq.prefetchSize`) with the `client`
 * or `client-individual` ack mode caps the messages delivered but not yet
 * acknowledged. With a prefetch smaller than the `highWaterMark`, the broker
 * stops before the buffer fills, TCP never has to push back, and the other
 * subscriptions and receipts on the connection keep flowing. In `auto` mode
 * the broker ignores prefetch and TCP backpressure is the only brake; give
 * such a slow consumer its own connection. While the client is paused, the
 * server's heart-beats wait unread in the socket, so the silence check is
 * suspended until reading resumes.
 *
 * **Reconnection** (opt-in, `reconnect`): the first connection is retried
 * too (unless `retryFirstConnect: false`); when a connection is lost, the
 * client waits (exponential backoff with jitter), opens a new transport,
 * connects again, re-subscribes every active subscription under its id and
 * writes what waited. The attempt count starts over only once a connection
 * stayed up for `stableAfter` (10 s), so a server that ends every
 * connection at once makes the client give up after `retries` attempts.
 * Receipts that were pending, transactions, and messages not yet
 * acknowledged belong to the lost connection: the first two reject, and the
 * broker redelivers the messages (buffered ones are dropped; `ack()` on one
 * already handed out rejects, so nothing is acknowledged twice). A message
 * sent without a receipt and written just before the connection broke may
 * be lost: ask for a receipt to know.
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
  readonly #settings: ClientSettings;
  readonly #source: StompTransportSource;
  readonly #session: StompSession;
  readonly #timers: StompTimers;
  readonly #policy: ReconnectPolicy | undefined;
  readonly #outbox: Outbox;
  readonly #receipts = new Receipts();
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #closed = deferred<void>();
  readonly #internals: ClientInternals;
  readonly #context: OperationContext;
  readonly #handlers: ConnectionHandlers;

  #state: StompClientState = "connecting";
  /** The connection that operations issued now go out on. */
  #epoch = 1;
  #connection: Connection | undefined;
  /** The current connection is up: CONNECTED came, subscriptions restored. */
  #ready = false;
  #closeError: Error | undefined;
  #lastReported: Error | undefined;
  #disconnecting: Promise<void> | undefined;
  #goodbye: Operation<void> | undefined;
  /** The connection DISCONNECT was written on. */
  #goodbyeEpoch: number | undefined;
  #cancelSleep: (() => void) | undefined;
  /** connectUrl's brokers, tried in turn. */
  readonly #brokers: readonly BrokerUrl[] | undefined;
  /** Connection attempts so far, over the client's life. */
  #attempts = 0;
  /** Whether a connection was ever established. */
  #wasUp = false;
  /** The URL of the current (or last) connection attempt. */
  #url: URL | undefined;
  readonly #replyId = randomId();
  /** Where request() has its replies sent, once the first request made it. */
  #replies: ReplyRoute | undefined;
  /** Requests waiting for their reply, by correlation-id. */
  readonly #requests = new Map<string, PendingRequest>();
  readonly #requestPrefix = `stomper-${randomId()}-`;
  #requestCount = 0;
  /** The `server` header of the last CONNECTED. */
  #serverName: string | undefined;

  private constructor(
    source: StompTransportSource,
    options: StompClientOptions,
    brokers?: readonly BrokerUrl[],
  ) {
    const settings = resolveOptions(source, options);
    this.#settings = settings;
    this.#policy = settings.policy;
    this.#source = source;
    this.#session = new StompSession(options);
    this.#timers = settings.timers;
    this.#outbox = new Outbox(settings.sendBufferSize);
    this.#brokers = brokers;
    this.#closed.promise.catch(noop);
    this.#context = {
      timers: this.#timers,
      deadlines: new Deadlines(this.#timers),
      report: (error) => this.#report(error),
    };
    this.#handlers = {
      frame: (connection, frame) => this.#onFrame(connection, frame),
      lost: (connection, error) => this.#onLost(connection, error),
      mustPause: () => this.#mustPause(),
    };
    this.#internals = {
      settle: (message, command, ackOptions, transaction) =>
        this.#settle(message, command, ackOptions, transaction),
      unsubscribe: (subscription, unsubscribeOptions) =>
        this.#unsubscribe(subscription, unsubscribeOptions),
      wake: () => this.#connection?.resume(),
      refuse: (error) => this.#refuse(error),
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
   * fails, the timeout passes or the signal aborts. With `reconnect`, a
   * failed first attempt is retried with the backoff (see
   * `ReconnectOptions.retryFirstConnect`).
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
    return await StompClient.#start(
      new StompClient(source, options),
      options,
    );
  }

  static async #start(
    client: StompClient,
    options: StompClientOptions,
  ): Promise<StompClient> {
    const first = deferred<void>();
    first.promise.catch(noop);
    client.#run(options.signal, first);
    try {
      await first.promise;
    } catch (error) {
      // The caller gets the error; onError had the server's already.
      client.#finish(asError(error), false);
      await client.#connection?.reading;
      throw error;
    }
    return client;
  }

  /**
   * Connects to a broker named by a URL: `tcp://` (or `stomp://`),
   * `tls://` (or `stomp+ssl://`), `ws://` or `wss://` (see
   * `openTransport`). Credentials in the URL (`tcp://user:pass@host:61613`)
   * are used as login and passcode unless the options give them.
   *
   * **Failover.** Given a list of URLs (or ActiveMQ's
   * `failover:(tcp://a:61613,tcp://b:61613)`, shuffled unless it ends in
   * `?randomize=false`), each attempt goes to the next broker in the list,
   * round and round, with the `reconnect` backoff between attempts (a list
   * needs `reconnect`); {@linkcode StompClient.url} tells which one the
   * client is on. A `beforeConnect` hook can still pick another for an
   * attempt.
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
   * @example Failing over to the next broker of a list
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using primary = StompTestBroker.listen();
   * await using standby = StompTestBroker.listen();
   * const moved = Promise.withResolvers<void>();
   * await using client = await StompClient.connectUrl(
   *   [primary.url, standby.url],
   *   {
   *     reconnect: { initialDelay: 10 },
   *     onStateChange: ({ state, url }) => {
   *       if (state === "connected" && url?.port === String(standby.port)) {
   *         moved.resolve();
   *       }
   *     },
   *   },
   * );
   * assertEquals(client.url?.port, String(primary.port));
   * await primary.close(); // the client moves to the standby
   * await moved.promise;
   * await client.send("/queue/a", "still here", { receipt: true });
   * assertEquals(standby.depth("/queue/a"), 1);
   * ```
   *
   * @param url The broker's URL, or a list of brokers to fail over between.
   * @param options The client's options, and `transport` options.
   * @returns The connected client.
   */
  static async connectUrl(
    url: string | URL | readonly (string | URL)[],
    options: ConnectUrlOptions = {},
  ): Promise<StompClient> {
    const brokers = parseBrokerUrls(
      url,
      typeof options.reconnect === "object"
        ? options.reconnect.random
        : undefined,
    );
    if (brokers.length > 1 && (options.reconnect ?? false) === false) {
      throw new TypeError(
        `Cannot connect: a list of ${brokers.length} brokers needs the reconnect option to fail over (reconnect: true)`,
      );
    }
    const { transport = {}, ...clientOptions } = options;
    const open = async (attempt: ConnectAttempt) => {
      try {
        return await openTransport(attempt.url!, transport);
      } catch (error) {
        // A transport option it refuses is refused on every attempt.
        if (error instanceof TypeError || error instanceof RangeError) {
          ARGUMENT_ERRORS.add(error);
        }
        throw error;
      }
    };
    return await StompClient.#start(
      new StompClient(open, clientOptions, brokers),
      clientOptions,
    );
  }

  /** The state of the client. */
  get state(): StompClientState {
    return this.#state;
  }

  /**
   * The URL (without credentials) of the broker the client is connected to,
   * or was last trying: one of `connectUrl`'s list, or the one a
   * `beforeConnect` hook named; undefined when the transport came without
   * one.
   */
  get url(): URL | undefined {
    return this.#url;
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
   * Bytes issued and not yet written to the transport (each frame counted
   * as its body plus its headers, roughly), like a WebSocket's
   * `bufferedAmount`. Operations are accepted at once while it is below
   * `sendBufferSize`.
   */
  get bufferedAmount(): number {
    return this.#outbox.bufferedAmount;
  }

  readonly #stats = newStats();

  /**
   * The counters of frames, bytes, messages, acknowledgements and
   * reconnections, over all connections so far (see
   * {@linkcode StompClientStats}): a snapshot, taken when read.
   */
  get stats(): StompClientStats {
    return { ...this.#stats };
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
   * @example A burst without awaiting each send
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * const client = await StompClient.connectUrl(broker.url);
   * for (let i = 0; i < 100; i++) client.send("/queue/burst", String(i));
   * await client.disconnect(); // everything above is written first
   * assertEquals(broker.depth("/queue/burst"), 100);
   * ```
   *
   * @param destination Where to send, such as `/queue/orders`.
   * @param body The body: bytes, or text sent as UTF-8.
   * @param options Receipt, content type, extra headers, timeout, signal.
   * @returns A promise that resolves once the frame is accepted into the
   * send buffer (at once below `sendBufferSize`, else once written), or with
   * `receipt: true` when the server confirms it.
   */
  send(
    destination: string,
    body?: StompBody,
    options: ClientSendOptions = {},
  ): Promise<void> {
    const tooLarge = this.#tooLarge(destination, body);
    if (tooLarge !== undefined) return this.#refuse(tooLarge);
    const lengthless = this.#lengthless(destination, body, options);
    if (lengthless instanceof TypeError) return this.#refuse(lengthless);
    if (options.receipt !== true && options.signal?.aborted !== true) {
      if (this.#encodesNow) {
        if (this.#sendNow(destination, body, options, lengthless)) {
          return Promise.resolve();
        }
      } else {
        const waiting = this.#sendLater(destination, body, options, lengthless);
        if (waiting !== undefined) return waiting;
      }
    }
    return this.#issue(
      `SEND to ${JSON.stringify(destination)}`,
      options,
      () => {
        this.#checkOpen("send");
        // Text stays a string until it is encoded, straight into the
        // outgoing bytes (now, or at its turn if it waits).
        const text = typeof body === "string" ? body : undefined;
        return {
          out: this.#session.send(
            destination,
            text === undefined ? body : undefined,
            sendOptions(options),
          ),
          value: undefined,
          text,
          lengthless,
        };
      },
    );
  }

  /**
   * Whether a body goes without content-length (text, when asked so), or
   * the `TypeError` for a text that cannot: one holding NUL, where its
   * frame would end.
   */
  #lengthless(
    destination: string,
    body: StompBody | undefined,
    options: { readonly contentLength?: boolean },
  ): boolean | TypeError {
    if (
      typeof body !== "string" || body.length === 0 ||
      (options.contentLength ?? this.#settings.textContentLength) !== false
    ) return false;
    const nul = body.indexOf("\0");
    if (nul === -1) return true;
    return new TypeError(
      `Cannot send to ${
        JSON.stringify(destination)
      }: the text holds a NUL character at index ${nul}, which a SEND without content-length (contentLength: false) cannot carry; send it with content-length, or as bytes`,
    );
  }

  /**
   * Subscribes to a destination. If the server refuses the subscription
   * (an unknown destination, no permission), its iterator throws the
   * {@linkcode StompServerError}, and with `receipt: true` this rejects.
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
   * @param options Ack mode, receipt, buffer size, extra headers, timeout,
   * signal.
   * @returns The subscription, once SUBSCRIBE is accepted (or, with
   * `receipt: true`, confirmed).
   */
  subscribe(
    destination: string,
    options: ClientSubscribeOptions = {},
  ): Promise<StompSubscription> {
    return this.#subscribe(destination, options);
  }

  /** subscribe(), telling `made` the subscription as soon as it exists. */
  #subscribe(
    destination: string,
    options: ClientSubscribeOptions,
    made?: (subscription: Subscription) => void,
  ): Promise<StompSubscription> {
    return this.#issue<StompSubscription>(
      `SUBSCRIBE to ${JSON.stringify(destination)}`,
      options,
      (op, confirmed) => {
        const highWaterMark = options.highWaterMark === undefined
          ? this.#settings.highWaterMark
          : checkHighWaterMark(options.highWaterMark);
        this.#checkOpen("subscribe");
        const out = this.#session.subscribe(destination, {
          ...(options.ack === undefined ? {} : { ack: options.ack }),
          ...(options.headers === undefined
            ? {}
            : { headers: options.headers }),
          // Always: the receipt is how a refusal is told from other errors.
          receipt: true,
        });
        const subscription = new Subscription(
          out.subscription,
          highWaterMark,
          this.#internals,
        );
        this.#subscriptions.set(subscription.id, subscription);
        made?.(subscription);
        if (confirmed) subscription.confirming = op;
        return {
          out,
          value: subscription,
          subscription,
          written: (epoch) => subscription.wireEpoch = epoch,
          cancelled: () => {
            subscription.confirming = undefined;
            this.#unsubscribe(subscription, {});
          },
          unqueued: () => {
            this.#subscriptions.delete(subscription.id);
            this.#session.forget(subscription.id);
          },
        };
      },
    );
  }

  /**
   * Sends a request and resolves with its reply: the SEND carries a
   * `reply-to` destination and a `correlation-id`, and the first MESSAGE
   * that comes back there with the same `correlation-id` is the reply
   * (a responder answers with {@linkcode StompClient.reply}). Replies go to
   * a RabbitMQ `/temp-queue/` (delivered without a SUBSCRIBE), or on other
   * brokers to a destination the client subscribes to once (see the
   * `replyMode` and `replyDestination` options). All requests of a client
   * share that destination.
   *
   * Rejects with a `StompTimeoutError` when no reply came within `timeout`
   * (the client's `receiptTimeout`, 30 s, by default), with the signal's
   * reason when it aborts, and with a `StompConnectionError` when the
   * connection the request went out on is lost before the reply: the
   * request may or may not have been processed, so retrying is the
   * caller's decision. A reply that comes after its request ended goes to
   * `onUnhandledMessage`.
   *
   * @example A request and its reply
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * await using server = await StompClient.connectUrl(broker.url);
   * await using client = await StompClient.connectUrl(broker.url);
   * const requests = await server.subscribe("/queue/add", { receipt: true });
   * (async () => {
   *   for await (const request of requests) {
   *     const [a, b] = JSON.parse(request.text);
   *     await server.reply(request, JSON.stringify(a + b));
   *   }
   * })();
   * const reply = await client.request("/queue/add", "[2, 3]", { timeout: 5000 });
   * assertEquals(reply.text, "5");
   * ```
   *
   * @param destination Where the request goes, such as `/queue/rpc`.
   * @param body The body: bytes, or text sent as UTF-8.
   * @param options Timeout, signal, content type, extra headers.
   * @returns The reply message.
   */
  request(
    destination: string,
    body?: StompBody,
    options: RequestOptions = {},
  ): Promise<StompMessage> {
    const what = `request to ${JSON.stringify(destination)}`;
    const op = this.#operation<StompMessage>(what, options, true);
    if (op.done) return op.promise;
    let headers: StompHeaders;
    let replies: ReplyRoute;
    try {
      this.#checkOpen("send a request");
      headers = new StompHeaders(options.headers);
      for (const name of ["reply-to", "correlation-id"]) {
        if (headers.has(name)) {
          throw new TypeError(
            `Cannot send a request: the ${name} header is the request's own (use send() to set it yourself)`,
          );
        }
      }
      replies = this.#replyRoute();
    } catch (error) {
      op.fail(error, true);
      return op.promise;
    }
    const lengthless = this.#lengthless(destination, body, options);
    if (lengthless instanceof TypeError) {
      op.fail(lengthless, true);
      return op.promise;
    }
    const id = this.#requestPrefix + ++this.#requestCount;
    headers.set("reply-to", replies.replyTo);
    headers.set("correlation-id", id);
    const request: PendingRequest = { op, epoch: undefined };
    this.#requests.set(id, request);
    // The SEND goes (or is taken out) with the request.
    const stop = new AbortController();
    op.cancel = () => {
      this.#requests.delete(id);
      stop.abort(new StompConnectionError(`The ${what} ended`));
    };
    const sent = this.#issue<void>(`SEND ${what}`, {
      signal: stop.signal,
    }, () => {
      this.#checkOpen("send a request");
      const text = typeof body === "string" ? body : undefined;
      return {
        out: this.#session.send(
          destination,
          text === undefined ? body : undefined,
          sendOptions({ ...options, headers }),
        ),
        value: undefined,
        text,
        lengthless,
        whenWritten: true,
        written: (epoch) => {
          request.epoch = epoch;
          op.phase = "reply";
        },
      };
    });
    sent.catch((error) => {
      this.#requests.delete(id);
      op.fail(error, false);
    });
    return op.promise;
  }

  /**
   * Answers a message that came with a `reply-to` header (such as one sent
   * by {@linkcode StompClient.request}): sends `body` to that destination,
   * with the message's `correlation-id`. Rejects with a `TypeError` for a
   * message without `reply-to`.
   *
   * @example Answering requests
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * await using server = await StompClient.connectUrl(broker.url);
   * await using client = await StompClient.connectUrl(broker.url);
   * const requests = await server.subscribe("/queue/echo", { receipt: true });
   * const pending = client.request("/queue/echo", "ping");
   * for await (const request of requests) {
   *   await server.reply(request, request.text.replace("i", "o"));
   *   break;
   * }
   * assertEquals((await pending).text, "pong");
   * ```
   *
   * @param message The message to answer.
   * @param body The reply's body.
   * @param options Receipt, content type, extra headers, timeout, signal.
   * @returns What {@linkcode StompClient.send} returns for the reply.
   */
  reply(
    message: StompMessage,
    body?: StompBody,
    options: ReplyOptions = {},
  ): Promise<void> {
    const replyTo = message?.headers?.get("reply-to");
    if (replyTo === undefined) {
      return this.#refuse(
        new TypeError(
          `Cannot reply: the message has no reply-to header (message-id ${
            JSON.stringify(message?.messageId ?? "")
          })`,
        ),
      );
    }
    const correlation = message.headers.get("correlation-id");
    if (correlation === undefined) return this.send(replyTo, body, options);
    const headers = new StompHeaders(options.headers);
    headers.set("correlation-id", correlation);
    return this.send(replyTo, body, { ...options, headers });
  }

  /**
   * Begins a transaction. It lives on the connection it began on: if that
   * connection is lost, the broker aborts it and its operations reject.
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
   * @param options Receipt, extra headers, timeout, signal.
   * @returns The transaction, once BEGIN is accepted (or confirmed).
   */
  begin(options: BeginOptions = {}): Promise<StompTransaction> {
    return this.#issue<StompTransaction>("BEGIN", options, (_, confirmed) => {
      this.#checkOpen("begin a transaction");
      const out = this.#session.begin({
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        ...(confirmed ? { receipt: true } : {}),
      });
      const epoch = this.#epoch;
      const value = new Transaction(out.transaction, epoch, this.#internals);
      return { out, value, epoch };
    });
  }

  /**
   * Disconnects gracefully: everything issued before is written, then
   * DISCONNECT, and the promise resolves on its RECEIPT (so the server has
   * processed everything before). A server that closes the connection
   * instead of answering (RabbitMQ's Web-STOMP does) counts as done.
   * Operations issued afterwards reject; subscriptions end. While
   * reconnecting, it waits for the new connection to write what waited.
   * Rejects with a `StompTimeoutError` if it took longer than the timeout
   * (the connection is closed anyway), or with the error that ended the
   * client first. Calling it again, or on a closed client, does nothing.
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
   * @param options Timeout, signal and extra headers.
   * @returns A promise that resolves once the connection is closed.
   */
  disconnect(options: DisconnectOptions = {}): Promise<void> {
    switch (this.#state) {
      case "closed":
        return this.#settledClose();
      case "disconnecting":
        return this.#disconnecting!;
      case "connecting":
        this.#finish(undefined);
        return this.#settledClose();
      default: {
        const disconnecting = this.#disconnect(options);
        disconnecting.catch(noop);
        this.#disconnecting = disconnecting;
        return disconnecting;
      }
    }
  }

  /**
   * Closes the connection at once, without DISCONNECT. What was issued and
   * not yet written is dropped; operations still waiting reject with a
   * {@linkcode StompConnectionError}; subscriptions end.
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

  // --- connections: open, keep, replace -------------------------------------

  /**
   * Opens connections for as long as the client lives: the first (settling
   * `first`), then, with `reconnect`, a new one after each loss.
   */
  async #run(signal: AbortSignal | undefined, first: Deferred<void>) {
    const policy = this.#policy;
    let up = false;
    while (!this.#isClosed()) {
      let connection: Connection;
      try {
        connection = await this.#attempt(up ? undefined : signal);
      } catch (thrown) {
        const error = asError(thrown);
        if (this.#isClosed()) {
          if (!up) first.reject(error);
          return;
        }
        const cause = error.cause;
        if (cause instanceof Error && ARGUMENT_ERRORS.has(cause)) {
          // Never retried: connect() rejects with the argument's own error.
          if (up) this.#finish(error);
          else first.reject(cause);
          return;
        }
        const retry = policy !== undefined &&
          (up || (policy.retryFirstConnect && !signal?.aborted));
        if (!retry) {
          if (up) this.#finish(error);
          else first.reject(error);
          return;
        }
        this.#failedAttempt(policy, error);
        if (!await this.#backOff(policy, error, up, signal)) {
          if (!up) first.reject(this.#closeError ?? error);
          return;
        }
        continue;
      }
      if (up) this.#stats.reconnects++;
      up = true;
      this.#wasUp = true;
      this.#ready = true;
      policy?.connected(this.#timers.now());
      if (this.#state !== "disconnecting") this.#setState("connected");
      first.resolve();
      connection.drain(this.#outbox);
      await connection.ended.promise;
      if (this.#isClosed() || this.#goodbye?.done) return;
      const error = connection.error!;
      if (policy === undefined) {
        this.#finish(error);
        return;
      }
      policy.lost(this.#timers.now());
      if (this.#state !== "disconnecting") {
        this.#setState("reconnecting", error);
      }
      if (!await this.#backOff(policy, error, true, undefined)) return;
    }
  }

  /**
   * Waits before the next attempt; false once the client gave up or closed.
   * `up`: a connection was made before (else `connect()` is still waiting,
   * and gets the error itself; `signal` is its).
   */
  async #backOff(
    policy: ReconnectPolicy,
    last: Error,
    up: boolean,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const delay = policy.next();
    if (delay === undefined) {
      this.#finish(
        new StompConnectionError(
          `Cannot ${
            up ? "reconnect" : "connect"
          }: gave up after ${policy.retries} retries`,
          { cause: last },
        ),
        up,
      );
      return false;
    }
    await this.#sleep(delay, up ? undefined : signal);
    if (!up && signal?.aborted) {
      this.#finish(
        new StompConnectionError("Connection attempt aborted", {
          cause: signal.reason,
        }),
        false,
      );
    }
    return this.#state !== "closed";
  }

  #failedAttempt(policy: ReconnectPolicy, error: Error): void {
    if (policy.onFailedAttempt === undefined) return;
    try {
      policy.onFailedAttempt(error, policy.attempts);
    } catch (thrown) {
      report(thrown);
    }
  }

  /**
   * One attempt: `beforeConnect`, a new transport, CONNECT / CONNECTED, the
   * subscriptions restored, all within the connect timeout and until the
   * signal aborts.
   */
  #attempt(signal: AbortSignal | undefined): Promise<Connection> {
    const number = ++this.#attempts;
    const brokers = this.#brokers;
    let broker = brokers?.[(number - 1) % brokers.length];
    let settings: ConnectSettings = {};
    const open = async (stop: AbortSignal) => {
      let url = broker?.url;
      if (this.#settings.beforeConnect !== undefined) {
        try {
          settings = await this.#settings.beforeConnect({
            number,
            reconnecting: this.#wasUp,
            url,
            signal: stop,
          }) ?? {};
        } catch (cause) {
          throw new StompConnectionError(
            `Cannot connect: beforeConnect failed: ${
              redactUrl(describe(cause))
            }`,
            { cause },
          );
        }
        if (settings.url !== undefined) {
          try {
            broker = brokers === undefined
              ? parseAnyUrl(settings.url)
              : parseBrokerUrl(settings.url);
          } catch (cause) {
            throw new StompConnectionError(
              `Cannot connect: beforeConnect returned a bad url: ${
                describe(cause)
              }`,
              { cause },
            );
          }
          url = broker.url;
        }
      }
      this.#url = url;
      const source = this.#source;
      return typeof source === "function"
        ? await source({ number, reconnecting: this.#wasUp, url, signal: stop })
        : source;
    };
    return openConnection(open, {
      epoch: this.#epoch,
      stats: this.#stats,
      trace: this.#settings.trace,
      redact: this.#settings.redact,
      limits: this.#settings.limits,
      bodyChunks: this.#settings.bodyChunks,
      timers: this.#timers,
      grace: this.#settings.grace,
      timeout: this.#settings.connectTimeout,
      signal,
      start: (connection) => {
        if (this.#isClosed()) {
          throw new StompConnectionError(
            "Cannot connect: the client was closed",
          );
        }
        if (this.#session.state !== "idle") this.#session.reset();
        this.#connection = connection;
        return this.#session.connectFrame({
          login: settings.login ??
            (this.#settings.credentials.login ? undefined : broker?.login),
          passcode: settings.passcode ??
            (this.#settings.credentials.passcode
              ? undefined
              : broker?.passcode),
          host: settings.host,
          headers: settings.headers,
        });
      },
      restore: (connection) => this.#restore(connection),
    }, this.#handlers);
  }

  /**
   * Re-subscribes, under their ids, the subscriptions whose SUBSCRIBE went
   * out on an earlier connection (those still queued go out in their turn).
   */
  async #restore(connection: Connection): Promise<void> {
    // A reply subscription made for another kind of broker is not restored.
    const replies = this.#replies;
    if (replies?.mode === "subscription" && !this.#routeFits(replies)) {
      this.#dropReplies();
    }
    const restored = this.#session.resubscribe({
      only: (s) => this.#subscriptions.get(s.id)?.wireEpoch !== undefined,
      receipt: true,
    });
    for (const out of restored) {
      const subscription = this.#subscriptions.get(
        out.frame.headers.get("id")!,
      )!;
      subscription.wireEpoch = connection.epoch;
      this.#receipts.add(out.receipt!, {
        confirm: () => {
          subscription.confirming?.resolve(subscription);
          subscription.confirming = undefined;
        },
        fail: noop,
        subscription: subscription.id,
        epoch: connection.epoch,
      });
      await connection.writeFrame(out.frame);
    }
  }

  #onFrame(connection: Connection, frame: StompFrame): void {
    if (connection.dead || connection !== this.#connection) return;
    const event = this.#session.receive(frame);
    switch (event.type) {
      case "connected":
        this.#serverName = frame.headers.get("server");
        connection.established(event.version, event.heartBeat);
        return;
      case "message": {
        const subscription = event.subscription === undefined
          ? undefined
          : this.#subscriptions.get(event.subscription.id);
        const replies = this.#replies;
        if (
          replies !== undefined &&
          (subscription === undefined
            ? replies.mode === "temp-queue" &&
              frame.headers.get("subscription") === replies.id
            : subscription === replies.subscription)
        ) {
          this.#takeReply(frame, replies.subscription, connection);
        } else if (subscription === undefined) this.#unhandled(frame);
        else {
          this.#stats.messages++;
          subscription.deliver(
            new Message(frame, subscription, connection.epoch, this.#internals),
          );
        }
        return;
      }
      case "receipt":
        this.#receipts.take(event.receiptId)?.confirm();
        if (event.disconnected) this.#goodbye?.resolve();
        return;
      case "error": {
        const error = event.error;
        // RabbitMQ names no receipt when it refuses a destination; the
        // oldest unconfirmed SUBSCRIBE is then the likeliest cause.
        const id = frame.headers.get("receipt-id") ??
          this.#receipts.oldestSubscribe(connection.epoch);
        const pending = id === undefined ? undefined : this.#receipts.take(id);
        if (pending?.subscription !== undefined) {
          this.#dropRefused(pending.subscription, error);
        }
        pending?.fail(error, false);
        this.#report(error);
        connection.lose(
          this.#ready
            ? new StompConnectionError(
              `Connection ended by an ERROR from the server: ${error.message}`,
              { cause: error },
            )
            : error,
        );
        return;
      }
    }
  }

  /** Where replies go, set up by the first request. */
  #replyRoute(): ReplyRoute {
    const current = this.#replies;
    if (current !== undefined) {
      if (current.subscription.active && this.#routeFits(current)) {
        return current;
      }
      // The client failed over to another kind of broker.
      this.#dropReplies();
    }
    const mode = this.#replyKind();
    let replies: ReplyRoute;
    if (mode === "temp-queue") {
      // RabbitMQ makes one exclusive queue per connection for this name, and
      // delivers its messages under a subscription named after it.
      const name = "/temp-queue/stomper-replies";
      replies = {
        mode,
        replyTo: name,
        id: name,
        subscription: new Subscription(
          { id: name, destination: name, ack: "auto", headers: undefined },
          1,
          this.#internals,
        ),
      };
    } else {
      const destination = this.#replyTarget();
      let made: Subscription | undefined;
      this.#subscribe(destination, {}, (subscription) => made = subscription)
        .catch(noop);
      if (made === undefined) {
        throw new StompConnectionError(
          `Cannot send a request: cannot subscribe to its reply destination ${
            JSON.stringify(destination)
          }`,
        );
      }
      replies = { mode, replyTo: destination, id: made.id, subscription: made };
    }
    this.#replies = replies;
    return replies;
  }

  /** Whether the server the client is on is a RabbitMQ. */
  get #onRabbitMq(): boolean {
    return /^rabbitmq\b/i.test(this.#serverName ?? "");
  }

  /** How replies come on the server the client is on. */
  #replyKind(): "temp-queue" | "subscription" {
    if (this.#settings.replyMode !== "auto") return this.#settings.replyMode;
    return this.#onRabbitMq ? "temp-queue" : "subscription";
  }

  /**
   * Where a reply subscription subscribes on this server: the option, or by
   * default a temporary queue (ActiveMQ, Artemis), or on RabbitMQ (which
   * takes `/temp-queue/` in `reply-to` only) a queue of its own bound to
   * `amq.direct`, deleted with the connection.
   */
  #replyTarget(): string {
    return this.#settings.replyDestination ??
      (this.#onRabbitMq
        ? `/exchange/amq.direct/stomper-replies-${this.#replyId}`
        : `/temp-queue/stomper-${this.#replyId}`);
  }

  /** Whether a reply route still suits the server the client is on. */
  #routeFits(route: ReplyRoute): boolean {
    return route.mode === this.#replyKind() &&
      (route.mode === "temp-queue" || route.replyTo === this.#replyTarget());
  }

  /** Forgets the reply route; a reply subscription ends, not restored. */
  #dropReplies(): void {
    const route = this.#replies;
    this.#replies = undefined;
    if (route?.mode !== "subscription") return;
    const subscription = route.subscription;
    if (this.#subscriptions.get(subscription.id) !== subscription) return;
    if (subscription.wireEpoch !== undefined && this.#ready) {
      this.#unsubscribe(subscription, {}).catch(noop);
    } else {
      this.#subscriptions.delete(subscription.id);
      this.#session.forget(subscription.id);
      subscription.end();
    }
  }

  /** A reply: to its request, or, if none waits for it, unhandled. */
  #takeReply(
    frame: StompFrame,
    subscription: Subscription,
    connection: Connection,
  ): void {
    const id = frame.headers.get("correlation-id");
    const request = id === undefined ? undefined : this.#requests.get(id);
    if (request === undefined) {
      this.#unhandled(frame);
      return;
    }
    this.#requests.delete(id!);
    this.#stats.messages++;
    request.op.resolve(
      new Message(frame, subscription, connection.epoch, this.#internals),
    );
  }

  /** A MESSAGE nobody subscribed for: to onUnhandledMessage, or reported. */
  #unhandled(frame: StompFrame): void {
    this.#stats.unhandled++;
    const handler = this.#settings.onUnhandledMessage;
    if (handler === undefined) {
      this.#report(new StompUnhandledMessageError(frame));
      return;
    }
    try {
      handler(frame);
    } catch (thrown) {
      report(thrown);
    }
  }

  /** A subscription the server refused: ended with the error, not restored. */
  #dropRefused(id: string, error: StompServerError): void {
    const subscription = this.#subscriptions.get(id);
    this.#subscriptions.delete(id);
    this.#session.forget(id);
    subscription?.end(error);
  }

  /** A connection ended: what belonged to it fails, the rest waits. */
  #onLost(connection: Connection, error: Error): void {
    if (connection !== this.#connection || this.#state === "closed") return;
    const wasUp = this.#ready;
    this.#ready = false;
    this.#session.reset();
    if (this.#goodbyeEpoch === connection.epoch) {
      // DISCONNECT went out: a server closing instead of answering is done.
      this.#goodbye?.resolve();
      return;
    }
    if (!wasUp) return;
    // From here on, operations go out on the next connection.
    this.#epoch = connection.epoch + 1;
    const lost = error instanceof StompConnectionError
      ? error
      : new StompConnectionError(`Connection lost: ${describe(error)}`, {
        cause: error,
      });
    this.#receipts.failEpoch(connection.epoch, lost);
    this.#outbox.dropEpoch(connection.epoch, lost);
    for (const [id, request] of this.#requests) {
      if (request.epoch !== connection.epoch) continue;
      this.#requests.delete(id);
      request.op.fail(
        new StompConnectionError(
          `No reply to ${request.op.what}: the connection it was sent on was lost (the request may have been processed)`,
          { cause: lost },
        ),
        false,
      );
    }
    // Messages buffered from the lost connection cannot be acknowledged any
    // more; the broker redelivers them.
    for (const subscription of this.#subscriptions.values()) {
      subscription.purge(this.#epoch);
    }
    // An ERROR that ended it was reported as itself.
    if (!(lost.cause instanceof StompServerError)) this.#report(lost);
    // The state changes now, not a turn later: code resuming from an
    // operation this loss failed sees the client as it is.
    if (this.#policy === undefined) this.#finish(lost);
    else if (this.#state !== "disconnecting") {
      this.#setState("reconnecting", lost);
    }
  }

  /** Closes the client for good; `error` undefined means a clean close. */
  #finish(error: Error | undefined, reportIt = true): void {
    if (this.#state === "closed") return;
    const failure = error === undefined || error instanceof StompConnectionError
      ? error
      : new StompConnectionError(describe(error), { cause: error });
    this.#closeError = failure;
    this.#ready = false;
    this.#setState("closed", failure);
    if (failure !== undefined && reportIt) this.#report(failure);
    const closing = failure ??
      new StompConnectionError("The client was closed");
    this.#cancelSleep?.();
    const connection = this.#connection;
    connection?.lose(closing);
    this.#receipts.failAll(closing);
    this.#outbox.clear(closing);
    this.#goodbye?.fail(closing, false);
    for (const request of this.#requests.values()) {
      request.op.fail(closing, false);
    }
    this.#requests.clear();
    for (const subscription of this.#subscriptions.values()) {
      subscription.end(failure);
    }
    this.#subscriptions.clear();
    this.#context.deadlines.close();
    const reading = connection?.reading ?? Promise.resolve();
    reading.then(() => {
      if (failure === undefined) this.#closed.resolve();
      else this.#closed.reject(failure);
    });
  }

  #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#timers.clearTimeout(timer);
        this.#cancelSleep = undefined;
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = this.#timers.setTimeout(done, ms);
      this.#cancelSleep = done;
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  async #disconnect(options: DisconnectOptions): Promise<void> {
    this.#setState("disconnecting");
    // A reader paused for a full buffer must go on: the RECEIPT is behind.
    this.#connection?.resume();
    const goodbye = this.#operation<void>("DISCONNECT", {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      timeout: options.timeout ?? this.#settings.disconnectTimeout,
    }, true);
    this.#goodbye = goodbye;
    if (!goodbye.done) {
      const headers = options.headers;
      const entry: Outgoing = {
        // Built at its turn: the session goes "disconnecting" only then.
        frame: () =>
          this.#session.disconnect(
            headers === undefined ? {} : { headers },
          ).frame,
        size: 64,
        epoch: undefined,
        accept: undefined,
        fail: (error) => goodbye.fail(error, false),
        written: (epoch) => {
          this.#goodbyeEpoch = epoch;
          goodbye.phase = "receipt";
        },
        start: 0,
        state: "queued",
      };
      this.#outbox.push(entry);
      if (this.#ready) this.#connection?.kick();
    }
    try {
      await goodbye.promise;
    } finally {
      this.#finish(undefined);
      await this.#connection?.reading;
    }
  }

  async #settledClose(): Promise<void> {
    await this.#connection?.reading;
  }

  /** A method, so that the compiler does not narrow it across awaits. */
  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #setState(state: StompClientState, error?: Error): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    if (this.#settings.onStateChange === undefined) return;
    try {
      this.#settings.onStateChange({ state, previous, error, url: this.#url });
    } catch (thrown) {
      report(thrown);
    }
  }

  #report(error: Error): void {
    // One failure, once: a lost connection or a closed client caused by the
    // error just reported is not reported again.
    const last = this.#lastReported;
    if (
      last !== undefined && (error === last || error.cause === last ||
        (error.cause instanceof Error && error.cause.cause === last))
    ) return;
    this.#lastReported = error;
    if (this.#settings.onError === undefined) return;
    try {
      this.#settings.onError(error);
    } catch (thrown) {
      report(thrown);
    }
  }

  #refuse(error: Error): Promise<never> {
    this.#report(error);
    const refused = Promise.reject(error);
    refused.catch(noop);
    return refused;
  }

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

  // --- the outgoing order ------------------------------------------------------

  #operation<T>(
    what: string,
    options: OperationOptions,
    confirmed: boolean,
  ): Operation<T> {
    const timeout = operationTimeout(
      what,
      options,
      confirmed ? this.#settings.receiptTimeout : 0,
    );
    const invalid = timeout instanceof RangeError;
    const op = new Operation<T>(
      what,
      this.#context,
      invalid ? 0 : timeout,
      options.signal,
    );
    if (invalid) op.fail(timeout, true);
    return op;
  }

  #checkOpen(verb: string): void {
    const state = this.#state;
    if (state !== "closed" && state !== "disconnecting") return;
    throw new StompConnectionError(
      `Cannot ${verb}: the client is ${state}`,
      this.#closeError === undefined ? undefined : { cause: this.#closeError },
    );
  }

  /**
   * Issues one operation: `prepare` builds its frame (throwing for a bad
   * argument or a closed client), and the frame takes its place in the
   * order. Whatever fails rejects the returned promise, which is never left
   * to reject unobserved.
   */
  #issue<T>(
    what: string,
    options: OperationOptions & { receipt?: boolean },
    prepare: (op: Operation<T>, confirmed: boolean) => Prepared<T>,
  ): Promise<T> {
    const confirmed = options.receipt === true;
    const op = this.#operation<T>(what, options, confirmed);
    if (op.done) return op.promise;
    let prepared: Prepared<T>;
    try {
      prepared = prepare(op, confirmed);
    } catch (error) {
      op.fail(error, true);
      return op.promise;
    }
    if (prepared.out === undefined) {
      op.resolve(prepared.value);
    } else if (!this.#enqueue(op, prepared.out, { ...prepared, confirmed })) {
      prepared.unqueued?.();
    }
    return op.promise;
  }

  /**
   * The common SEND, connected, within the send buffer, without a receipt:
   * accepted at once, so it needs no operation, and its frame is encoded
   * straight into the outgoing batch. Returns false, having queued nothing,
   * for anything else (an invalid argument, headers that need escaping, a
   * closing client), which the general path then handles or refuses.
   */
  #sendNow(
    destination: string,
    body: StompBody | undefined,
    options: ClientSendOptions,
    lengthless: boolean,
  ): boolean {
    const list = this.#sendHeaders(destination, body, options);
    if (list === undefined) return false;
    const text = body ?? "";
    const batch = this.#outbox.batch(plainFrameBound("SEND", list, text));
    const end = encodePlainInto(
      batch.buffer,
      batch.used,
      "SEND",
      list,
      text,
      undefined,
      !lengthless,
    );
    if (end === -1) return false;
    this.#outbox.grow(batch, end);
    this.#connection?.kick();
    return true;
  }

  /**
   * The common SEND that has to wait (no connection yet, or past
   * sendBufferSize), without a receipt, timeout or signal: queued as its
   * header list and body, with no frame, session output or operation, so
   * that a long burst holds little for the garbage collector to walk; it is
   * encoded at its turn. `undefined`, having queued nothing, for anything
   * else.
   */
  #sendLater(
    destination: string,
    body: StompBody | undefined,
    options: ClientSendOptions,
    lengthless: boolean,
  ): Promise<void> | undefined {
    if (options.timeout !== undefined || options.signal !== undefined) {
      return undefined;
    }
    const list = this.#sendHeaders(destination, body, options);
    if (list === undefined) return undefined;
    const entry = new PendingSend(list, body ?? "", this.#context, lengthless);
    this.#outbox.push(entry);
    if (this.#ready) this.#connection?.kick();
    return entry.promise;
  }

  /**
   * The header list of a SEND without a receipt, validated as the builder
   * would; `undefined` when the general path must see it (to refuse it, or
   * because the client is closing).
   */
  #sendHeaders(
    destination: string,
    body: StompBody | undefined,
    options: ClientSendOptions,
  ): string[] | undefined {
    const state = this.#state;
    if (state === "closed" || state === "disconnecting") return undefined;
    if (!validTimeout(options.timeout)) return undefined;
    if (
      body !== undefined && typeof body !== "string" &&
      !(body instanceof Uint8Array)
    ) return undefined;
    if (typeof destination !== "string" || destination === "") {
      return undefined;
    }
    const contentType = options.contentType;
    const list = ["destination", destination];
    if (contentType !== undefined) {
      if (typeof contentType !== "string" || contentType === "") {
        return undefined;
      }
      list.push("content-type", contentType);
    }
    if (options.headers !== undefined) {
      let extra: readonly string[];
      try {
        extra = StompHeaders.flat(new StompHeaders(options.headers));
      } catch {
        return undefined;
      }
      for (let i = 0; i < extra.length; i++) list.push(extra[i]!);
    }
    return list;
  }

  /**
   * Encodes a frame at the call: a plain one into the outbox's arena (no
   * buffer of its own; the writer joins it to its neighbours), any other
   * for the connection's version (a `TypeError` if it cannot carry it).
   */
  #encodeNow(
    frame: StompFrame,
    text: string | undefined,
    version: StompVersion,
    lengthless: boolean,
  ): Uint8Array {
    const body = text ?? frame.body;
    const list = StompHeaders.flat(frame.headers);
    const room = this.#outbox.carve(
      plainFrameBound(frame.command, list, body),
    );
    const end = encodePlainInto(
      room,
      0,
      frame.command,
      list,
      body,
      undefined,
      !lengthless,
    );
    if (end !== -1) {
      this.#outbox.carved(end);
      return room.subarray(0, end);
    }
    return encodeFrame(
      text === undefined
        ? frame
        : new StompFrame(frame.command, frame.headers, text),
      { version, contentLength: !lengthless },
    );
  }

  /** Whether an operation issued now is encoded now (see #enqueue). */
  get #encodesNow(): boolean {
    return this.#ready && this.#connection !== undefined &&
      this.#outbox.hasRoom;
  }

  /**
   * Puts an operation's frame in the outgoing order. On a connection whose
   * version is known, and within the send buffer's limit, the frame is
   * encoded now, so that one it cannot carry fails at the call (a
   * `TypeError`) and memory stays within the limit; past the limit only the
   * frame is kept, to be encoded at its turn.
   */
  #enqueue<T>(
    op: Operation<T>,
    out: SessionOutput,
    how: Enqueue<T>,
  ): boolean {
    const receipt = out.receipt;
    const subscription = how.subscription;
    const connection = this.#connection;
    let bytes: Uint8Array | undefined;
    if (this.#encodesNow) {
      // Accepted at once and nothing to call back: a plain frame joins the
      // outgoing batch, like a plain SEND (#sendNow).
      if (
        receipt === undefined && !how.confirmed && how.written === undefined &&
        how.skip === undefined && subscription === undefined
      ) {
        const frame = out.frame;
        const body = how.text ?? frame.body;
        const list = StompHeaders.flat(frame.headers);
        // A frame bound to this connection is escaped for its version.
        const version = how.epoch === undefined
          ? undefined
          : connection!.version;
        const batch = this.#outbox.batch(
          plainFrameBound(frame.command, list, body, version),
          how.epoch,
        );
        const end = encodePlainInto(
          batch.buffer,
          batch.used,
          frame.command,
          list,
          body,
          version,
          how.lengthless !== true,
        );
        if (end !== -1) {
          this.#outbox.grow(batch, end, how.epoch);
          op.resolve(how.value);
          // Acknowledgements (bound to the connection) wait for the end of
          // the task, to share a write with the others of the loop.
          connection!.kick(how.epoch !== undefined);
          return true;
        }
      }
      try {
        bytes = this.#encodeNow(
          out.frame,
          how.text,
          connection!.version,
          how.lengthless === true,
        );
      } catch (error) {
        if (receipt !== undefined) this.#session.forgetReceipt(receipt);
        op.fail(error, true);
        return false;
      }
    }
    const text = how.text;
    const entry: Outgoing = {
      frame: out.frame,
      bytes,
      text,
      ...(how.lengthless === true ? { lengthless: true } : {}),
      version: bytes === undefined ? undefined : connection!.version,
      size: bytes !== undefined
        ? bytes.length
        : frameSize(out.frame) + (text?.length ?? 0),
      epoch: how.epoch,
      accept: how.confirmed || how.whenWritten === true
        ? undefined
        : () => op.resolve(how.value),
      // A frame left behind by a lost or closed connection fails with it
      // (reported once, as the connection); any other reason is its own,
      // reported even if the operation was accepted already.
      fail: (error) => {
        const own = !(error instanceof StompConnectionError);
        if (op.done) {
          if (own) this.#report(error);
        } else op.fail(error, own);
      },
      ...(how.skip === undefined ? {} : { skip: how.skip }),
      written: (epoch) => {
        if (receipt !== undefined) this.#receipts.written(receipt, epoch);
        if (how.confirmed) op.phase = "receipt";
        how.written?.(epoch);
        if (how.whenWritten === true) op.resolve(how.value);
      },
      start: 0,
      state: "queued",
    };
    if (receipt !== undefined) {
      this.#receipts.add(receipt, {
        confirm: how.confirmed
          ? () => {
            if (subscription !== undefined) subscription.confirming = undefined;
            op.resolve(how.value);
          }
          : noop,
        fail: (error, reportIt) => {
          // A restored subscription confirms on the new connection.
          if (
            subscription !== undefined &&
            !(error instanceof StompServerError) &&
            this.#policy !== undefined && subscription.active &&
            this.#state !== "closed"
          ) return;
          if (how.confirmed) op.fail(error, reportIt);
        },
        subscription: subscription?.id,
        epoch: undefined,
      });
    }
    op.cancel = () => {
      this.#outbox.cancel(entry);
      if (receipt !== undefined) {
        this.#receipts.take(receipt);
        this.#session.forgetReceipt(receipt);
      }
      how.cancelled?.();
    };
    this.#outbox.push(entry);
    if (this.#ready) this.#connection?.kick();
    return true;
  }

  // --- what messages, subscriptions and transactions call --------------------

  #settle(
    message: Message,
    command: "ACK" | "NACK",
    options: MessageAckOptions,
    transaction: Transaction | undefined,
  ): Promise<void> {
    if (
      transaction === undefined && options.receipt !== true &&
      options.headers === undefined && options.signal?.aborted !== true &&
      this.#ready && this.#outbox.hasRoom && message.epoch === this.#epoch &&
      this.#settleNow(message, command, options)
    ) return Promise.resolve();
    const id = JSON.stringify(message.messageId);
    return this.#issue(
      `${command} of message ${id}`,
      options,
      (_, confirmed) => {
        const verb = command === "ACK" ? "acknowledge" : "reject";
        if (message.epoch !== this.#epoch || !this.#ready) {
          throw new StompConnectionError(
            `Cannot ${verb} message ${id}: it arrived on a connection that was lost, and the broker will deliver it again`,
          );
        }
        if (transaction !== undefined) {
          this.#checkTransaction(
            transaction,
            verb,
          );
        }
        this.#checkOpen(`${verb} message ${id}`);
        const ackOptions = {
          ...(confirmed ? { receipt: true } : {}),
          ...(options.headers === undefined
            ? {}
            : { headers: options.headers }),
          ...(transaction === undefined ? {} : { transaction: transaction.id }),
        };
        const out = command === "ACK"
          ? this.#session.ack(message.frame, ackOptions)
          : this.#session.nack(message.frame, ackOptions);
        if (command === "ACK") this.#stats.acks++;
        else this.#stats.nacks++;
        return { out, value: undefined, epoch: message.epoch };
      },
    );
  }

  /**
   * The common acknowledgement, like #sendNow: on its connection, within the
   * send buffer, without a receipt, transaction or extra headers. Returns
   * false, having queued nothing, for anything the general path must see.
   */
  #settleNow(
    message: Message,
    command: "ACK" | "NACK",
    options: MessageAckOptions,
  ): boolean {
    const state = this.#state;
    const connection = this.#connection;
    if (
      state === "closed" || state === "disconnecting" ||
      connection === undefined
    ) return false;
    if (!validTimeout(options.timeout)) return false;
    const version = connection.version;
    const headers = message.frame.headers;
    let list: string[];
    if (version === "1.2") {
      const id = headers.get("ack");
      if (id === undefined || id === "") return false;
      list = ["id", id];
    } else {
      if (command === "NACK" && version === "1.0") return false;
      const messageId = headers.get("message-id");
      if (messageId === undefined || messageId === "") return false;
      const subscription = headers.get("subscription");
      list = version === "1.1" && subscription !== undefined
        ? ["message-id", messageId, "subscription", subscription]
        : ["message-id", messageId];
      if (list[3] === "") return false;
    }
    const batch = this.#outbox.batch(
      plainFrameBound(command, list, "", version),
      message.epoch,
    );
    const end = encodePlainInto(
      batch.buffer,
      batch.used,
      command,
      list,
      "",
      version,
    );
    if (end === -1) return false;
    this.#outbox.grow(batch, end, message.epoch);
    connection.kick(true);
    if (command === "ACK") this.#stats.acks++;
    else this.#stats.nacks++;
    return true;
  }

  #unsubscribe(
    subscription: Subscription,
    options: UnsubscribeOptions,
  ): Promise<void> {
    const what = `UNSUBSCRIBE from ${JSON.stringify(subscription.destination)}`;
    return this.#issue(what, options, (_, confirmed) => {
      if (!subscription.active) return { out: undefined, value: undefined };
      this.#subscriptions.delete(subscription.id);
      subscription.end();
      // Closed or disconnecting (the subscription ends with the session), or
      // refused: nothing to tell the server.
      if (
        this.#state === "closed" || this.#state === "disconnecting" ||
        !this.#session.subscriptions.has(subscription.id)
      ) {
        this.#session.forget(subscription.id);
        return { out: undefined, value: undefined };
      }
      const out = this.#session.unsubscribe(subscription.id, {
        ...(confirmed ? { receipt: true } : {}),
        ...(options.headers === undefined ? {} : { headers: options.headers }),
      });
      return {
        out,
        value: undefined,
        // Only a connection that saw the SUBSCRIBE needs the UNSUBSCRIBE.
        skip: (epoch) => {
          if (subscription.wireEpoch === epoch) return false;
          if (out.receipt !== undefined) {
            this.#receipts.take(out.receipt)?.confirm();
          }
          return true;
        },
      };
    });
  }

  /** The error for a body over maxSendBodyBytes, if it is. */
  #tooLarge(
    destination: string,
    body: StompBody | undefined,
  ): RangeError | undefined {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only text that might be
    // over the limit is measured.
    if (
      body === undefined || body.length * 3 <= this.#settings.maxSendBody ||
      !(typeof body === "string" || body instanceof Uint8Array)
    ) return undefined;
    const bytes = typeof body === "string" ? utf8Length(body) : body.length;
    if (bytes <= this.#settings.maxSendBody) return undefined;
    return new RangeError(
      `Cannot send to ${
        JSON.stringify(destination)
      }: the body is ${bytes} bytes, over maxSendBodyBytes (${this.#settings.maxSendBody}), which matches what consumers decode by default (decodeLimits.maxBodyBytes); raise both to send it`,
    );
  }

  #transactionSend(
    transaction: Transaction,
    destination: string,
    body: StompBody | undefined,
    options: TransactionSendOptions,
  ): Promise<void> {
    const tooLarge = this.#tooLarge(destination, body);
    if (tooLarge !== undefined) return this.#refuse(tooLarge);
    const lengthless = this.#lengthless(destination, body, options);
    if (lengthless instanceof TypeError) return this.#refuse(lengthless);
    const what = `SEND to ${JSON.stringify(destination)} in transaction ${
      JSON.stringify(transaction.id)
    }`;
    return this.#issue(what, options, () => {
      this.#checkTransaction(transaction, "send in");
      const out = this.#session.send(destination, body, {
        ...sendOptions(options),
        transaction: transaction.id,
      });
      return { out, value: undefined, epoch: transaction.epoch, lengthless };
    });
  }

  #transactionEnd(
    transaction: Transaction,
    command: "COMMIT" | "ABORT",
    options: TransactionEndOptions,
  ): Promise<void> {
    const what = `${command} of transaction ${JSON.stringify(transaction.id)}`;
    return this.#issue(what, options, (_, confirmed) => {
      this.#checkTransaction(
        transaction,
        command === "COMMIT" ? "commit" : "abort",
      );
      const endOptions = {
        ...(confirmed ? { receipt: true } : {}),
        ...(options.headers === undefined ? {} : { headers: options.headers }),
      };
      const out = command === "COMMIT"
        ? this.#session.commit(transaction.id, endOptions)
        : this.#session.abort(transaction.id, endOptions);
      return { out, value: undefined, epoch: transaction.epoch };
    });
  }

  #checkTransaction(transaction: Transaction, verb: string): void {
    if (transaction.epoch !== this.#epoch) {
      throw new StompConnectionError(
        `Cannot ${verb} transaction ${
          JSON.stringify(transaction.id)
        }: it was lost with its connection (the broker aborted it)`,
      );
    }
    this.#checkOpen(`${verb} transaction ${JSON.stringify(transaction.id)}`);
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

/**
 * A SEND queued by #sendLater: its header list and body, and the promise its
 * caller holds, settled by the outbox (accepted once there is room or once
 * written; failed if it cannot be written).
 */
class PendingSend implements Outgoing {
  readonly promise: Promise<void>;
  accept: (() => void) | undefined;
  readonly list: readonly string[];
  readonly text: string | undefined;
  readonly body: Uint8Array | undefined;
  readonly size: number;
  readonly epoch = undefined;
  readonly lengthless?: boolean;
  start = 0;
  state: Outgoing["state"] = "queued";
  readonly #reject: (reason: unknown) => void;
  readonly #context: OperationContext;

  constructor(
    list: readonly string[],
    body: StompBody,
    context: OperationContext,
    lengthless: boolean,
  ) {
    if (lengthless) this.lengthless = true;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    // Whoever awaits still sees the rejection; nobody awaiting is no crash.
    promise.catch(noop);
    this.promise = promise;
    this.accept = resolve;
    this.#reject = reject;
    this.#context = context;
    this.list = list;
    this.text = typeof body === "string" ? body : undefined;
    this.body = typeof body === "string" ? undefined : body;
    let size = frameOverhead("SEND") + body.length;
    for (let i = 0; i < list.length; i++) size += list[i]!.length + 1;
    this.size = size;
  }

  /** The frame, built only for the general encoder. */
  get frame(): StompFrame {
    const headers = new StompHeaders();
    for (let i = 0; i < this.list.length; i += 2) {
      headers.append(this.list[i]!, this.list[i + 1]!);
    }
    return new StompFrame("SEND", headers, this.text ?? this.body);
  }

  /**
   * Rejects (a no-op once accepted); a failure of its own (not a lost
   * connection's) also goes to onError, like any operation's.
   */
  fail(error: Error): void {
    this.#reject(error);
    if (!(error instanceof StompConnectionError)) this.#context.report(error);
  }
}

/**
 * Errors of connectUrl's transport options (a `TypeError` or `RangeError` of
 * `openTransport`): the same on every attempt, so never retried.
 */
const ARGUMENT_ERRORS = new WeakSet<Error>();

/** Where the replies of request() go. */
interface ReplyRoute {
  readonly mode: "temp-queue" | "subscription";
  /** The `reply-to` header of requests. */
  readonly replyTo: string;
  /** The `subscription` header replies come with. */
  readonly id: string;
  /** What reply messages belong to (not the session's, for a temp queue). */
  readonly subscription: Subscription;
}

/** A request waiting for its reply. */
interface PendingRequest {
  readonly op: Operation<StompMessage>;
  /** The connection its SEND went out on, once written. */
  epoch: number | undefined;
}

/** A random id for names that must not collide between clients. */
function randomId(): string {
  return crypto.randomUUID().slice(0, 8);
}
