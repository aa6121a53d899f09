/**
 * The errors of the client: {@linkcode StompServerError} for an ERROR frame,
 * {@linkcode StompConnectionError} for a connection that failed or is gone.
 *
 * @module
 */

import type { StompFrame } from "../frame.ts";

/**
 * The server sent an ERROR frame. The frame is kept whole: its `message`
 * header is the error message, its body often holds details (RabbitMQ sends
 * text, ActiveMQ a Java stack trace).
 *
 * @example Reading a server error
 * ```ts
 * import { error } from "@stomper/stomp";
 * import { StompServerError } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const failure = new StompServerError(
 *   error("Bad login", "Wrong passcode", { receiptId: "r-1" }),
 * );
 * assertEquals(failure.message, 'Server sent ERROR: "Bad login"');
 * assertEquals(failure.receiptId, "r-1");
 * assertEquals(failure.details, "Wrong passcode");
 * ```
 */
export class StompServerError extends Error {
  /** The ERROR frame. */
  readonly frame: StompFrame;

  /**
   * Constructs a new instance.
   *
   * @param frame The ERROR frame received.
   * @param options The error that this one explains, as `cause`.
   */
  constructor(frame: StompFrame, options?: ErrorOptions) {
    const summary = frame.headers.get("message");
    super(
      summary === undefined
        ? "Server sent ERROR without a message header"
        : `Server sent ERROR: ${JSON.stringify(summary)}`,
      options,
    );
    this.name = "StompServerError";
    this.frame = frame;
  }

  /** The `receipt-id` header: the frame the error answers, when known. */
  get receiptId(): string | undefined {
    return this.frame.headers.get("receipt-id");
  }

  /** The body of the ERROR frame as text (details, stack traces). */
  get details(): string {
    return this.frame.text;
  }
}

/**
 * The connection failed, was lost, or is not open: the transport ended or
 * errored, the server fell silent for longer than the heart-beat allows, a
 * timeout passed, or the client was closed. Every operation waiting on the
 * connection rejects with it; `cause` holds the underlying error, such as a
 * {@linkcode StompServerError}, a transport error or a `StompSyntaxError`.
 *
 * @example Wrapping a transport failure
 * ```ts
 * import { StompConnectionError } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const reset = new Error("connection reset");
 * const error = new StompConnectionError("Connection lost", { cause: reset });
 * assertEquals(error.cause, reset);
 * assertEquals(error.name, "StompConnectionError");
 * ```
 */
export class StompConnectionError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message What happened, in sentence case.
   * @param options The underlying error as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StompConnectionError";
  }
}
