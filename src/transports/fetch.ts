/**
 * STOMP frames in HTTP bodies: {@linkcode decodeBody} reads the frames of a
 * `Response` (or `Request`) body, {@linkcode encodeBody} turns frames into a
 * body stream for `fetch` or a `Response`. Web APIs only.
 *
 * Both are thin: a body is a byte stream, so decoding is
 * `body.pipeThrough(new StompDecoderStream())` and encoding is a frame stream
 * piped through a {@linkcode StompEncoderStream}. The helpers add the checks
 * (a missing or used body) and accept iterables of frames.
 *
 * @module
 */

import { typeName } from "../_type_name.ts";
import {
  type DecodeOptions,
  type EncodeOptions,
  type Heartbeat,
  StompDecoderStream,
  StompEncoderStream,
  type StompFrame,
  type StompFrameLike,
} from "../codec.ts";

/** What {@linkcode encodeBody} takes: frames and heart-beats, in order. */
export type FrameSource =
  | Iterable<StompFrameLike | Heartbeat>
  | AsyncIterable<StompFrameLike | Heartbeat>
  | ReadableStream<StompFrameLike | Heartbeat>;

/** What a wrong argument was, for a message. */
function given(value: unknown, text: string, bytes: string): string {
  if (typeof value === "string") return `a string${text}`;
  if (value instanceof Uint8Array) return `a Uint8Array${bytes}`;
  return typeName(value);
}

/**
 * Decodes the STOMP frames of an HTTP body.
 *
 * @example Reading frames from a response
 * ```ts
 * import { decodeBody } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * const response = new Response("MESSAGE\ndestination:/q\n\nhi\0\n");
 * const frames = await Array.fromAsync(decodeBody(response));
 * assertEquals(frames.map((frame) => frame.text), ["hi"]);
 * ```
 *
 * @param body A `Response`, a `Request`, or a body stream.
 * @param options Decoder options (version, limits, heart-beat callback).
 * @returns The frames; the stream errors on malformed input or a body that
 * ends inside a frame.
 * @throws {TypeError} When `body` is none of the three, there is no body, or
 * it was already read.
 */
export function decodeBody(
  body: Response | Request | ReadableStream<Uint8Array>,
  options: DecodeOptions = {},
): ReadableStream<StompFrame> {
  let stream: ReadableStream<Uint8Array>;
  if (body instanceof ReadableStream) {
    stream = body;
  } else {
    if (
      typeof body !== "object" || body === null || !("bodyUsed" in body) ||
      !("body" in body)
    ) {
      throw new TypeError(
        `Cannot decode frames: expected a Response, a Request or a ReadableStream of bytes, got ${
          given(
            body,
            " (wrap it: new Response(text))",
            " (wrap it: new Response(bytes))",
          )
        }`,
      );
    }
    if (body.bodyUsed) {
      throw new TypeError("Cannot decode frames: the body was already read");
    }
    if (body.body === null) {
      throw new TypeError("Cannot decode frames: there is no body");
    }
    stream = body.body;
  }
  if (stream.locked) {
    throw new TypeError("Cannot decode frames: the body stream is locked");
  }
  return stream.pipeThrough(new StompDecoderStream(options));
}

/**
 * Encodes frames into a body stream, one chunk per frame: for a streaming
 * `fetch` request body (with `duplex: "half"`) or a `Response`.
 *
 * @example Sending frames as a request body
 * ```ts
 * import { decodeBody, encodeBody } from "@stomper/stomp/transports";
 * import { send } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const request = new Request("http://127.0.0.1/stomp", {
 *   method: "POST",
 *   body: encodeBody([send("/queue/a", "one"), send("/queue/a", "two")]),
 *   duplex: "half",
 * } as RequestInit);
 * const frames = await Array.fromAsync(decodeBody(request));
 * assertEquals(frames.map((frame) => frame.text), ["one", "two"]);
 * ```
 *
 * @param frames Frames and heart-beats, as an iterable, async iterable or
 * stream.
 * @param options Encoder options (the version).
 * @returns The encoded bytes.
 * @throws {TypeError} When `frames` is not an iterable, an async iterable or
 * a stream (a lone frame, say).
 */
export function encodeBody(
  frames: FrameSource,
  options: EncodeOptions = {},
): ReadableStream<Uint8Array> {
  if (
    typeof frames !== "object" || frames === null ||
    !(frames instanceof ReadableStream || Symbol.asyncIterator in frames ||
      Symbol.iterator in frames)
  ) {
    const frame = typeof frames === "object" && frames !== null &&
      "command" in frames;
    throw new TypeError(
      `Cannot encode frames: expected an iterable, an async iterable or a ReadableStream of frames, got ${
        frame ? "one frame (wrap it: [frame])" : given(frames, "", "")
      }`,
    );
  }
  const encoder = new StompEncoderStream(options);
  if (frames instanceof ReadableStream) return frames.pipeThrough(encoder);
  // ReadableStream.from is not in every browser yet; pull from the iterator.
  const iterator:
    | Iterator<StompFrameLike | Heartbeat>
    | AsyncIterator<
      StompFrameLike | Heartbeat
    > = Symbol.asyncIterator in frames
      ? frames[Symbol.asyncIterator]()
      : frames[Symbol.iterator]();
  const source = new ReadableStream<StompFrameLike | Heartbeat>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  }, { highWaterMark: 0 });
  return source.pipeThrough(encoder);
}
