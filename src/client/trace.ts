/**
 * Seeing the wire: the events of the client's `trace` option
 * ({@linkcode StompTraceEvent}), a one-line logger for them
 * ({@linkcode traceLogger}), the redaction they go through
 * ({@linkcode redactFrame}), and the counters of `StompClient.stats`
 * ({@linkcode StompClientStats}).
 *
 * @example Logging every frame and heart-beat
 * ```ts
 * import { StompClient, traceLogger } from "@stomper/stomp/client";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen();
 * const lines: string[] = [];
 * await using client = await StompClient.connectUrl(broker.url, {
 *   trace: traceLogger((line) => lines.push(line)),
 * });
 * assertEquals(lines[0]?.startsWith(">>> CONNECT accept-version:1.0,1.1,1.2"), true);
 * assertEquals(lines[1]?.startsWith("<<< CONNECTED version:1.2"), true);
 * assertEquals(client.stats.framesIn, 1);
 * ```
 *
 * @module
 */

import { StompFrame } from "../frame.ts";
import { StompHeaders } from "../headers.ts";
import { isSecretName, REDACTED, secretNames } from "../_redact.ts";

/**
 * What the client's `trace` option is called with: one frame or heart-beat
 * that went over the wire, in either direction, in wire order.
 *
 * Outgoing events are taken from the very bytes each write hands to the
 * transport (decoded again), so they show what was sent however it was
 * encoded, frames written together in one write included. Incoming ones are
 * the frames as decoded, before the client acts on them. Headers whose names
 * look secret are shown as `***` (see {@linkcode redactFrame}); what is sent
 * and received is never changed.
 *
 * @example A hook that keeps the sizes
 * ```ts
 * import type { StompTraceEvent } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const sizes: string[] = [];
 * const trace = (event: StompTraceEvent) =>
 *   sizes.push(`${event.direction} ${event.frame?.command ?? "heart-beat"} ${event.bytes}`);
 * trace({ direction: "in", frame: undefined, bytes: 1, connection: 1 });
 * assertEquals(sizes, ["in heart-beat 1"]);
 * ```
 */
export interface StompTraceEvent {
  /** `"out"` for what the client wrote, `"in"` for what it received. */
  readonly direction: "in" | "out";
  /**
   * The frame, redacted; `undefined` for a heart-beat (an EOL between
   * frames, which is also how the EOLs some servers put after each frame
   * are counted). Its body may be a view of the bytes read or written: do
   * not change it.
   */
  readonly frame: StompFrame | undefined;
  /**
   * Its exact size on the wire, in bytes: for a frame from its command to
   * its NUL, for a heart-beat 1 (LF) or 2 (CR LF).
   */
  readonly bytes: number;
  /** The number of the connection, from 1 (each reconnection adds one). */
  readonly connection: number;
}

/**
 * The counters of `StompClient.stats`, over every connection of the client.
 * They are kept whether or not anyone reads them, per write and per read
 * rather than per byte.
 *
 * @example Reading the counters
 * ```ts
 * import { StompClient } from "@stomper/stomp/client";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen();
 * await using client = await StompClient.connectUrl(broker.url);
 * await client.send("/queue/stats", "hello", { receipt: true });
 * const stats = client.stats;
 * assertEquals(stats.framesOut, 2); // CONNECT, SEND
 * assertEquals(stats.framesIn, 2); // CONNECTED, RECEIPT
 * assertEquals(typeof stats.lastReceivedAt, "number");
 * ```
 */
export interface StompClientStats {
  /** Frames received (heart-beats not counted). */
  readonly framesIn: number;
  /** Frames written to the transport (heart-beats not counted). */
  readonly framesOut: number;
  /** Bytes received, heart-beats included. */
  readonly bytesIn: number;
  /** Bytes written to the transport, heart-beats included. */
  readonly bytesOut: number;
  /**
   * MESSAGE frames handed to a subscription (buffered, perhaps not yet read)
   * or to the request they reply to.
   */
  readonly messages: number;
  /**
   * MESSAGE frames for a subscription the client does not have (see the
   * `onUnhandledMessage` option), replies after their request ended
   * included.
   */
  readonly unhandled: number;
  /**
   * Deliveries for a subscription unsubscribed on this connection, on their
   * way when its UNSUBSCRIBE went out: a MESSAGE, or RabbitMQ's ERROR
   * "Subscription not found" in its place (the connection stays open).
   * Dropped without a report; the broker delivers unacknowledged ones again.
   */
  readonly lateDeliveries: number;
  /** ACK frames issued (acknowledgements that were queued to be written). */
  readonly acks: number;
  /** NACK frames issued. */
  readonly nacks: number;
  /** Connections made after the first one (successful reconnections). */
  readonly reconnects: number;
  /**
   * Exceptions (and rejected promises) of the callbacks in the options,
   * `onError` included: each was caught, the client went on (see
   * `StompCallbackError`).
   */
  readonly callbackErrors: number;
  /**
   * When the last bytes were received, in milliseconds since the epoch
   * (`Date.now()`, whatever the client's `timers`); `undefined` before any.
   */
  readonly lastReceivedAt: number | undefined;
}

/**
 * The frame as a trace may show it: a copy whose secret-looking header
 * values are replaced by `***`, or the frame itself when it has none. A
 * header is secret when its name contains, in any case, `auth`, `token`,
 * `secret`, `pass`, `key`, `cookie`, `session` or `credential` (so
 * `passcode`, `Authorization`, `api-key`, `JSESSIONID` and the like; not
 * STOMP's own `session` header, an id brokers repeat in every ack id), or
 * when it is one of `names`. Bodies are kept as they are.
 *
 * @example Hiding the passcode of a CONNECT, and a header of one's own
 * ```ts
 * import { connect, StompFrame } from "@stomper/stomp";
 * import { redactFrame } from "@stomper/stomp/client";
 * import { assertEquals, assertStrictEquals } from "@std/assert";
 *
 * const frame = connect({ host: "/", login: "guest", passcode: "guest" });
 * const shown = redactFrame(frame);
 * assertEquals(shown.headers.get("login"), "guest");
 * assertEquals(shown.headers.get("passcode"), "***");
 * assertEquals(frame.headers.get("passcode"), "guest"); // unchanged
 * const plain = new StompFrame("SEND", { destination: "/queue/a" });
 * assertStrictEquals(redactFrame(plain), plain);
 * const own = new StompFrame("SEND", { "x-signature": "c2ln" });
 * assertEquals(redactFrame(own, ["X-Signature"]).headers.get("x-signature"), "***");
 * ```
 *
 * @param frame A frame.
 * @param names More header names to hide, compared without case.
 * @returns The frame, or a redacted copy of it.
 */
export function redactFrame(
  frame: StompFrame,
  names?: readonly string[],
): StompFrame {
  const extra = names === undefined || names.length === 0
    ? undefined
    : secretNames(names);
  const list = StompHeaders.flat(frame.headers);
  let copy: string[] | undefined;
  for (let i = 0; i < list.length; i += 2) {
    if (!isSecretName(list[i]!, extra)) continue;
    copy ??= list.slice();
    copy[i + 1] = REDACTED;
  }
  return copy === undefined
    ? frame
    : new StompFrame(frame.command, StompHeaders.fromFlat(copy), frame.body);
}

// How much of a body a trace line shows.
const BODY_PREVIEW = 32;
// Marked pure so that bundlers drop it with formatTraceEvent when a program
// does not format trace lines (a `new` at module level is kept otherwise).
const lenient = /* @__PURE__ */ new TextDecoder("utf-8", { ignoreBOM: true });

/** The text on one line: control characters and backslashes escaped. */
function oneLine(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) {
      return JSON.stringify(text).slice(1, -1);
    }
  }
  return text;
}

/**
 * One line for a trace event: `>>>` for out, `<<<` for in, then the command
 * and each header as `name:value` (control characters escaped), then up to
 * the first 32 bytes of the body as a JSON string (followed by `...` when
 * there is more), then the size on the wire. A heart-beat is
 * `<<< heart-beat (1 B)`.
 *
 * @example Formatting a SEND and a heart-beat
 * ```ts
 * import { StompFrame } from "@stomper/stomp";
 * import { formatTraceEvent } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = new StompFrame(
 *   "SEND",
 *   { destination: "/queue/a", "content-length": "5" },
 *   "hello",
 * );
 * assertEquals(
 *   formatTraceEvent({ direction: "out", frame, bytes: 50, connection: 1 }),
 *   '>>> SEND destination:/queue/a content-length:5 body:"hello" (50 B)',
 * );
 * assertEquals(
 *   formatTraceEvent({ direction: "in", frame: undefined, bytes: 1, connection: 1 }),
 *   "<<< heart-beat (1 B)",
 * );
 * ```
 *
 * @param event A trace event.
 * @returns The line, without a line break.
 */
export function formatTraceEvent(event: StompTraceEvent): string {
  const arrow = event.direction === "out" ? ">>>" : "<<<";
  const frame = event.frame;
  if (frame === undefined) return `${arrow} heart-beat (${event.bytes} B)`;
  let line = `${arrow} ${frame.command}`;
  const list = StompHeaders.flat(frame.headers);
  for (let i = 0; i < list.length; i += 2) {
    line += ` ${oneLine(list[i]!)}:${oneLine(list[i + 1]!)}`;
  }
  const length = frame.bodyLength;
  if (length > 0) {
    const preview = frame.body.subarray(0, BODY_PREVIEW);
    line += ` body:${JSON.stringify(lenient.decode(preview))}${
      length > BODY_PREVIEW ? "..." : ""
    }`;
  }
  return `${line} (${event.bytes} B)`;
}

/**
 * A trace hook that writes one line per event (see
 * {@linkcode formatTraceEvent}): give it as the client's `trace` option.
 *
 * @example Tracing to the error stream, or into a list
 * ```ts
 * import { traceLogger } from "@stomper/stomp/client";
 * import { assertEquals } from "@std/assert";
 *
 * const toStderr = traceLogger(); // console.error
 * assertEquals(typeof toStderr, "function");
 * const lines: string[] = [];
 * const trace = traceLogger((line) => lines.push(line));
 * trace({ direction: "out", frame: undefined, bytes: 1, connection: 1 });
 * assertEquals(lines, [">>> heart-beat (1 B)"]);
 * ```
 *
 * @param write Receives each line.
 * @returns The hook.
 */
export function traceLogger(
  write: (line: string) => void = console.error,
): (event: StompTraceEvent) => void {
  return (event) => write(formatTraceEvent(event));
}
