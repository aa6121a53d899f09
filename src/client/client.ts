/**
 * {@linkcode StompClient}: a STOMP client over any `StompTransport`.
 *
 * @module
 */

import type { StompBody, StompVersion } from "../frame.ts";
import { StompHeaders } from "../headers.ts";
import type { StompClientStats } from "./trace.ts";
import { ClientCore } from "./_core.ts";
import type { Operations } from "./_operations.ts";
import { urlSource } from "./_brokers.ts";
import { resolveOptions } from "./_options.ts";
import { type BrokerUrl, parseBrokerUrls } from "./_urls.ts";
import { kind } from "./_util.ts";
import {
  DISCONNECT_KEYS,
  DRAIN_KEYS,
  FRAME_KEYS,
  refusedOptions,
  REQUEST_KEYS,
  SEND_KEYS,
  SUBSCRIBE_KEYS,
} from "./_op_keys.ts";
import type { StompMessage } from "./message.ts";
import type {
  BeginOptions,
  ClientSendOptions,
  ClientSubscribeOptions,
  ConnectUrlOptions,
  DisconnectOptions,
  DrainOptions,
  ReplyOptions,
  RequestOptions,
  StompClientOptions,
  StompClientState,
  StompTransportSource,
} from "./options.ts";
import type { NegotiatedHeartBeat } from "./session.ts";
import type { StompSubscription } from "./subscription.ts";
import type { StompTransaction } from "./transaction.ts";

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
 * message says what the server said, whole: the `message` header and the
 * body, whitespace collapsed, at most 500 characters
 * (`StompServerError.MAX_MESSAGE_LENGTH`; `details` keeps the body as sent). It
 * rejects the operation whose receipt
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
 * client ends with one. A callback of the options that throws (or whose
 * promise rejects), such as `trace`, `onStateChange` or
 * `onUnhandledMessage`, ends neither the process nor the connection: it is
 * counted in `stats.callbackErrors` and reaches `onError` as a
 * `StompCallbackError` naming it.
 *
 * **Timeouts.** Operations that ask for a RECEIPT wait at most
 * `receiptTimeout` (30 s); each operation also takes its own `timeout` and
 * `signal`. An operation not yet written when it times out or is aborted is
 * taken out of the order and never written.
 *
 * **Backpressure and prefetch.** Each subscription buffers at most
 * `highWaterMark` messages (256 by default) and `highWaterMarkBytes` of bodies
 * (8 MiB by default), whichever comes first; a single larger message is still
 * delivered. When a buffer is full the client
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
  readonly #core: ClientCore;
  /** The core's operations, held here too: send() is a hot path. */
  readonly #ops: Operations;

  private constructor(
    source: StompTransportSource,
    options: StompClientOptions,
    brokers?: readonly BrokerUrl[],
  ) {
    this.#core = new ClientCore(
      this,
      resolveOptions(source, options),
      options,
      brokers,
    );
    this.#ops = this.#core.ops;
  }

  /**
   * Connects: sends CONNECT over the transport and resolves once the server
   * answers CONNECTED. Rejects with a {@linkcode StompServerError} when the
   * server refuses (bad login, no common version, or an ERROR right behind
   * CONNECTED), and with a {@linkcode StompConnectionError} when the
   * transport cannot be opened, fails, the timeout passes, the signal aborts
   * or the server breaks the protocol (a second CONNECTED, a frame that
   * cannot be parsed). With `reconnect`, a failed first attempt is retried
   * with the backoff (see `ReconnectOptions.retryFirstConnect`).
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
    options ??= {};
    return await StompClient.#start(
      new StompClient(source, options),
      options,
    );
  }

  static async #start(
    client: StompClient,
    options: StompClientOptions,
  ): Promise<StompClient> {
    await client.#core.start(options.signal);
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
    options ??= {};
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
    return await StompClient.#start(
      new StompClient(urlSource(transport), clientOptions, brokers),
      clientOptions,
    );
  }

  /** The state of the client. */
  get state(): StompClientState {
    return this.#core.state;
  }

  /**
   * The URL (without credentials) of the broker the client is connected to,
   * or was last trying: one of `connectUrl`'s list, or the one a
   * `beforeConnect` hook named; undefined when the transport came without
   * one.
   */
  get url(): URL | undefined {
    return this.#core.url;
  }

  /** The negotiated STOMP version of the current connection. */
  get version(): StompVersion | undefined {
    return this.#core.session.version;
  }

  /** The negotiated heart-beat intervals of the current connection. */
  get heartBeat(): NegotiatedHeartBeat {
    return this.#core.session.heartBeat;
  }

  /** The server's `server` header (name and version), when it sent one. */
  get server(): string | undefined {
    return this.#core.session.connectedFrame?.headers.get("server");
  }

  /** The server's `session` header (a session id), when it sent one. */
  get sessionId(): string | undefined {
    return this.#core.session.connectedFrame?.headers.get("session");
  }

  /**
   * Bytes issued and not yet written to the transport (each frame counted
   * as its body plus its headers, roughly, plus what holding a queued
   * operation costs: see `StompClientOptions.sendBufferSize`), like a
   * WebSocket's `bufferedAmount`. Operations are accepted at once while it,
   * with what awaited receipts hold, is below `sendBufferSize`.
   */
  get bufferedAmount(): number {
    return this.#core.outbox.bufferedAmount;
  }

  /**
   * The counters of frames, bytes, messages, acknowledgements and
   * reconnections, over all connections so far (see
   * {@linkcode StompClientStats}): a snapshot, taken when read.
   */
  get stats(): StompClientStats {
    return this.#core.stats;
  }

  /**
   * Settles when the client is closed for good: resolves after
   * {@linkcode StompClient.disconnect} or {@linkcode StompClient.close},
   * rejects with a {@linkcode StompConnectionError} when the connection was
   * lost (and not restored).
   */
  get closed(): Promise<void> {
    return this.#core.closed;
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
    options ??= {};
    return refusedOptions(this.#ops, "send", options, SEND_KEYS) ??
      this.#ops.send(destination, body, options);
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
    options ??= {};
    return refusedOptions(this.#ops, "subscribe", options, SUBSCRIBE_KEYS) ??
      this.#ops.subscribe(destination, options);
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
    options ??= {};
    return refusedOptions(this.#ops, "send a request", options, REQUEST_KEYS) ??
      this.#ops.request(destination, body, options);
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
    options ??= {};
    const refused = refusedOptions(this.#ops, "reply", options, SEND_KEYS);
    if (refused !== undefined) return refused;
    if (typeof message?.headers?.get !== "function") {
      return this.#ops.refuse(
        new TypeError(
          `Cannot reply: message must be a message the client received, got ${
            kind(message)
          }`,
        ),
      );
    }
    const replyTo = message.headers.get("reply-to");
    if (replyTo === undefined) {
      return this.#ops.refuse(
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
    options ??= {};
    return refusedOptions(
      this.#ops,
      "begin a transaction",
      options,
      FRAME_KEYS,
    ) ??
      this.#ops.begin(options);
  }

  /**
   * Disconnects gracefully: everything issued before is written, then
   * DISCONNECT, and the promise resolves on its RECEIPT (so the server has
   * processed everything before). A server that closes the connection
   * instead of answering (RabbitMQ's Web-STOMP does) counts as done; one
   * that sends an ERROR instead (it refused something sent before without a
   * receipt) makes it, and `closed`, reject with a `StompConnectionError`
   * whose `cause` is the `StompServerError`.
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
    options ??= {};
    return refusedOptions(this.#ops, "disconnect", options, DISCONNECT_KEYS) ??
      this.#core.disconnect(options);
  }

  /**
   * Shuts down without losing work, as on SIGTERM: drains every
   * subscription at once (see {@linkcode StompSubscription.drain}: nothing
   * new is handed out, the messages already received are, and each one
   * handed out is acknowledged or rejected), then disconnects, writing
   * everything issued before. Meanwhile handlers can still acknowledge,
   * send and reply; only `subscribe` is refused. Settle a message last:
   * the disconnect follows the last acknowledgement.
   *
   * It waits too, within the same `timeout`, for the requests still
   * waiting for their reply; those still waiting after it reject with the
   * disconnect. The DISCONNECT gets what is left of `timeout` (at least
   * half a second), not `disconnectTimeout`, so the client is closed about
   * when `timeout` passes, also with the broker gone or silent.
   *
   * Rejects, once disconnected, with the first failure: a
   * `StompTimeoutError` when messages were still unacknowledged (the broker
   * delivers them again), requests unanswered or the broker silent after
   * `timeout` (20 s by default), or the disconnect's error. Calling it
   * again returns the same promise; on a closed or disconnecting client it
   * is {@linkcode StompClient.disconnect}.
   *
   * @example Finishing the jobs at hand before exiting
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * const client = await StompClient.connectUrl(broker.url);
   * const jobs = await client.subscribe("/queue/jobs", {
   *   ack: "client-individual",
   *   headers: { "prefetch-count": "10" },
   * });
   * for (const job of ["a", "b", "c"]) {
   *   await client.send("/queue/jobs", job, { receipt: true });
   * }
   * const done: string[] = [];
   * const worker = (async () => {
   *   for await (const job of jobs) {
   *     await new Promise((resolve) => setTimeout(resolve, 10)); // the work
   *     await client.send("/queue/done", job.text);
   *     done.push(job.text);
   *     await job.ack();
   *   }
   * })();
   * // In a service: Deno.addSignalListener("SIGTERM", () => client.drain());
   * await client.drain({ timeout: 5000 });
   * await worker;
   * assertEquals(done, ["a", "b", "c"]);
   * assertEquals(broker.depth("/queue/done"), 3);
   * assertEquals(client.state, "closed");
   * ```
   *
   * @param options How long to wait for the messages at hand, a signal.
   * @returns A promise that resolves once drained and disconnected.
   */
  drain(options: DrainOptions = {}): Promise<void> {
    options ??= {};
    return refusedOptions(this.#ops, "drain", options, DRAIN_KEYS) ??
      this.#core.drain(options);
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
    this.#core.close();
  }

  /**
   * Disconnects (see {@linkcode StompClient.disconnect}), for `await using`.
   *
   * @returns A promise that resolves once the connection is closed.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }
}
