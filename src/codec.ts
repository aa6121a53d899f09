/**
 * The transport-neutral STOMP codec: frames, headers, builders, the encoder
 * and the decoder. It uses Web APIs only and runs anywhere WHATWG streams do.
 *
 * @example Encoding and decoding a frame
 * ```ts
 * import { encodeFrame, send, StompDecoder } from "@stomper/stomp/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const [frame] = new StompDecoder().push(encodeFrame(send("/queue/a", "hi")));
 * assertEquals(frame?.headers.get("destination"), "/queue/a");
 * assertEquals(frame?.text, "hi");
 * ```
 *
 * @module
 */

export * from "./builders.ts";
export * from "./decoder.ts";
export * from "./decoder_stream.ts";
export * from "./encoder.ts";
export * from "./errors.ts";
export * from "./frame.ts";
export * from "./headers.ts";
