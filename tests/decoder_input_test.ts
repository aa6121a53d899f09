// What the decoder does with chunks that are not bytes: a string (a text
// WebSocket message, a stream piped through TextDecoderStream), an
// ArrayBuffer (a WebSocket with binaryType "arraybuffer"), another view. Each
// is refused with a TypeError saying what it got, never read as nothing.

import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { runInNewContext } from "node:vm";
import { StompDecoder, StompDecoderStream } from "../mod.ts";
import { bytes } from "./_decode.ts";

const FRAME = "SEND\ndestination:/q\n\nhi\0";

const NOT_BYTES: [string, unknown, string][] = [
  [
    "a string",
    FRAME,
    "got a string (encode it first: new TextEncoder().encode(text))",
  ],
  [
    "an ArrayBuffer",
    bytes(FRAME).buffer,
    "got an ArrayBuffer (wrap it: new Uint8Array(buffer))",
  ],
  [
    "a DataView",
    new DataView(bytes(FRAME).buffer),
    "got a DataView (pass a Uint8Array view of its bytes)",
  ],
  [
    "a Uint16Array",
    new Uint16Array(4),
    "got a Uint16Array (pass a Uint8Array view of its bytes)",
  ],
  [
    "an array of numbers",
    [...bytes(FRAME)],
    "got an array (wrap it: new Uint8Array(array))",
  ],
  ["a number", 42, "got a number"],
  ["null", null, "got null"],
  ["undefined", undefined, "got undefined"],
];

Deno.test("StompDecoder refuses a chunk that is not a Uint8Array, saying what it got", () => {
  for (const [what, chunk, detail] of NOT_BYTES) {
    const decoder = new StompDecoder();
    const error = assertThrows(
      () => decoder.push(chunk as Uint8Array),
      TypeError,
      `Cannot decode frames: a chunk must be a Uint8Array, ${detail}`,
    );
    assertEquals(error.message.endsWith("."), false, what);
    // The refusal consumed nothing: the decoder reads the bytes that follow.
    const [frame] = decoder.push(bytes(FRAME));
    assertEquals(frame?.text, "hi", what);
  }
});

Deno.test("StompDecoder refuses a bad chunk in the middle of a frame and keeps what came before", () => {
  const decoder = new StompDecoder();
  assertEquals(decoder.push(bytes(FRAME.slice(0, 10))), []);
  assertThrows(
    () => decoder.push(bytes(FRAME.slice(10)).buffer as unknown as Uint8Array),
    TypeError,
    "got an ArrayBuffer",
  );
  const [frame] = decoder.push(bytes(FRAME.slice(10)));
  assertEquals(frame?.headers.get("destination"), "/q");
  assertEquals(frame?.text, "hi");
});

Deno.test("StompDecoder takes a Uint8Array subclass such as Node's Buffer", () => {
  class Buffer extends Uint8Array {}
  const whole = bytes(FRAME);
  const buffer = new Buffer(whole.length);
  buffer.set(whole);
  assertEquals(new StompDecoder().push(buffer).map((f) => f.text), ["hi"]);
});

Deno.test("StompDecoder takes a Uint8Array of another realm (a node:vm context)", () => {
  const foreign = runInNewContext(
    `new Uint8Array([${[...bytes(FRAME)].join(",")}])`,
  ) as Uint8Array;
  assertEquals(foreign instanceof Uint8Array, false);
  assertEquals(new StompDecoder().push(foreign).map((f) => f.text), ["hi"]);
  assertThrows(
    () => new StompDecoder().push(runInNewContext("new ArrayBuffer(2)")),
    TypeError,
    "Cannot decode frames: a chunk must be a Uint8Array, got an object",
  );
});

Deno.test("StompDecoderStream errors with a TypeError on a chunk that is not a Uint8Array, instead of dropping it", async () => {
  for (const [what, chunk, detail] of NOT_BYTES) {
    if (chunk === null || chunk === undefined) continue; // streams refuse these
    const frames = ReadableStream.from([chunk]).pipeThrough(
      new StompDecoderStream(),
    );
    let error: unknown;
    try {
      await Array.fromAsync(frames as ReadableStream<unknown>);
    } catch (e) {
      error = e;
    }
    assertInstanceOf(error, TypeError, what);
    assertEquals(
      error.message,
      `Cannot decode frames: a chunk must be a Uint8Array, ${detail}`,
    );
  }
});
