/**
 * {@linkcode StompTransaction}: sends and acknowledgements that take effect
 * together on COMMIT, or not at all on ABORT.
 *
 * @module
 */

import type { StompBody } from "../frame.ts";
import type { StompHeadersInit } from "../headers.ts";
import type { MessageAckOptions, StompMessage } from "./message.ts";
import type { OperationOptions } from "./options.ts";

/** Options of sending within a transaction. */
export interface TransactionSendOptions extends OperationOptions {
  /**
   * Wait for the server's RECEIPT.
   *
   * @default {false}
   */
  receipt?: boolean | undefined;
  /** The MIME type of the body. */
  contentType?: string | undefined;
  /** Extra headers for the SEND frame. */
  headers?: StompHeadersInit | undefined;
  /**
   * Whether a text body goes with a `content-length` header; `false` leaves
   * it out (see the client's `send`).
   *
   * @default {the client's textContentLength}
   */
  contentLength?: boolean | undefined;
}

/** Options of {@linkcode StompTransaction.commit} and {@linkcode StompTransaction.abort}. */
export interface TransactionEndOptions extends OperationOptions {
  /**
   * Wait for the server's RECEIPT.
   *
   * @default {false}
   */
  receipt?: boolean | undefined;
  /** Extra headers for the COMMIT or ABORT frame. */
  headers?: StompHeadersInit | undefined;
}

/** The states of a {@linkcode StompTransaction}. */
export type StompTransactionState = "active" | "committed" | "aborted";

/**
 * A transaction begun by {@linkcode StompClient.begin}. A transaction lives
 * on one connection: if it is lost the broker aborts the transaction, its
 * {@linkcode StompTransaction.state} becomes `"aborted"`, and its methods
 * reject with a {@linkcode StompConnectionError} whose `cause` is the loss
 * (a `TypeError` stays the answer for a transaction the caller committed or
 * aborted). Disposing of an active transaction (`await using`) aborts it.
 *
 * @example Commit delivers, abort does not
 * ```ts
 * import { StompClient } from "@stomper/stomp/client";
 * import { fromConn } from "@stomper/stomp/transports";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen();
 * const transport = fromConn(await Deno.connect({ hostname: "127.0.0.1", port: broker.port }));
 * await using client = await StompClient.connect(transport);
 *
 * const dropped = await client.begin();
 * await dropped.send("/queue/orders", "never");
 * await dropped.abort({ receipt: true });
 *
 * const kept = await client.begin();
 * await kept.send("/queue/orders", "order 1");
 * await kept.commit({ receipt: true });
 * assertEquals(broker.depth("/queue/orders"), 1);
 * ```
 */
export interface StompTransaction extends AsyncDisposable {
  /** The transaction id. */
  readonly id: string;
  /**
   * Whether the transaction is active, committed or aborted (by the caller,
   * or by the broker with a lost connection, also one lost before the
   * broker confirmed the COMMIT: `commit()` rejected).
   */
  readonly state: StompTransactionState;
  /**
   * Sends a message that is delivered only if the transaction commits.
   *
   * @param destination Where to send.
   * @param body The body (text is sent as UTF-8).
   * @param options Receipt, content type and extra headers.
   * @returns A promise that settles when the frame is written, or with
   * `receipt: true` when the server confirms it.
   */
  send(
    destination: string,
    body?: StompBody,
    options?: TransactionSendOptions,
  ): Promise<void>;
  /**
   * Acknowledges a message as part of the transaction.
   *
   * @param message The message.
   * @param options Receipt and extra headers.
   * @returns A promise that settles when the ACK is written, or with
   * `receipt: true` when the server confirms it.
   */
  ack(message: StompMessage, options?: MessageAckOptions): Promise<void>;
  /**
   * Rejects a message as part of the transaction.
   *
   * @param message The message.
   * @param options Receipt and extra headers.
   * @returns A promise that settles when the NACK is written, or with
   * `receipt: true` when the server confirms it.
   */
  nack(message: StompMessage, options?: MessageAckOptions): Promise<void>;
  /**
   * Commits: the sends and acknowledgements take effect.
   *
   * @param options Receipt and extra headers.
   * @returns A promise that settles when COMMIT is written, or with
   * `receipt: true` when the server confirms it.
   */
  commit(options?: TransactionEndOptions): Promise<void>;
  /**
   * Aborts: the sends are dropped and the acknowledgements undone.
   *
   * @param options Receipt and extra headers.
   * @returns A promise that settles when ABORT is written, or with
   * `receipt: true` when the server confirms it.
   */
  abort(options?: TransactionEndOptions): Promise<void>;
}
