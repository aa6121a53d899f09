// What the encoder does with values that are not frames: from JavaScript (or
// a stream of anything) a caller can pass null, a string or bytes already
// encoded. Each is a TypeError that says what it got.

import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import {
  encodeFrame,
  HEARTBEAT,
  send,
  StompEncoderStream,
  type StompFrameLike,
} from "../mod.ts";

const NOT_FRAMES: [unknown, string][] = [
  [null, "got null"],
  [undefined, "got undefined"],
  ["SEND\ndestination:/q\n\nhi\0", "got a string"],
  [42, "got a number"],
  [
    new Uint8Array([0x53]),
    "got a Uint8Array (bytes already encoded go to the byte stream as they are)",
  ],
  [{ destination: "/q" }, "got an object without a command"],
];

Deno.test("encodeFrame refuses a value that is not a frame, saying what it got", () => {
  for (const [value, detail] of NOT_FRAMES) {
    assertThrows(
      () => encodeFrame(value as StompFrameLike),
      TypeError,
      `Cannot encode frame: expected a frame or HEARTBEAT, ${detail}`,
    );
  }
  // An unknown command is still named as such.
  assertThrows(
    () => encodeFrame({ command: "FOO", headers: {} } as never),
    TypeError,
    'Cannot encode frame: unknown command "FOO"',
  );
});

Deno.test("StompEncoderStream errors with that TypeError on a value that is not a frame", async () => {
  for (const [value, detail] of NOT_FRAMES) {
    const chunks = ReadableStream.from([send("/q", "a"), value, HEARTBEAT])
      .pipeThrough(new StompEncoderStream());
    const out: Uint8Array[] = [];
    let error: unknown;
    try {
      for await (const chunk of chunks) out.push(chunk);
    } catch (e) {
      error = e;
    }
    assertEquals(out.length, 1);
    assertInstanceOf(error, TypeError);
    assertEquals(
      error.message,
      `Cannot encode frame: expected a frame or HEARTBEAT, ${detail}`,
    );
  }
});
