/**
 * The decoder's options and size limits, shared by `StompDecoder`
 * (`decoder.ts`) and `StompDecoderStream` (`decoder_stream.ts`).
 *
 * @module
 */

import { checkOptions } from "./_keys.ts";
import type { StompSyntaxError } from "./errors.ts";
import type { StompVersion } from "./frame.ts";

/** Size limits of the decoder. Crossing one throws a `RangeError`. */
export interface DecodeLimits {
  /** Bytes in one header line (the command line included), without its EOL. */
  readonly maxHeaderLineBytes: number;
  /** Bytes in the whole header block: command line, headers and EOLs. */
  readonly maxHeaderBytes: number;
  /** Header lines in one frame. */
  readonly maxHeaders: number;
  /** Bytes in one frame body. */
  readonly maxBodyBytes: number;
}

/**
 * The default limits: 64 KiB per header line, 256 KiB of header block, 1000
 * headers, and 64 MiB of body. RabbitMQ accepts bodies up to 128 MiB and
 * ActiveMQ 100 MiB; raise `maxBodyBytes` to receive such frames.
 *
 * @example Reading the defaults
 * ```ts
 * import { DEFAULT_DECODE_LIMITS } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(DEFAULT_DECODE_LIMITS.maxHeaders, 1000);
 * ```
 */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxHeaderLineBytes: 64 * 1024,
  maxHeaderBytes: 256 * 1024,
  maxHeaders: 1000,
  maxBodyBytes: 64 * 1024 * 1024,
});

/**
 * Any of the {@linkcode DecodeLimits}; one left out, or `undefined`, keeps
 * its default from {@linkcode DEFAULT_DECODE_LIMITS}.
 */
export type DecodeLimitOptions = {
  readonly [Limit in keyof DecodeLimits]?: DecodeLimits[Limit] | undefined;
};

/** Options for `StompDecoder` and `StompDecoderStream`. */
export interface DecodeOptions extends DecodeLimitOptions {
  /**
   * The protocol version whose escaping rules apply to header values
   * (CONNECT and CONNECTED frames are never unescaped). It can be changed
   * later through the `version` property, once negotiated.
   *
   * @default {"1.2"}
   */
  version?: StompVersion | undefined;
  /**
   * Called for each heart-beat (an EOL between frames). Any received byte is
   * proof of liveness; this reports the ones that carry no frame.
   */
  onHeartbeat?: (() => void) | undefined;
  /**
   * Resynchronise after malformed input instead of failing: the error goes to
   * `onError`, the input is skipped up to and including the next NUL (the
   * likely end of the broken frame), and decoding carries on. Limit errors
   * (`RangeError`) are never skipped. Requires `onError`.
   *
   * @default {false}
   */
  resync?: boolean | undefined;
  /** Receives each syntax error skipped when `resync` is on. */
  onError?: ((error: StompSyntaxError) => void) | undefined;
  /**
   * Hand out a body that spans chunks without copying it: the frame keeps
   * the views of the chunks it arrived in (`StompFrame.bodyChunks`)
   * and joins them into one array only when its `body` (or `text`) is first
   * read. A consumer that writes the chunks on, or only needs
   * `StompFrame.bodyLength`, never pays for the copy. Pieces
   * under 1 KiB, and pieces whose chunk's buffer is much larger than they
   * are, are copied into blocks instead (a view per byte of a trickled body
   * would cost a hundred times the byte), so a frame holds at most about
   * twice its body.
   *
   * The views must stay valid: the source must hand out a fresh buffer per
   * chunk and never write into one it has handed out. Deno's
   * `conn.readable`, a WebSocket's messages, `fetch` bodies and the
   * transports of this package do; a reader that reuses one buffer for
   * every read (a BYOB reader, `conn.read(buffer)` into the same buffer)
   * does not. Each frame keeps the chunks it holds views of alive as long
   * as it is kept. `maxBodyBytes` bounds the body, and `buffered`, as
   * without the option.
   *
   * @default {false}
   */
  bodyChunks?: boolean | undefined;
}

/**
 * `options` checked (`null` is none): a value that is not an object, a name not known (a slip such as `maxBodyByte`, which
 * would leave that limit at its default) is a `TypeError`, as is `resync`
 * without `onError`; a limit that is not a non-negative integer is a
 * `RangeError`.
 *
 * @param options What the caller gave.
 * @returns The options, every limit set (to its default when not given).
 */
export function decodeOptions(
  options: DecodeOptions,
): DecodeOptions & DecodeLimits {
  options = checkOptions("Cannot create decoder", options, [
    ...Object.keys(DEFAULT_DECODE_LIMITS),
    "version",
    "onHeartbeat",
    "resync",
    "onError",
    "bodyChunks",
  ]);
  if (options.resync && options.onError === undefined) {
    throw new TypeError(
      "Cannot create decoder: resync needs an onError callback to report skipped input",
    );
  }
  const limits: Record<string, number> = { ...DEFAULT_DECODE_LIMITS };
  for (const name in limits) {
    const given = options[name as keyof DecodeLimits];
    if (given === undefined) continue;
    if (!Number.isSafeInteger(given) || given < 0) {
      throw new RangeError(
        `Cannot create decoder: ${name} must be a non-negative integer, got ${given}`,
      );
    }
    limits[name] = given;
  }
  return { ...options, ...limits as unknown as DecodeLimits };
}
