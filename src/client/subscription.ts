/**
 * {@linkcode StompSubscription}: the messages of one SUBSCRIBE, as an async
 * iterable and a `ReadableStream`; {@linkcode StompMessage}, each of them.
 *
 * @module
 */

import type { AckMode } from "../builders.ts";
import type { StompFrame } from "../frame.ts";
import type { StompHeaders, StompHeadersInit } from "../headers.ts";
import type { DrainOptions, OperationOptions } from "./options.ts";

/** Options of {@linkcode StompSubscription.unsubscribe}. */
export interface UnsubscribeOptions extends OperationOptions {
  /**
   * Wait for the server's RECEIPT.
   *
   * @default {false}
   */
  receipt?: boolean | undefined;
  /** Extra headers for the UNSUBSCRIBE frame. */
  headers?: StompHeadersInit | undefined;
}

/**
 * An active subscription: an async iterable of {@linkcode StompMessage}, also
 * available as a `ReadableStream`. It has one reader at a time: a second
 * `for await` loop, or reading the stream while a loop reads, throws a
 * `TypeError` (to fan out, hand each message on from one loop).
 *
 * Messages wait in a buffer bounded by `highWaterMark` messages and by
 * `highWaterMarkBytes` of bodies, whichever comes first. While a
 * subscription's buffer is full the client stops reading from the
 * connection, so TCP flow control slows the broker down instead of the
 * client's memory growing; see {@linkcode StompClient} for how this combines
 * with broker prefetch.
 *
 * The iteration ends when {@linkcode unsubscribe} is called or the client
 * disconnects, after the buffered messages (in the `client` ack modes the
 * buffered messages are dropped instead, and the broker redelivers them),
 * and when a {@linkcode drain} has handed out the last message at hand.
 * Breaking out of a `for await` loop unsubscribes. If the connection is lost
 * for good the iteration throws a {@linkcode StompConnectionError}.
 *
 * @example Reading through the stream
 * ```ts
 * import { StompClient } from "@stomper/stomp/client";
 * import { fromConn } from "@stomper/stomp/transports";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen();
 * const transport = fromConn(await Deno.connect({ hostname: "127.0.0.1", port: broker.port }));
 * await using client = await StompClient.connect(transport);
 * const subscription = await client.subscribe("/topic/news");
 * await client.send("/topic/news", "one");
 * await client.send("/topic/news", "two");
 * const reader = subscription.readable.getReader();
 * assertEquals((await reader.read()).value?.text, "one");
 * assertEquals((await reader.read()).value?.text, "two");
 * reader.releaseLock();
 * await subscription.unsubscribe();
 * assertEquals(subscription.active, false);
 * ```
 *
 * @example Bounding the buffer in bytes
 * ```ts
 * import { StompClient } from "@stomper/stomp/client";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen();
 * await using client = await StompClient.connectUrl(broker.url);
 * const subscription = await client.subscribe("/queue/files", {
 *   highWaterMarkBytes: 1024 * 1024,
 * });
 * assertEquals(subscription.highWaterMarkBytes, 1024 * 1024);
 * // The MESSAGE comes on the same connection before the RECEIPT.
 * await client.send("/queue/files", new Uint8Array(4096), { receipt: true });
 * assertEquals(subscription.buffered, 1);
 * assertEquals(subscription.bufferedBytes, 4096);
 * ```
 */
export interface StompSubscription
  extends AsyncIterable<StompMessage>, AsyncDisposable {
  /** The subscription id (the `id` header of SUBSCRIBE). */
  readonly id: string;
  /** The destination subscribed to. */
  readonly destination: string;
  /** The acknowledgement mode. */
  readonly ack: AckMode;
  /** The most messages buffered before the client stops reading. */
  readonly highWaterMark: number;
  /**
   * The most body bytes buffered before the client stops reading (a single
   * larger message is still delivered, and reading stops behind it).
   */
  readonly highWaterMarkBytes: number;
  /** Messages received and not yet consumed. */
  readonly buffered: number;
  /** The body bytes of the messages received and not yet consumed. */
  readonly bufferedBytes: number;
  /** Whether messages can still arrive. */
  readonly active: boolean;
  /** The messages, as a stream; cancelling it unsubscribes. */
  readonly readable: ReadableStream<StompMessage>;
  /**
   * Ends the subscription: sends UNSUBSCRIBE and ends the iteration.
   * While the client reconnects nothing is sent and it resolves at once:
   * the broker dropped the subscription with the connection, and it is not
   * restored.
   *
   * @param options Receipt and extra headers.
   * @returns A promise that settles when UNSUBSCRIBE is written, or with
   * `receipt: true` when the server confirms it.
   */
  unsubscribe(options?: UnsubscribeOptions): Promise<void>;
  /**
   * Stops taking new messages but finishes those at hand: the buffered
   * messages are still handed out, the iteration ends after them, and the
   * promise resolves once each message handed out has been acknowledged or
   * rejected and the server has confirmed the UNSUBSCRIBE. (Meant for a
   * shutdown; {@linkcode StompClient.drain} does it for every subscription,
   * then disconnects.)
   *
   * In the `client` and `client-individual` modes the UNSUBSCRIBE goes last,
   * after the acknowledgements: a broker takes none after it (RabbitMQ ends
   * the connection, ActiveMQ delivers the message again). Messages that
   * arrive meanwhile are not handed out; the broker delivers them to
   * another consumer once the UNSUBSCRIBE is done (ActiveMQ, the test
   * broker) or once the connection closes (RabbitMQ). In `auto` mode the
   * UNSUBSCRIBE goes first, and the messages that come before its RECEIPT
   * are handed out too: the broker counts them as delivered.
   *
   * The server's RECEIPT for the UNSUBSCRIBE counts within the timeout.
   * While the client reconnects there is nothing to unsubscribe (the
   * broker dropped the subscription with the connection): once its
   * messages are settled it resolves without waiting for a connection.
   *
   * Rejects with a `StompTimeoutError` saying what was left when the
   * timeout (20 s by default) passes first; the subscription then ends
   * anyway, and acknowledging one of its messages afterwards rejects (the
   * broker delivers it again). Rejects with a `StompConnectionError` when
   * the connection is lost first (the subscription is not restored), or the
   * subscription ends otherwise with messages unacknowledged. Calling it
   * again returns the same promise.
   *
   * @example Draining a subscription
   * ```ts
   * import { StompClient } from "@stomper/stomp/client";
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using broker = StompTestBroker.listen();
   * await using client = await StompClient.connectUrl(broker.url);
   * const tasks = await client.subscribe("/queue/tasks", {
   *   ack: "client-individual",
   * });
   * await client.send("/queue/tasks", "one", { receipt: true });
   * await client.send("/queue/tasks", "two", { receipt: true });
   * const seen: string[] = [];
   * const worker = (async () => {
   *   for await (const task of tasks) {
   *     seen.push(task.text);
   *     await task.ack();
   *   }
   * })();
   * await tasks.drain({ timeout: 5000 });
   * await worker;
   * assertEquals(seen, ["one", "two"]);
   * assertEquals(tasks.active, false);
   * ```
   *
   * @param options How long to wait for the messages at hand, a signal.
   * @returns A promise that resolves once drained.
   */
  drain(options?: DrainOptions): Promise<void>;
}

/** Options of {@linkcode StompMessage.ack} and {@linkcode StompMessage.nack}. */
export interface MessageAckOptions extends OperationOptions {
  /**
   * Wait for the server's RECEIPT: the promise settles when the server has
   * processed the acknowledgement.
   *
   * @default {false}
   */
  receipt?: boolean | undefined;
  /** Extra headers for the ACK or NACK frame (RabbitMQ reads `requeue`). */
  headers?: StompHeadersInit | undefined;
}

/**
 * A message delivered to a {@linkcode StompSubscription}.
 *
 * The body is bytes; `text` decodes it as UTF-8. In the `client` and
 * `client-individual` ack modes the server waits for {@linkcode ack} (or
 * {@linkcode nack}); a message that is never acknowledged is redelivered when
 * the connection closes. In `auto` mode both reject with a `TypeError`.
 *
 * A message can be acknowledged once, on the connection it arrived on: after a
 * reconnection `ack()` rejects with a {@linkcode StompConnectionError}, since
 * the broker has put the message back and will deliver it again. So does an
 * `ack()` or `nack()` of a message the server sent without the header the
 * frame must name (`ack` under STOMP 1.2, `message-id` before): a protocol
 * violation, which the error's message names.
 *
 * @example Acknowledging each message
 * ```ts
 * import { StompClient } from "@stomper/stomp/client";
 * import { fromConn } from "@stomper/stomp/transports";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen();
 * const transport = fromConn(await Deno.connect({ hostname: "127.0.0.1", port: broker.port }));
 * await using client = await StompClient.connect(transport);
 * const subscription = await client.subscribe("/queue/work", { ack: "client-individual" });
 * await client.send("/queue/work", "job 1", { headers: { priority: "high" } });
 * for await (const message of subscription) {
 *   assertEquals(message.text, "job 1");
 *   assertEquals(message.headers.get("priority"), "high");
 *   await message.ack({ receipt: true });
 *   break;
 * }
 * ```
 */
export interface StompMessage {
  /** The MESSAGE frame as received. */
  readonly frame: StompFrame;
  /** The headers of the frame. */
  readonly headers: StompHeaders;
  /** The body bytes (a view; copy it to keep it past the next message). */
  readonly body: Uint8Array;
  /** The body decoded as UTF-8. */
  readonly text: string;
  /** The `destination` header. */
  readonly destination: string | undefined;
  /** The `message-id` header. */
  readonly messageId: string | undefined;
  /** The subscription the message was delivered to. */
  readonly subscription: StompSubscription;
  /**
   * Whether the server waits for an acknowledgement (`client` and
   * `client-individual` modes).
   */
  readonly needsAck: boolean;
  /**
   * Acknowledges the message (in `client` mode, also every earlier message
   * of the subscription). In `client` mode a message that the ACK or NACK of
   * a later one covered already is acknowledged: `ack()` (or `nack()`)
   * resolves without a frame, since brokers end the connection for it.
   *
   * @param options Receipt and extra headers.
   * @returns A promise that settles when the ACK is written, or with
   * `receipt: true` when the server confirms it.
   */
  ack(options?: MessageAckOptions): Promise<void>;
  /**
   * Rejects the message (STOMP 1.1+); what happens to it is up to the broker:
   * RabbitMQ requeues it, ActiveMQ moves a persistent message to
   * `ActiveMQ.DLQ` at the first NACK and discards a non-persistent one.
   *
   * @param options Receipt and extra headers.
   * @returns A promise that settles when the NACK is written, or with
   * `receipt: true` when the server confirms it.
   */
  nack(options?: MessageAckOptions): Promise<void>;
}
