/**
 * stomper: a Web-standard STOMP 1.0, 1.1 and 1.2 library.
 *
 * The codec turns frames into bytes and back with WHATWG streams, so it works
 * on anything that moves bytes: a `Deno.connect` connection, a WebSocket, a
 * `fetch` body, a Node socket turned into web streams.
 *
 * @example Round trip through the stream pair
 * ```ts
 * import { send, StompDecoderStream, StompEncoderStream } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([send("/queue/a", "hello")])
 *     .pipeThrough(new StompEncoderStream())
 *     .pipeThrough(new StompDecoderStream()),
 * );
 * assertEquals(frames[0]?.text, "hello");
 * ```
 *
 * @module
 */

export * from "./src/codec.ts";
export * from "./src/transports/mod.ts";
export * from "./src/client/mod.ts";
