/**
 * The errors transports raise: {@linkcode TransportConnectError} when a
 * connection cannot be opened, {@linkcode WebSocketClosedError} when a
 * WebSocket closes abnormally.
 *
 * @module
 */

import { redactUrl } from "../_redact.ts";

/**
 * The cause, or a copy of it whose message no longer holds a URL's
 * credentials (the cause is shown by `Deno.inspect`, `console.error`).
 */
function redactCause(cause: unknown): unknown {
  if (!(cause instanceof Error)) return cause;
  const message = redactUrl(cause.message);
  if (message === cause.message) return cause;
  const copy = new Error(message);
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}

/**
 * A connection could not be opened: refused, timed out, aborted, or a TLS
 * certificate that did not verify. The underlying error is the `cause`.
 *
 * @example Catching a refused connection
 * ```ts
 * import { connectTcp, TransportConnectError } from "@stomper/stomp/transports";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * // A port that nothing listens on: bind one, then close it.
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const url = `tcp://127.0.0.1:${listener.addr.port}`;
 * listener.close();
 *
 * const error = await assertRejects(() => connectTcp(url), TransportConnectError);
 * assertEquals(error.url, url);
 * ```
 */
export class TransportConnectError extends Error {
  /** The URL that could not be reached, its password shown as `***`. */
  readonly url: string;

  /**
   * Constructs a new instance.
   *
   * Credentials in the URL, in the message or in the cause's message (a
   * runtime's error may quote the URL) are shown as `***`.
   *
   * @param message What went wrong, in sentence case.
   * @param options The URL, and the underlying error as `cause`.
   */
  constructor(
    message: string,
    options: { url: string; cause?: unknown },
  ) {
    super(
      redactUrl(message),
      "cause" in options ? { cause: redactCause(options.cause) } : undefined,
    );
    this.name = "TransportConnectError";
    this.url = redactUrl(options.url);
  }
}

/** Options of {@linkcode WebSocketClosedError}. */
export interface WebSocketClosedErrorOptions {
  /**
   * Whether the closing handshake completed (the `wasClean` of the close
   * event).
   *
   * @default {false}
   */
  wasClean?: boolean | undefined;
  /** Words put before the close code in the message, saying what failed. */
  context?: string | undefined;
  /**
   * What the runtime said went wrong, when it said (Deno's error event has a
   * message such as "Invalid UTF-8"; browsers give none).
   */
  detail?: string | undefined;
}

/**
 * A WebSocket closed without a normal closure: the peer sent a close code
 * other than 1000 (or none), or the connection dropped (code 1006). The
 * readable side of a WebSocket transport errors with it, and writes after the
 * socket closed reject with it.
 *
 * @example Reading the close code
 * ```ts
 * import { WebSocketClosedError } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new WebSocketClosedError(1011, "internal error");
 * assertEquals(error.code, 1011);
 * assertEquals(error.reason, "internal error");
 * assertEquals(error.message, 'WebSocket closed with code 1011: "internal error"');
 * const dropped = new WebSocketClosedError(0, "", { detail: "Unexpected EOF" });
 * assertEquals(dropped.detail, "Unexpected EOF");
 * assertEquals(dropped.message, "WebSocket closed with code 0 (Unexpected EOF)");
 * ```
 */
export class WebSocketClosedError extends Error {
  /** The close code (1006 when the connection dropped without one). */
  readonly code: number;
  /** The close reason sent by the peer; empty when none. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
  /**
   * What the runtime said went wrong (such as Deno's "Invalid UTF-8" or
   * "Unexpected EOF"); empty when it said nothing, as browsers do.
   */
  readonly detail: string;

  /**
   * Constructs a new instance.
   *
   * @param code The close code.
   * @param reason The close reason.
   * @param options Whether the close was clean, and context for the message.
   */
  constructor(
    code: number,
    reason: string,
    options: WebSocketClosedErrorOptions = {},
  ) {
    const prefix = options.context === undefined ? "" : `${options.context}: `;
    const detail = options.detail === undefined || options.detail === ""
      ? ""
      : ` (${options.detail})`;
    super(
      `${prefix}WebSocket closed with code ${code}${
        reason === "" ? "" : `: ${JSON.stringify(reason)}`
      }${detail}`,
    );
    this.name = "WebSocketClosedError";
    this.code = code;
    this.reason = reason;
    this.wasClean = options.wasClean ?? false;
    this.detail = options.detail ?? "";
  }
}
