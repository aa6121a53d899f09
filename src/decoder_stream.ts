/**
 * Decoding a byte stream to STOMP frames: {@linkcode StompDecoderStream},
 * the `TransformStream` around the synchronous `StompDecoder`.
 *
 * @module
 */

import type { DecodeOptions } from "./_decode_options.ts";
import { StompDecoder } from "./decoder.ts";
import type { StompFrame, StompVersion } from "./frame.ts";

/**
 * A `TransformStream` of bytes to STOMP frames, wrapping
 * {@linkcode StompDecoder}.
 *
 * Heart-beats go to `onHeartbeat`; malformed input errors the stream with a
 * `StompSyntaxError` (or, with `resync`, goes to `onError`); input
 * that ends inside a frame errors the stream too.
 *
 * @example Decoding a byte stream
 * ```ts
 * import { StompDecoderStream } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = new TextEncoder().encode("RECEIPT\nreceipt-id:7\n\n\0\n");
 * let heartbeats = 0;
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([bytes.subarray(0, 5), bytes.subarray(5)])
 *     .pipeThrough(new StompDecoderStream({ onHeartbeat: () => heartbeats++ })),
 * );
 * assertEquals(frames.map((f) => f.headers.get("receipt-id")), ["7"]);
 * assertEquals(heartbeats, 1);
 * ```
 */
export class StompDecoderStream
  extends TransformStream<Uint8Array, StompFrame> {
  #decoder: StompDecoder;

  /**
   * Constructs a new instance.
   *
   * @param options Version, limits, heart-beat, resync and body options.
   */
  constructor(options: DecodeOptions = {}) {
    const decoder = new StompDecoder(options);
    super({
      transform(chunk, controller) {
        decoder.decode(chunk, (frame) => controller.enqueue(frame));
      },
      flush() {
        decoder.end();
      },
    });
    this.#decoder = decoder;
  }

  /** The version whose escaping rules apply to the frames that follow. */
  get version(): StompVersion {
    return this.#decoder.version;
  }
  set version(version: StompVersion) {
    this.#decoder.version = version;
  }
}
