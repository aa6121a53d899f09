/**
 * {@linkcode StompMessage}: a MESSAGE received through a subscription.
 *
 * @module
 */

import type { StompFrame } from "../frame.ts";
import type { StompHeaders, StompHeadersInit } from "../headers.ts";
import type { StompSubscription } from "./subscription.ts";
import type { OperationOptions } from "./options.ts";

/** Options of {@linkcode StompMessage.ack} and {@linkcode StompMessage.nack}. */
export interface MessageAckOptions extends OperationOptions {
  /**
   * Wait for the server's RECEIPT: the promise settles when the server has
   * processed the acknowledgement.
   *
   * @default {false}
   */
  receipt?: boolean;
  /** Extra headers for the ACK or NACK frame (RabbitMQ reads `requeue`). */
  headers?: StompHeadersInit;
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
 * the broker has put the message back and will deliver it again.
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
   * of the subscription).
   *
   * @param options Receipt and extra headers.
   * @returns A promise that settles when the ACK is written, or with
   * `receipt: true` when the server confirms it.
   */
  ack(options?: MessageAckOptions): Promise<void>;
  /**
   * Rejects the message (STOMP 1.1+); what happens to it is up to the broker:
   * RabbitMQ requeues it, ActiveMQ moves it to a dead-letter queue after its
   * redelivery limit.
   *
   * @param options Receipt and extra headers.
   * @returns A promise that settles when the NACK is written, or with
   * `receipt: true` when the server confirms it.
   */
  nack(options?: MessageAckOptions): Promise<void>;
}
