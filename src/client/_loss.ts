// What a lost connection, a failed attempt or a stalled disconnect() is
// known to mean, said in its error: pure functions, kept out of the core.

import { StompSyntaxError } from "../errors.ts";
import type { StompFrame } from "../frame.ts";
import { StompConnectionError, StompTimeoutError } from "./errors.ts";
import type { OperationPhase } from "./_operation.ts";

/** What fails what was not written when disconnect() gave up with `ended`. */
export function notWritten(ended: Error): StompConnectionError {
  return new StompConnectionError(
    `Not written: disconnect() gave up: ${ended.message}`,
    { cause: ended },
  );
}

/**
 * The error of a disconnect() that made no progress for `timeout` ms: its
 * RECEIPT did not come, or nothing was written while what `outbox` holds
 * (DISCONNECT itself included, queued last) waited.
 */
export function disconnectStalled(
  timeout: number,
  phase: OperationPhase,
  outbox: { pending(): { frames: number; bytes: number } },
): StompTimeoutError {
  if (phase === "receipt") {
    return new StompTimeoutError(
      `No RECEIPT for DISCONNECT within ${timeout} ms`,
      timeout,
    );
  }
  const pending = outbox.pending();
  return new StompTimeoutError(
    `Cannot disconnect: nothing was written for ${timeout} ms (no connection, or the server does not read); ${
      pending.frames - 1
    } frames (${
      Math.max(0, pending.bytes - 64)
    } bytes) issued before DISCONNECT were not written`,
    timeout,
  );
}

/**
 * A lost connection with what is known of its cause, when it fits:
 * - a WebSocket the runtime closed for a text message that is not UTF-8
 *   (Deno says "Invalid UTF-8"): a binary body published to a text-mode
 *   endpoint (RabbitMQ's Web-STOMP with `ws_frame = text`) reaches every
 *   consumer so;
 * - RabbitMQ 3.10's Web-STOMP resets (no close frame, no other reason) a
 *   WebSocket connection that carries client heart-beats during a burst of
 *   sends (it logs `{unexpected_message,resume}` from rabbit_heartbeat);
 *   without client heart-beats the same burst goes through.
 */
export function lossHint(
  lost: StompConnectionError,
  server: string | undefined,
  sending: boolean,
): StompConnectionError {
  let cause: unknown = lost.cause;
  while (cause instanceof Error && cause.name !== "WebSocketClosedError") {
    cause = cause.cause;
  }
  // Not imported: the client does not pull the WebSocket transport in.
  const closed = cause as
    | { wasClean?: boolean; code?: number; reason?: string; detail?: string }
    | undefined;
  if (closed === undefined || closed.wasClean === true) return lost;
  const detail = closed.detail ?? "";
  if (/invalid utf-?8/i.test(detail)) {
    return new StompConnectionError(
      `${lost.message}: the server sent a text message that is not UTF-8: a binary body published to a text-mode endpoint (such as RabbitMQ's Web-STOMP with ws_frame = text) reaches its consumers so; publish binary bodies over TCP or a binary-mode endpoint`,
      { cause: lost.cause },
    );
  }
  // Only a close that says nothing else: no reason, or a reset.
  const reset = (closed.reason ?? "") === "" &&
    (detail === "" || /reset|eof|broken pipe/i.test(detail));
  if (
    !reset || (closed.code !== 0 && closed.code !== 1006) || !sending ||
    !/^RabbitMQ\//i.test(server ?? "")
  ) return lost;
  return new StompConnectionError(
    `${lost.message}: RabbitMQ's Web-STOMP is known to reset connections that carry client heart-beats during bursts of sends; use heartBeat: [0, N] (the server's heart-beats only) if the client sends at least once a minute (Web-STOMP closes a connection idle for 60 s)`,
    { cause: lost.cause },
  );
}

/**
 * A connection closed in answer to a CONNECT whose login or passcode holds
 * a backslash, with the likely cause: RabbitMQ (under every version) and
 * ActiveMQ read escapes in CONNECT, though the specification leaves it
 * unescaped, and RabbitMQ closes without an ERROR at one it does not know
 * (`p\dq`). A STOMP frame is escaped, and read right by both.
 */
export function escapedCredentials(
  error: unknown,
  connect: StompFrame,
): unknown {
  if (
    !(error instanceof StompConnectionError) || connect.command !== "CONNECT" ||
    !/\\/.test(
      `${connect.headers.get("login")}${connect.headers.get("passcode")}`,
    )
  ) return error;
  return new StompConnectionError(
    `${error.message}: the login or passcode holds a backslash, which RabbitMQ and ActiveMQ read as an escape in CONNECT; use command: "STOMP"`,
    { cause: error.cause },
  );
}

/**
 * Why an attempt failed whose connection ended after CONNECTED, before the
 * client was connected: the server's ERROR as itself (as before CONNECTED),
 * a frame that cannot be parsed named as such; anything else (a second
 * CONNECTED, a close) already says what happened.
 */
export function afterConnected(error: Error): Error {
  const cause = error.cause;
  if (!(cause instanceof StompSyntaxError)) return error;
  return new StompConnectionError(
    `Cannot connect: the server sent an unparseable frame after CONNECTED: ${cause.message}`,
    { cause },
  );
}
