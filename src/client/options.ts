/**
 * The options and states of `StompClient`.
 *
 * @module
 */

import type { AckMode } from "../builders.ts";
import type { DecodeLimitOptions } from "../decoder.ts";
import type { StompFrame } from "../frame.ts";
import type { StompHeadersInit } from "../headers.ts";
import type { OpenTransportOptions } from "../transports/open.ts";
import type { StompTransport } from "../transports/transport.ts";
import type { StompClient } from "./client.ts";
import type { StompSessionOptions } from "./session.ts";
import type { StompTraceEvent } from "./trace.ts";

/**
 * The states of a `StompClient`:
 * - `connecting`: the first connection is being opened (before
 *   `StompClient.connect` resolves).
 * - `connected`: operations go out in the order they were called.
 * - `reconnecting`: the connection was lost and a new one is being opened;
 *   operations wait for it, in order.
 * - `disconnecting`: `StompClient.disconnect` was called: what was
 *   issued before goes out, then DISCONNECT; new operations are refused.
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

/**
 * Options of automatic reconnection. The n-th attempt in a row waits
 * `min(maxDelay, initialDelay × factor^(n-1))`, shortened by a random part of
 * up to `jitter` of it, so that many clients dropped at once do not all come
 * back at the same moment. Attempts are counted until a connection has
 * stayed up for `stableAfter` milliseconds: a connection that the server
 * ends at once (an ERROR on every attempt) does not start the count again,
 * so the client gives up after `retries` attempts instead of storming.
 */
export interface ReconnectOptions {
  /**
   * Retries in a row before giving up: attempts after the first connection
   * attempt fails, or after a connection is lost (the client then closes
   * with a `StompConnectionError`).
   *
   * @default {10}
   */
  retries?: number | undefined;
  /**
   * Milliseconds before the first attempt.
   *
   * @default {500}
   */
  initialDelay?: number | undefined;
  /**
   * The longest wait between attempts, in milliseconds.
   *
   * @default {30000}
   */
  maxDelay?: number | undefined;
  /**
   * How much the wait grows after each failed attempt.
   *
   * @default {2}
   */
  factor?: number | undefined;
  /**
   * The largest share of a wait taken off at random, from 0 to 1.
   *
   * @default {0.5}
   */
  jitter?: number | undefined;
  /**
   * The random source for the jitter, returning numbers in [0, 1). If it
   * throws, that wait has no jitter and the error is a callback's (see
   * `StompClientOptions.onError`, hook `"reconnect.random"`).
   *
   * @default {Math.random}
   */
  random?: (() => number) | undefined;
  /**
   * Retry the first connection too, with the same backoff: an application
   * started a moment before its broker still connects.
   * `StompClient.connect` then rejects only once the retries are
   * used up (or its `signal` aborts). `false` fails at the first refusal.
   * A refused login (an ERROR in answer to CONNECT) is never retried, on the
   * first connection or a later one, unless `beforeConnect` is set (its
   * credentials may change from one attempt to the next).
   *
   * @default {true}
   */
  retryFirstConnect?: boolean | undefined;
  /**
   * Milliseconds a connection must stay up before the attempt count and the
   * backoff start again from the beginning.
   *
   * @default {10000}
   */
  stableAfter?: number | undefined;
  /**
   * Called after each failed attempt that will be retried, with why it
   * failed (the server's `StompServerError` for a refusal, even one that
   * came right after CONNECTED) and its number among the attempts made
   * since the client was last connected (or began), from 1. What it throws
   * is caught (see `StompClientOptions.onError`, hook
   * `"reconnect.onFailedAttempt"`).
   */
  onFailedAttempt?: ((error: Error, attempt: number) => void) | undefined;
}

/** A change of `StompClient.state`. */
export interface StompStateChange {
  /** The new state. */
  readonly state: StompClientState;
  /** The state before. */
  readonly previous: StompClientState;
  /** What caused it, for a lost connection or a failure. */
  readonly error: Error | undefined;
  /**
   * The broker's URL (without credentials) of the connection the state is
   * about, when the client knows it: with `StompClient.connectUrl`, or when
   * `beforeConnect` names one.
   */
  readonly url: URL | undefined;
  /**
   * The client whose state changed. The first change (`"connected"`) comes
   * before `StompClient.connect` or `StompClient.connectUrl` resolves, so a
   * hook reads the client from here, never from the variable the awaited
   * call is about to assign.
   */
  readonly client: StompClient;
}

/**
 * One connection attempt (the first connection and every reconnection), as
 * `beforeConnect` and a transport function see it.
 */
export interface ConnectAttempt {
  /**
   * The attempt's number over the client's life, from 1: the first
   * connection's first attempt is 1, and every attempt after it (failed or
   * not) adds one.
   */
  readonly number: number;
  /** Whether the client was connected before: this attempt reconnects. */
  readonly reconnecting: boolean;
  /**
   * The broker's URL (without credentials) this attempt goes to: with
   * `StompClient.connectUrl`, the next in its list; the one `beforeConnect`
   * returned, if it did; else undefined.
   */
  readonly url: URL | undefined;
  /**
   * Aborts when the attempt is given up (its `connectTimeout`, the signal of
   * `StompClient.connect`, the client closed): pass it to `fetch` and the
   * like, so that nothing outlives the attempt.
   */
  readonly signal: AbortSignal;
}

/**
 * What `beforeConnect` can change for one attempt. Each value given replaces,
 * for this attempt only, the client option of the same name (`headers` as a
 * whole) and credentials in the URL.
 */
export interface ConnectSettings {
  /** The user name. */
  login?: string | undefined;
  /** The password (a fresh token, say). */
  passcode?: string | undefined;
  /** The virtual host. */
  host?: string | undefined;
  /** The extra CONNECT headers. */
  headers?: StompHeadersInit | undefined;
  /**
   * The broker to connect to, in place of `ConnectAttempt.url`: for
   * `StompClient.connectUrl`, a URL of a scheme it speaks; for a transport
   * function, handed to it as `ConnectAttempt.url`.
   */
  url?: string | URL | undefined;
}

/**
 * Where the client's connections come from: a transport (one connection), or
 * a function that opens a new one each time it is called (needed for
 * reconnection), told which attempt it serves.
 */
export type StompTransportSource =
  | StompTransport
  | ((attempt: ConnectAttempt) => StompTransport | Promise<StompTransport>);

/** Options of `StompClient.connect`. */
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
  heartBeatGrace?: number | undefined;
  /**
   * Milliseconds a connection attempt may take, from opening the transport
   * to CONNECTED; 0 waits for ever.
   *
   * @default {10000}
   */
  connectTimeout?: number | undefined;
  /**
   * Milliseconds `StompClient.disconnect` may go without progress: while
   * what was issued before it is written, it gives up once nothing was
   * written for that long (no connection, or a server that stopped
   * reading), however long the whole backlog takes; once DISCONNECT is
   * written, its RECEIPT must come within that long. Giving up closes the
   * client: `closed` rejects with the same `StompTimeoutError`, and what
   * was not written is dropped (sends still waiting for room in the send
   * buffer reject saying so). 0 waits for ever.
   *
   * @default {10000}
   */
  disconnectTimeout?: number | undefined;
  /**
   * Milliseconds an operation that asked for a RECEIPT waits for it (from
   * the call) before it rejects with a `StompTimeoutError`; 0
   * waits for ever. An operation's own `timeout` takes precedence.
   *
   * @default {30000}
   */
  receiptTimeout?: number | undefined;
  /**
   * Bytes issued but not yet written to the transport (see
   * `StompClient.bufferedAmount`) up to which operations are
   * accepted at once. Beyond it an operation still takes its place in the
   * order, but its promise resolves only once it is written: a producer that
   * awaits each `send` is held to the pace of the connection, with memory
   * bounded by this size. Besides frame bytes it counts what holding them
   * costs: 2,048 bytes per queued operation (384 per SEND without receipt,
   * timeout or signal; nothing more for frames batched at the call) and
   * 2,048 per RECEIPT awaited (subscribe() awaits one under the hood); while
   * awaited receipts alone fill it, operations are accepted only as the
   * RECEIPTs come.
   *
   * @default {4194304}
   */
  sendBufferSize?: number | undefined;
  /**
   * Over a transport whose writes cannot wait for the network because it
   * cannot tell what it still holds (`StompTransport.unpaced`: a SockJS
   * socket, which has no `bufferedAmount`), the bytes written but not yet
   * confirmed by the server up to which writing goes on. Every half of it,
   * the client asks a receipt on the next SEND (a header of its own, one
   * receipt at a time, never seen by the caller), and writing waits while
   * more than this is unconfirmed (at most one write, 128 KiB, over);
   * `sendBufferSize` then holds producers back as over any full transport.
   * For the first receipt of a connection it waits 1 s at most: a server
   * that has not answered by then (Spring's simple broker answers none) is
   * not waited for again on that connection, and writes go on unbounded.
   * `Infinity` turns it off. Other transports wait for the network
   * themselves; there it is unused. See docs/sockjs.md.
   *
   * @example A socket that cannot say what it holds
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { fromWebSocket, type WebSocketLike } from "@stomper/stomp/transports";
   * import { assert, assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen({ webSocket: true });
   * const socket = new WebSocket(broker.webSocketUrl!, "v12.stomp");
   * socket.binaryType = "arraybuffer";
   * // A real WebSocket, seen as SockJS's: no bufferedAmount.
   * const sockJsLike: WebSocketLike = {
   *   get readyState() {
   *     return socket.readyState;
   *   },
   *   send: (data) => socket.send(data),
   *   close: (code, reason) => socket.close(code, reason),
   *   addEventListener: (type, listener) =>
   *     socket.addEventListener(type, listener),
   *   removeEventListener: (type, listener) =>
   *     socket.removeEventListener(type, listener),
   * };
   * let asked = 0;
   * await using client = await StompClient.connect(fromWebSocket(sockJsLike), {
   *   unconfirmedBytes: 16 * 1024,
   *   trace: (event) => {
   *     if (event.direction === "out" && event.frame?.headers.has("receipt")) {
   *       asked++;
   *     }
   *   },
   * });
   * for (let i = 0; i < 64; i++) {
   *   await client.send("/queue/unconfirmed", "x".repeat(1024));
   * }
   * await client.send("/queue/unconfirmed", "last", { receipt: true });
   * // Receipts the client asked for itself, besides the one asked here.
   * assert(asked > 1);
   * assertEquals(client.bufferedAmount, 0);
   * ```
   *
   * @default {1048576}
   */
  unconfirmedBytes?: number | undefined;
  /**
   * The largest body `send` accepts, in bytes (text counted as UTF-8); a
   * larger one rejects with a `RangeError` and is not sent. Brokers take far
   * more (RabbitMQ 128 MiB, ActiveMQ 100 MiB), but every consumer must be
   * able to receive it: the default matches the default
   * `decodeLimits.maxBodyBytes` of the clients receiving it (64 MiB), since a
   * message no consumer can decode ends each consumer's connection, and under
   * client acks and reconnection comes back for ever. Raise both together.
   *
   * @default {67108864}
   */
  maxSendBodyBytes?: number | undefined;
  /**
   * Whether text bodies go with a `content-length` header by default (see
   * `ClientSendOptions.contentLength`); `false` suits ActiveMQ and Artemis
   * consumers that expect a JMS TextMessage.
   *
   * @default {true}
   */
  textContentLength?: boolean | undefined;
  /**
   * Aborts the first connection, while the transport opens, CONNECTED is
   * awaited, or between retries (not the connection once open).
   */
  signal?: AbortSignal | undefined;
  /**
   * Reconnect when the connection is lost (needs a transport function, not a
   * single transport). `true` uses the defaults of
   * {@linkcode ReconnectOptions}.
   *
   * @default {false}
   */
  reconnect?: boolean | ReconnectOptions | undefined;
  /**
   * The default size, in messages, of each subscription's buffer.
   *
   * @default {256}
   */
  highWaterMark?: number | undefined;
  /**
   * The default size, in body bytes, of each subscription's buffer: once a
   * subscription holds this much unread, the client stops reading from the
   * connection (as for `highWaterMark`), so large messages wait in the
   * broker rather than in memory. A single message larger than this is still
   * delivered; reading stops behind it until it is taken.
   *
   * @default {8388608}
   */
  highWaterMarkBytes?: number | undefined;
  /** Size limits of the frames received; see `DEFAULT_DECODE_LIMITS`. */
  decodeLimits?: DecodeLimitOptions | undefined;
  /**
   * Keep a message body that arrived in several chunks as those chunks
   * (`message.frame.bodyChunks`, `message.frame.bodyLength`) instead of
   * copying it into one array as it comes; `message.body` and
   * `message.text` join it when first read. For large messages that are
   * written on (to a file, another socket) rather than read whole. See the
   * decoder option of the same name.
   *
   * @default {false}
   */
  bodyChunks?: boolean | undefined;
  /**
   * The clock for heart-beats, timeouts and reconnection delays.
   *
   * @default {the runtime's setTimeout, clearTimeout and performance.now}
   */
  timers?: StompTimers | undefined;
  /**
   * Called before every connection attempt (the first and each
   * reconnection), and awaited: what it returns replaces login, passcode,
   * host, CONNECT headers or the broker's URL for that attempt, such as a
   * token fetched anew. It runs within the attempt's `connectTimeout`; an
   * error it throws (or a rejection) fails the attempt, which `reconnect`
   * then retries with its backoff. What is not a {@linkcode ConnectSettings}
   * (a bare string, a number for a passcode) is a `TypeError`, not retried.
   */
  beforeConnect?:
    | ((
      attempt: ConnectAttempt,
    ) => ConnectSettings | void | Promise<ConnectSettings | void>)
    | undefined;
  /**
   * Takes each MESSAGE frame for a subscription the client does not have:
   * one it unsubscribed (messages the server sent before it read the
   * UNSUBSCRIBE), or one it never made (RabbitMQ's `/temp-queue/` replies
   * outside `StompClient.request`). The connection carries on either way,
   * also when it throws (on a hostile body, say; see `onError`). Without
   * it, each such message is reported to `onError` as a
   * `StompUnhandledMessageError` (carrying the frame) and dropped.
   */
  onUnhandledMessage?: ((frame: StompFrame) => void) | undefined;
  /**
   * Where `StompClient.request` has replies sent: `"temp-queue"` names a
   * `/temp-queue/` destination in `reply-to` and takes the replies the
   * broker delivers without a SUBSCRIBE (RabbitMQ); `"subscription"`
   * subscribes once to `replyDestination` and names it in `reply-to` (any
   * broker). `"auto"` picks `"temp-queue"` while the server's `server`
   * header says RabbitMQ, else `"subscription"`, and picks again after a
   * failover to another kind of broker.
   *
   * @default {"auto"}
   */
  replyMode?: "auto" | "temp-queue" | "subscription" | undefined;
  /**
   * The destination of the replies of `StompClient.request` in the
   * `"subscription"` mode: one the client alone reads.
   *
   * @default {on RabbitMQ "/exchange/amq.direct/stomper-replies-" and a random id (an exclusive queue bound to amq.direct); elsewhere "/temp-queue/stomper-" and a random id (a temporary queue ActiveMQ and Artemis delete with the connection)}
   */
  replyDestination?: string | undefined;
  /**
   * Called on every change of `StompClient.state`, with the client in
   * `change.client`. What it throws is caught (see `onError`).
   */
  onStateChange?: ((change: StompStateChange) => void) | undefined;
  /**
   * The one place where every error of the client arrives, whether or not
   * anyone awaits the operation it ends: each ERROR frame (as a
   * `StompServerError`), each operation that fails for a reason of its own
   * (a refusal, a timeout, an argument the frame cannot carry), and each
   * lost connection (a `StompConnectionError`, once, however many
   * operations it ends). An operation cancelled by its own `signal` is not
   * reported. Without it such failures still reject the operations' promises
   * (never as unhandled rejections) and, when the client ends, `closed`.
   *
   * It also takes the failures of the other callbacks: what `trace`,
   * `onStateChange`, `onUnhandledMessage`, `reconnect.onFailedAttempt` or
   * `reconnect.random` throws (or the promise it returns rejects with)
   * arrives here as a `StompCallbackError` naming the callback, and the
   * client goes on as if the callback had returned. Such failures are
   * counted in `StompClient.stats` (`callbackErrors`). If `onError` itself
   * throws, or there is no `onError` to take a callback's failure, the
   * client writes one line with `console.error`, once in its life, and
   * after that only counts. No callback can end the process or the
   * connection (`beforeConnect` is part of connecting: its error fails the
   * attempt instead).
   */
  onError?: ((error: Error) => void) | undefined;
  /**
   * Called with every frame and heart-beat in and out, in wire order, with
   * its exact size and secret headers such as `passcode` redacted (see
   * `StompTraceEvent`); `traceLogger()` makes one that prints a line each.
   * Something it throws is caught and reported (see `onError`), and the
   * connection goes on. Unset, tracing costs nothing.
   */
  trace?: ((event: StompTraceEvent) => void) | undefined;
  /**
   * More header names whose values the trace shows as `***` (compared
   * without case), beyond those `redactFrame` hides by pattern: for a
   * broker's or an application's own credential header.
   */
  redactHeaders?: readonly string[] | undefined;
}

/** Options of `StompClient.connectUrl`. */
export interface ConnectUrlOptions extends StompClientOptions {
  /** Options for the transport (CA certificates, WebSocket message type, ...). */
  transport?: OpenTransportOptions | undefined;
}

/**
 * What every operation can take: a timeout and a signal. An operation that
 * was not written yet when either ends it is taken out of the outgoing
 * order: nothing of it reaches the server.
 */
export interface OperationOptions {
  /**
   * Milliseconds from the call until the operation must be done (written,
   * or with `receipt`, confirmed); then it rejects with a
   * `StompTimeoutError`. 0 waits for ever.
   *
   * @default {the client's receiptTimeout with a receipt, otherwise 0}
   */
  timeout?: number | undefined;
  /** Cancels the operation: it rejects at once with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** Options of `StompClient.send`. */
export interface ClientSendOptions extends OperationOptions {
  /**
   * Wait for the server's RECEIPT: the promise resolves once the server has
   * the message, and rejects on a matching ERROR or a lost connection.
   *
   * @default {false}
   */
  receipt?: boolean | undefined;
  /** The MIME type of the body, such as `application/json`. */
  contentType?: string | undefined;
  /**
   * Extra headers for the SEND frame. Not `destination`, `receipt`,
   * `content-length`, nor `content-type` with `contentType`: the client
   * writes those (a `TypeError`).
   */
  headers?: StompHeadersInit | undefined;
  /**
   * Whether a text body goes with a `content-length` header. `false` leaves
   * it out, so that ActiveMQ and Artemis deliver a JMS TextMessage rather
   * than a BytesMessage; the body then ends at its first NUL, so a text
   * holding NUL is a `TypeError`. A bytes body always has one.
   *
   * @default {the client's textContentLength}
   */
  contentLength?: boolean | undefined;
}

/** Options of `StompClient.request`. */
export interface RequestOptions extends OperationOptions {
  /**
   * Milliseconds from the call until the reply must have come; then the
   * request rejects with a `StompTimeoutError`. 0 waits for ever.
   *
   * @default {the client's receiptTimeout}
   */
  timeout?: number | undefined;
  /** The MIME type of the body, such as `application/json`. */
  contentType?: string | undefined;
  /**
   * Extra headers for the SEND frame (`reply-to` and `correlation-id` are
   * the request's own).
   */
  headers?: StompHeadersInit | undefined;
  /**
   * Whether a text body goes with a `content-length` header (see
   * `ClientSendOptions.contentLength`).
   *
   * @default {the client's textContentLength}
   */
  contentLength?: boolean | undefined;
}

/** Options of `StompClient.reply`. */
export interface ReplyOptions extends ClientSendOptions {}

/** Options of `StompClient.subscribe`. */
export interface ClientSubscribeOptions extends OperationOptions {
  /**
   * The acknowledgement mode: `auto` (the server forgets a message once
   * sent), `client` (an ACK acknowledges that message and all earlier ones)
   * or `client-individual` (one message per ACK).
   *
   * @default {"auto"}
   */
  ack?: AckMode | undefined;
  /**
   * Wait for the server's RECEIPT before resolving.
   *
   * @default {false}
   */
  receipt?: boolean | undefined;
  /**
   * Extra SUBSCRIBE headers, such as `{ "prefetch-count": "10" }` for
   * RabbitMQ or `{ "activemq.prefetchSize": "10" }` for ActiveMQ. Not
   * `id`: the client numbers subscriptions (a `TypeError`).
   */
  headers?: StompHeadersInit | undefined;
  /**
   * The most messages buffered for this subscription before the client
   * stops reading from the connection.
   *
   * @default {the client's highWaterMark}
   */
  highWaterMark?: number | undefined;
  /**
   * The most body bytes buffered for this subscription before the client
   * stops reading from the connection (a larger single message is still
   * delivered).
   *
   * @default {the client's highWaterMarkBytes}
   */
  highWaterMarkBytes?: number | undefined;
}

/** Options of `StompClient.begin`. */
export interface BeginOptions extends OperationOptions {
  /**
   * Wait for the server's RECEIPT before resolving.
   *
   * @default {false}
   */
  receipt?: boolean | undefined;
  /** Extra headers for the BEGIN frame. */
  headers?: StompHeadersInit | undefined;
}

/** Options of `StompClient.disconnect`. */
export interface DisconnectOptions {
  /**
   * Milliseconds without progress after which to give up: nothing written
   * while what was issued before is written, or no RECEIPT once DISCONNECT
   * is written (see `StompClientOptions.disconnectTimeout`); 0 waits for
   * ever.
   *
   * @default {the client's disconnectTimeout}
   */
  timeout?: number | undefined;
  /**
   * Stops waiting: the connection is closed at once and the promise rejects
   * with the signal's reason.
   */
  signal?: AbortSignal | undefined;
  /** Extra headers for the DISCONNECT frame. */
  headers?: StompHeadersInit | undefined;
}

/** Options of `StompSubscription.drain` and `StompClient.drain`. */
export interface DrainOptions {
  /**
   * Milliseconds to wait for the messages already received to be handed
   * out and acknowledged (or rejected); then the drain rejects with a
   * `StompTimeoutError` saying how many were left, the subscription ends
   * anyway, and the broker delivers those messages again. The client's
   * drain waits as long for the requests still waiting for their reply.
   * 0 waits for ever. Below the 30 s a container usually gets between
   * SIGTERM and SIGKILL.
   *
   * @default {20000}
   */
  timeout?: number | undefined;
  /**
   * Stops waiting, as the timeout does, rejecting with the signal's
   * reason.
   */
  signal?: AbortSignal | undefined;
}
