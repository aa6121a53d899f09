/**
 * Encoding STOMP frames to bytes: {@linkcode encodeFrame} and
 * {@linkcode StompEncoderStream}.
 *
 * @module
 */

import { checkVersion, escapeHeader, escapes } from "./_escape.ts";
import { badBody } from "./_body.ts";
import { checkOptions } from "./_keys.ts";
import {
  HEARTBEAT,
  type Heartbeat,
  isStompCommand,
  type StompBody,
  type StompCommand,
  StompFrame,
  type StompVersion,
} from "./frame.ts";
import { StompHeaders, type StompHeadersInit } from "./headers.ts";
import {
  plainHeadBound,
  utf8Length,
  writeHeadEnd,
  writePlainHeaders,
} from "./_plain.ts";

const NUL = 0x00;
const LF = 0x0a;

/** A frame, or a plain object with the same shape, accepted by the encoder. */
export interface StompFrameLike {
  /** The command. */
  readonly command: StompCommand;
  /** The headers, in the order to write them. */
  readonly headers?: StompHeadersInit | undefined;
  /** The body; text is written as UTF-8. */
  readonly body?: StompBody | undefined;
}

/** Options for {@linkcode encodeFrame} and {@linkcode StompEncoderStream}. */
export interface EncodeOptions {
  /**
   * The negotiated protocol version, which decides header escaping (none for
   * 1.0; `\n`, `\c`, `\\` for 1.1; also `\r` for 1.2). CONNECT and CONNECTED
   * frames are never escaped.
   *
   * @default {"1.2"}
   */
  version?: StompVersion | undefined;
  /**
   * Whether a frame with a body gets a `content-length` header. `false`
   * leaves it out, so that the body ends at its NUL: ActiveMQ and Artemis
   * then take a SEND as a JMS TextMessage, not a BytesMessage. A body that
   * holds a NUL byte cannot be sent so, and is a `TypeError`.
   *
   * @default {true}
   */
  contentLength?: boolean | undefined;
}

const utf8 = new TextEncoder();
const HEARTBEAT_BYTES = new Uint8Array([LF]);

// Where the fast path writes a header block before it knows that it can.
let scratch = new Uint8Array(1024);

/**
 * The common case in one pass: every header name and value plain ASCII, so
 * nothing to escape or refuse under any version and one byte per character.
 * Writes the header block into the scratch buffer and returns its length, or
 * -1 for anything else, which the general path then encodes (or refuses).
 */
function plainHead(
  command: string,
  list: readonly string[],
  bodyLength: number,
  withLength: boolean,
): number {
  const size = plainHeadBound(command, list);
  if (size > scratch.length) scratch = new Uint8Array(size * 2);
  const at = writePlainHeaders(scratch, 0, command, list);
  return at === -1 ? -1 : writeHeadEnd(scratch, at, bodyLength, withLength);
}

/**
 * Encodes one frame (or a heart-beat) to bytes.
 *
 * The header block is measured, then one buffer is allocated for the whole
 * frame and the body is copied into it once. A `content-length` header is
 * written for every frame with a body (any `content-length` in the given
 * headers is replaced by the true length). Headers that cannot be written
 * faithfully under the version (a NUL anywhere; a LF, or a `:` in a name,
 * where escaping is off) throw a `TypeError`.
 *
 * @example Encoding a SEND frame
 * ```ts
 * import { encodeFrame, send } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = encodeFrame(send("/queue/a", "hi"));
 * assertEquals(
 *   new TextDecoder().decode(bytes),
 *   "SEND\ndestination:/queue/a\ncontent-length:2\n\nhi\0",
 * );
 * ```
 *
 * @param frame The frame, or {@linkcode HEARTBEAT}.
 * @param options Encoding options.
 * @returns The frame's bytes, a fresh `Uint8Array` that owns its buffer.
 */
export function encodeFrame(
  frame: StompFrameLike | Heartbeat,
  options: EncodeOptions = {},
): Uint8Array<ArrayBuffer> {
  const { version, contentLength } = encodeOptions(options, "encode frame");
  return encode(frame, version, contentLength);
}

/** Encoding options with their defaults filled in. */
interface EncodeSettings {
  version: StompVersion;
  contentLength: boolean;
}

/** The options checked (`null` is none), with their defaults; `what` is what fails otherwise. */
function encodeOptions(
  options: EncodeOptions,
  what: string,
): EncodeSettings {
  options = checkOptions(`Cannot ${what}`, options, [
    "version",
    "contentLength",
  ]);
  return {
    version: checkVersion(options.version ?? "1.2", `Cannot ${what}`),
    contentLength: options.contentLength !== false,
  };
}

function encode(
  frame: StompFrameLike | Heartbeat,
  version: StompVersion,
  withLength: boolean,
): Uint8Array<ArrayBuffer> {
  if (frame === HEARTBEAT) return HEARTBEAT_BYTES.slice();
  if (typeof frame !== "object" || frame === null) notAFrame(frame);
  const command = frame.command;
  if (!isStompCommand(command)) {
    if (command === undefined) notAFrame(frame);
    throw new TypeError(
      `Cannot encode frame: unknown command ${JSON.stringify(command)}`,
    );
  }
  const escaped = escapes(command, version);
  const body: Uint8Array = frame instanceof StompFrame
    ? frame.body
    : typeof frame.body === "string"
    ? utf8.encode(frame.body)
    : frame.body === undefined
    ? new Uint8Array(0)
    : frame.body instanceof Uint8Array
    ? frame.body
    : badBody("Cannot encode frame", frame.body);
  const headers = frame.headers instanceof StompHeaders
    ? frame.headers
    : new StompHeaders(frame.headers);

  if (!withLength) {
    const nul = body.indexOf(NUL);
    if (nul !== -1) {
      throw new TypeError(
        `Cannot encode frame: the ${command} body holds a NUL byte at offset ${nul}, which a frame without content-length cannot carry (its body ends at the first NUL)`,
      );
    }
  }
  const plain = plainHead(
    command,
    StompHeaders.flat(headers),
    body.length,
    withLength,
  );
  if (plain !== -1) {
    const out = new Uint8Array(plain + body.length + 1);
    out.set(scratch.subarray(0, plain));
    out.set(body, plain);
    out[out.length - 1] = NUL;
    return out;
  }

  let head = command + "\n";
  headers.forEach((value, name) => {
    if (name === "content-length") return;
    head += escapeHeader(name, true, escaped, version, command) + ":" +
      escapeHeader(value, false, escaped, version, command, name) + "\n";
  });
  if (body.length > 0 && withLength) {
    head += "content-length:" + body.length + "\n";
  }
  head += "\n";

  // Headers are nearly always ASCII, where the string's length is its byte
  // length: write on that assumption and measure only when it fails (a
  // non-ASCII character writes more bytes than it reads).
  let headLength = head.length;
  let out = new Uint8Array(headLength + body.length + 1);
  const { read, written } = utf8.encodeInto(head, out);
  if (read !== headLength || written !== headLength) {
    headLength = utf8Length(head);
    out = new Uint8Array(headLength + body.length + 1);
    utf8.encodeInto(head, out);
  }
  out.set(body, headLength);
  out[out.length - 1] = NUL;
  return out;
}

/** The `TypeError` for a value given to encode that is not a frame. */
function notAFrame(value: unknown): never {
  const kind = value === null
    ? "null"
    : value instanceof Uint8Array
    ? "a Uint8Array (bytes already encoded go to the byte stream as they are)"
    : typeof value === "object"
    ? "an object without a command"
    : typeof value === "undefined"
    ? "undefined"
    : `a ${typeof value}`;
  throw new TypeError(
    `Cannot encode frame: expected a frame or HEARTBEAT, got ${kind}`,
  );
}

/**
 * A `TransformStream` of frames and heart-beats to bytes: one chunk per frame
 * (so a chunk can go straight into one WebSocket message) and one `LF` per
 * {@linkcode HEARTBEAT}.
 *
 * The version can be changed while the stream runs, for example after the
 * CONNECTED frame has been received.
 *
 * @example Encoding frames through a stream
 * ```ts
 * import { HEARTBEAT, send, StompEncoderStream } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const input = [send("/queue/a", "x"), HEARTBEAT] as const;
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from(input).pipeThrough(new StompEncoderStream()),
 * );
 * assertEquals(chunks.length, 2);
 * assertEquals(chunks[1], new Uint8Array([0x0a]));
 * ```
 */
export class StompEncoderStream
  extends TransformStream<StompFrameLike | Heartbeat, Uint8Array<ArrayBuffer>> {
  #options: EncodeSettings;

  /**
   * Constructs a new instance.
   *
   * @param options Encoding options.
   */
  constructor(options: EncodeOptions = {}) {
    const state = encodeOptions(options, "create encoder");
    super({
      transform(frame, controller) {
        controller.enqueue(encode(frame, state.version, state.contentLength));
      },
    });
    this.#options = state;
  }

  /** The version whose escaping rules apply to the frames that follow. */
  get version(): StompVersion {
    return this.#options.version;
  }
  set version(version: StompVersion) {
    this.#options.version = checkVersion(version, "Cannot set encoder version");
  }
}
