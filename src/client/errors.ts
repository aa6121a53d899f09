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
 * said, whole: the `message` header, then the body (RabbitMQ's
 * `AMQP channel died: Reason: {shutdown, {connection_closing,
 * {server_initiated_close,320,<<"maintenance window">>}}}`), each run of
 * whitespace and line breaks made one space, cut at
 * {@linkcode StompServerError.MAX_MESSAGE_LENGTH} characters (500) with an
 * ellipsis. A body that repeats the header is not said twice; a binary body
 * is not shown, only its size; control characters become U+FFFD. The frame
 * is kept whole: {@linkcode StompServerError.details} holds the body as sent
 * (RabbitMQ sends text, ActiveMQ a Java stack trace).
 *
 * @example Reading a server error
 * ```ts
 * import { error } from "@stomper/stomp";
 * import { StompServerError } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const failure = new StompServerError(
 *   error("Unknown destination", "'/bogus' is not a valid destination.\nValid destination types are: /queue, /topic.\n", {
 *     receiptId: "r-1",
 *   }),
 * );
 * assertEquals(
 *   failure.message,
 *   "Unknown destination: '/bogus' is not a valid destination. Valid destination types are: /queue, /topic.",
 * );
 * assertEquals(failure.receiptId, "r-1");
 * assertEquals(failure.details.split("\n").length, 3);
 * ```
 */
export class StompServerError extends Error {
  /**
   * The longest message, in characters (UTF-16 code units), made from an
   * ERROR frame: long enough for any broker's reason, short enough for a
   * log line.
   */
  static readonly MAX_MESSAGE_LENGTH = 500;

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

  /** The body of the ERROR frame as text (details, stack traces), as sent. */
  get details(): string {
    return this.frame.text;
  }
}

// Enough bytes of the body for a message of MAX_MESSAGE_LENGTH characters,
// however much whitespace collapses: a huge body is never decoded whole.
const BODY_PREFIX_BYTES = 16 * 1024;
const WHITESPACE = /\s+/g;
// Control characters (C0, DEL, C1): once whitespace is collapsed, a terminal
// or a log must not receive the rest from a server.
const CONTROL = /\p{Cc}/gu;

/**
 * Runs of whitespace made one space, the ends trimmed, other control
 * characters made U+FFFD.
 */
function clean(text: string): string {
  return text.replace(WHITESPACE, " ").trim().replace(CONTROL, "\ufffd");
}

/** Whether `text` holds a C0 control other than whitespace, or DEL. */
function binary(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && (code < 0x09 || code > 0x0d)) || code === 0x7f) {
      return true;
    }
  }
  return false;
}

/**
 * The first bytes of the body as text, or `undefined` when they are not
 * text (invalid UTF-8, or control characters other than whitespace).
 */
function bodyText(frame: StompFrame): string | undefined {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let text = "";
  let left = BODY_PREFIX_BYTES;
  try {
    // Chunk by chunk: a body kept in chunks is not joined for this.
    for (const chunk of frame.bodyChunks) {
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      // `stream`: a character cut at the prefix's end is not an error.
      text += decoder.decode(part, { stream: true });
      left -= part.length;
      if (left === 0) break;
    }
  } catch {
    return undefined;
  }
  return binary(text) ? undefined : text;
}

/** `text` cut to `max` code units with an ellipsis, never inside a pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** The `message` header, then the body: what the server said. */
function describeError(frame: StompFrame): string {
  const max = StompServerError.MAX_MESSAGE_LENGTH;
  const summary = clean(frame.headers.get("message") ?? "");
  const size = frame.bodyLength;
  const text = size === 0 ? "" : bodyText(frame);
  if (text === undefined) {
    return cut(
      summary === ""
        ? `Server sent ERROR with a binary body of ${size} bytes`
        : `${summary} (binary body of ${size} bytes)`,
      max,
    );
  }
  const detail = clean(text);
  if (summary === "") {
    return cut(
      detail === ""
        ? "Server sent ERROR without a message"
        : `Server sent ERROR: ${detail}`,
      max,
    );
  }
  // A body that starts with the header says all of it.
  if (detail.startsWith(summary)) return cut(detail, max);
  return cut(detail === "" ? summary : `${summary}: ${detail}`, max);
}

/**
 * The connection failed, was lost, or is not open: the transport ended or
 * errored, the server fell silent for longer than the heart-beat allows, a
 * timeout passed, or the client was closed. Every operation waiting on the
 * connection rejects with it, at the latest when the client closes; `cause`
 * holds the underlying error, such as a {@linkcode StompServerError}, a
 * transport error or a `StompSyntaxError`. It is also the error of a protocol
 * violation by the server that the client cannot act on (its message says
 * so): acknowledging a MESSAGE sent without the `ack` header (STOMP 1.2) or
 * the `message-id` header (1.0, 1.1) that an ACK or NACK must name.
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
