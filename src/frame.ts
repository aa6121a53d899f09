/**
 * The STOMP frame model: commands, versions and frames.
 *
 * @module
 */

import { concat } from "@std/bytes";
import { badBody } from "./_body.ts";
import { StompHeaders, type StompHeadersInit } from "./headers.ts";

/**
 * Commands a client sends.
 *
 * @example Telling client frames apart
 * ```ts
 * import { CLIENT_COMMANDS } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(CLIENT_COMMANDS.includes("SEND"), true);
 * assertEquals(CLIENT_COMMANDS.length, 11);
 * ```
 */
export const CLIENT_COMMANDS = [
  "CONNECT",
  "STOMP",
  "SEND",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "ACK",
  "NACK",
  "BEGIN",
  "COMMIT",
  "ABORT",
  "DISCONNECT",
] as const;

/**
 * Commands a server sends.
 *
 * @example Listing server commands
 * ```ts
 * import { SERVER_COMMANDS } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(SERVER_COMMANDS, ["CONNECTED", "MESSAGE", "RECEIPT", "ERROR"]);
 * ```
 */
export const SERVER_COMMANDS = [
  "CONNECTED",
  "MESSAGE",
  "RECEIPT",
  "ERROR",
] as const;

/**
 * The 15 STOMP commands, client side then server side.
 *
 * @example Counting the commands
 * ```ts
 * import { COMMANDS } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(COMMANDS.length, 15);
 * ```
 */
export const COMMANDS = [...CLIENT_COMMANDS, ...SERVER_COMMANDS] as const;

/** A STOMP command. Commands are case-sensitive. */
export type StompCommand = typeof COMMANDS[number];

const COMMAND_SET: ReadonlySet<string> = new Set(COMMANDS);

/**
 * Whether a string is one of the 15 STOMP commands (case-sensitive).
 *
 * @example Checking a command
 * ```ts
 * import { isStompCommand } from "@stomper/stomp";
 * import { assert } from "@std/assert";
 *
 * assert(isStompCommand("SEND"));
 * assert(!isStompCommand("send"));
 * ```
 *
 * @param value The string to test.
 * @returns `true` for a STOMP command.
 */
export function isStompCommand(value: string): value is StompCommand {
  return COMMAND_SET.has(value);
}

/**
 * The STOMP protocol versions.
 *
 * @example Offering every version
 * ```ts
 * import { VERSIONS } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(VERSIONS.join(","), "1.0,1.1,1.2");
 * ```
 */
export const VERSIONS = ["1.0", "1.1", "1.2"] as const;

/** A STOMP protocol version. */
export type StompVersion = typeof VERSIONS[number];

/**
 * Stands for a heart-beat (one EOL on the wire) in a stream of frames given to
 * {@linkcode StompEncoderStream}.
 *
 * @example Writing a heart-beat
 * ```ts
 * import { encodeFrame, HEARTBEAT } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(encodeFrame(HEARTBEAT), new Uint8Array([0x0a]));
 * ```
 */
export const HEARTBEAT: unique symbol = Symbol("stomp.heartbeat");

/** The type of {@linkcode HEARTBEAT}. */
export type Heartbeat = typeof HEARTBEAT;

const EMPTY_BODY = new Uint8Array(0);
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * A frame body: bytes, or text that is stored as its UTF-8 bytes.
 */
export type StompBody = Uint8Array | string;

/**
 * A STOMP frame: a command, ordered headers and a body of bytes.
 *
 * The body is always a `Uint8Array` (a string given to the constructor is
 * stored as UTF-8); {@linkcode StompFrame.text} decodes it on demand. Frames
 * made by the decoder hold views of the input when the body lay inside one
 * chunk. A frame made by {@linkcode StompFrame.fromChunks} (as the decoder
 * does with its `bodyChunks` option) holds its body as a list of views,
 * {@linkcode StompFrame.bodyChunks}, and joins them into one array when `body`
 * is first read.
 *
 * @example Building and reading a frame
 * ```ts
 * import { StompFrame } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = new StompFrame("SEND", { destination: "/queue/a" }, "hello");
 * assertEquals(frame.headers.get("destination"), "/queue/a");
 * assertEquals(frame.body.length, 5);
 * assertEquals(frame.text, "hello");
 * ```
 */
export class StompFrame {
  /** The command. */
  readonly command: StompCommand;
  /** The headers in wire order. */
  readonly headers: StompHeaders;
  /**
   * The body bytes (empty when the frame has no body). For a frame made by
   * {@linkcode StompFrame.fromChunks}, the chunks are joined into one new
   * array when this is first read, and that array is kept.
   */
  readonly body: Uint8Array;
  /** The body's chunks, until `body` joins them; else `undefined`. */
  #chunks: readonly Uint8Array[] | undefined;

  /**
   * Constructs a new instance.
   *
   * @param command One of the 15 STOMP commands.
   * @param headers The headers (copied unless already a `StompHeaders`).
   * @param body The body; text is stored as UTF-8.
   */
  constructor(
    command: StompCommand,
    headers?: StompHeadersInit,
    body?: StompBody,
  ) {
    if (!isStompCommand(command)) {
      throw new TypeError(
        `Cannot create frame: unknown command ${JSON.stringify(command)}`,
      );
    }
    this.command = command;
    this.headers = headers instanceof StompHeaders
      ? headers
      : new StompHeaders(headers);
    this.body = body === undefined
      ? EMPTY_BODY
      : typeof body === "string"
      ? utf8Encoder.encode(body)
      : body instanceof Uint8Array
      ? body
      : badBody("Cannot create frame", body);
  }

  /**
   * A frame whose body is the given chunks one after the other, kept as they
   * are: no copy is made until `body` is first read, which joins them into
   * one new array (and lets go of the chunks). The list is copied, the
   * chunks are not, so they must not change while the frame is in use.
   * Empty chunks are left out; with at most one chunk left, that chunk is
   * the body.
   *
   * @example A body in two pieces
   * ```ts
   * import { StompFrame } from "@stomper/stomp";
   * import { assertEquals, assertStrictEquals } from "@std/assert";
   *
   * const hel = new TextEncoder().encode("hel");
   * const lo = new TextEncoder().encode("lo");
   * const frame = StompFrame.fromChunks("MESSAGE", { id: "1" }, [hel, lo]);
   * assertEquals(frame.bodyLength, 5);
   * assertStrictEquals(frame.bodyChunks[1], lo);
   * assertEquals(frame.text, "hello");
   * ```
   *
   * @param command One of the 15 STOMP commands.
   * @param headers The headers (copied unless already a `StompHeaders`).
   * @param chunks The body, in order.
   * @returns The frame.
   */
  static fromChunks(
    command: StompCommand,
    headers: StompHeadersInit | undefined,
    chunks: readonly Uint8Array[],
  ): StompFrame {
    const kept: Uint8Array[] = [];
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(
          `Cannot create frame: body chunk ${i} is not a Uint8Array`,
        );
      }
      if (chunk.length > 0) kept.push(chunk);
    }
    if (kept.length <= 1) return new StompFrame(command, headers, kept[0]);
    const frame = new StompFrame(command, headers);
    frame.#chunks = Object.freeze(kept);
    // An own, enumerable accessor where `body` was, so that the frame
    // compares, clones and encodes as one holding the joined body.
    Object.defineProperty(frame, "body", {
      get: () => frame.#join(),
      enumerable: true,
      configurable: true,
    });
    return frame;
  }

  /**
   * The body as a list of views: the chunks it arrived in, for a frame made
   * by {@linkcode StompFrame.fromChunks} whose `body` has not been read;
   * otherwise `[body]`, or `[]` when the body is empty. Writing these one by
   * one writes the body without joining it.
   *
   * @example Reading a body without joining it
   * ```ts
   * import { StompFrame } from "@stomper/stomp";
   * import { assertEquals } from "@std/assert";
   *
   * const frame = new StompFrame("SEND", {}, "hi");
   * assertEquals(frame.bodyChunks, [frame.body]);
   * assertEquals(new StompFrame("SEND").bodyChunks, []);
   * ```
   *
   * @returns The body's chunks, in order.
   */
  get bodyChunks(): readonly Uint8Array[] {
    if (this.#chunks !== undefined) return this.#chunks;
    const body = this.body;
    return body.length === 0 ? [] : [body];
  }

  /**
   * The body's length in bytes, without joining its chunks.
   *
   * @example The length of a body
   * ```ts
   * import { StompFrame } from "@stomper/stomp";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new StompFrame("SEND", {}, "héllo").bodyLength, 6);
   * ```
   *
   * @returns The number of body bytes.
   */
  get bodyLength(): number {
    const chunks = this.#chunks;
    if (chunks === undefined) return this.body.length;
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    return length;
  }

  /** Joins the chunks into the body, once; `body` is plain data from then on. */
  #join(): Uint8Array {
    const body = concat(this.#chunks as Uint8Array[]);
    this.#chunks = undefined;
    Object.defineProperty(this, "body", {
      value: body,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    return body;
  }

  /**
   * The body decoded as UTF-8 (invalid sequences become U+FFFD).
   *
   * @returns The body text.
   */
  get text(): string {
    return utf8Decoder.decode(this.body);
  }
}
