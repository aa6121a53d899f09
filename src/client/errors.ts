/**
 * The errors of the client: {@linkcode StompServerError} for an ERROR frame,
 * {@linkcode StompConnectionError} for a connection that failed or is gone,
 * {@linkcode StompTimeoutError} for an operation that took too long,
 * {@linkcode StompCallbackError} for a callback of the options that threw.
 *
 * @module
 */

import type { StompFrame } from "../frame.ts";

/**
 * The server sent an ERROR frame. The error's message says what the server
 * said: the `message` header, then the first line of the body (RabbitMQ's
 * `Bad CONNECT: Access refused for user 'guest'`). The frame is kept whole:
 * the body often holds more (RabbitMQ sends text, ActiveMQ a Java stack
 * trace).
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
 * assertEquals(failure.message, "Bad login: Wrong passcode");
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
    super(describeError(frame), options);
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

// Long enough for any broker's reason, short enough for a log line.
const MAX_DETAIL = 200;

/** The `message` header, then the first line of the body: what the server said. */
function describeError(frame: StompFrame): string {
  const summary = frame.headers.get("message")?.trim() ?? "";
  let detail = "";
  for (const line of frame.text.split("\n")) {
    detail = line.trim();
    if (detail !== "") break;
  }
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}…`;
  if (summary === "") {
    return detail === ""
      ? "Server sent ERROR without a message"
      : `Server sent ERROR: ${detail}`;
  }
  return detail === "" || detail === summary
    ? summary
    : `${summary}: ${detail}`;
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

/**
 * An operation did not complete within its timeout: no RECEIPT came (see the
 * client's `receiptTimeout`), there was no room in the send buffer, or no
 * connection, in time. An operation that had not been written yet is taken
 * out of the outgoing queue, so nothing of it reaches the server.
 *
 * @example Telling a timeout apart
 * ```ts
 * import { StompTimeoutError } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new StompTimeoutError("No RECEIPT for SEND within 100 ms", 100);
 * assertEquals(error.name, "StompTimeoutError");
 * assertEquals(error.timeout, 100);
 * ```
 */
export class StompTimeoutError extends Error {
  /** The timeout that passed, in milliseconds. */
  readonly timeout: number;

  /**
   * Constructs a new instance.
   *
   * @param message What did not happen in time, in sentence case.
   * @param timeout The timeout in milliseconds.
   * @param options The underlying error as `cause`.
   */
  constructor(message: string, timeout: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "StompTimeoutError";
    this.timeout = timeout;
  }
}

/**
 * A MESSAGE frame came for a subscription the client does not have (one it
 * unsubscribed, whose messages were already on their way, or one it never
 * made), and no `onUnhandledMessage` option took it: the message is
 * dropped, the connection carries on, and this error reaches `onError` with
 * the frame.
 *
 * @example Reading the dropped frame
 * ```ts
 * import { message } from "@stomper/stomp";
 * import { StompUnhandledMessageError } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = message("/queue/a", "late", { messageId: "m-1", subscription: "sub-9" });
 * const error = new StompUnhandledMessageError(frame);
 * assertEquals(
 *   error.message,
 *   'MESSAGE for unknown subscription "sub-9" dropped (message-id "m-1", destination "/queue/a"): pass the client option onUnhandledMessage to take such messages',
 * );
 * assertEquals(error.frame.text, "late");
 * ```
 */
export class StompUnhandledMessageError extends Error {
  /** The MESSAGE frame that was dropped. */
  readonly frame: StompFrame;

  /**
   * Constructs a new instance.
   *
   * @param frame The MESSAGE frame nobody took.
   */
  constructor(frame: StompFrame) {
    const h = frame.headers;
    super(
      `MESSAGE for unknown subscription ${
        JSON.stringify(h.get("subscription") ?? "(none)")
      } dropped (message-id ${
        JSON.stringify(h.get("message-id") ?? "")
      }, destination ${
        JSON.stringify(h.get("destination") ?? "")
      }): pass the client option onUnhandledMessage to take such messages`,
    );
    this.name = "StompUnhandledMessageError";
    this.frame = frame;
  }
}

/**
 * A callback given in the client's options (`trace`, `onStateChange`,
 * `onUnhandledMessage`, `reconnect.onFailedAttempt`, `reconnect.random`)
 * threw, or the promise it returned rejected. The client caught it, counted
 * it in `stats.callbackErrors` and went on as if the callback had returned;
 * this error reaches `onError`, naming the callback in {@linkcode hook} with
 * what it threw as `cause`. When `onError` itself throws (or there is no
 * `onError`), the client writes one line with `console.error`, once in its
 * life, and only counts what follows.
 *
 * @example Telling whose callback failed
 * ```ts
 * import { StompCallbackError } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const thrown = new SyntaxError("Unexpected token");
 * const error = new StompCallbackError("onUnhandledMessage", thrown);
 * assertEquals(error.hook, "onUnhandledMessage");
 * assertEquals(error.cause, thrown);
 * assertEquals(
 *   error.message,
 *   "Callback onUnhandledMessage threw: Unexpected token",
 * );
 * ```
 */
export class StompCallbackError extends Error {
  /** The option whose callback threw, such as `"onStateChange"`. */
  readonly hook: string;

  /**
   * Constructs a new instance.
   *
   * @param hook The name of the option whose callback threw.
   * @param cause What it threw (or its promise rejected with).
   */
  constructor(hook: string, cause: unknown) {
    super(
      `Callback ${hook} threw: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "StompCallbackError";
    this.hook = hook;
  }
}
