// A callback that throws (onFrame, onHeartbeat, onError) ends decode() in the
// middle of a chunk. The decoder then stays failed, as after its own errors:
// going on with the next chunk would start in the middle of whatever the rest
// of the chunk held, and could take the body of a frame for frames.

import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { StompDecoder } from "../src/decoder.ts";
import { bytes } from "./_decode.ts";

// A frame, then a frame whose body looks like a frame.
const INPUT = bytes(
  "MESSAGE\nmessage-id:1\n\nfirst\0" +
    "MESSAGE\nmessage-id:2\ncontent-length:27\n\nSEND\ndestination:/evil\n\nx\0\0",
);

Deno.test("StompDecoder stays failed after onFrame throws, wherever the input was cut", () => {
  for (let cut = 1; cut < INPUT.length; cut++) {
    const decoder = new StompDecoder();
    const boom = new Error("handler failed");
    const seen: string[] = [];
    const onFrame = (frame: { headers: { get(name: string): unknown } }) => {
      const id = String(frame.headers.get("message-id"));
      seen.push(id);
      if (id === "1") throw boom;
    };
    let thrown: unknown;
    for (const chunk of [INPUT.subarray(0, cut), INPUT.subarray(cut)]) {
      try {
        decoder.decode(chunk, onFrame);
      } catch (error) {
        thrown ??= error;
        assertStrictEquals(error, boom, `cut at ${cut}`);
      }
    }
    assertStrictEquals(thrown, boom, `cut at ${cut}`);
    // The second message's body never came out as a SEND to /evil.
    assertEquals(seen, ["1"], `cut at ${cut}`);
    assertThrows(() => decoder.push(bytes("SEND\n\n\0")), Error, "handler");
  }
});

Deno.test("StompDecoder stays failed after onHeartbeat throws", () => {
  let beats = 0;
  const decoder = new StompDecoder({
    onHeartbeat() {
      if (beats++ === 0) throw new Error("heart-beat handler failed");
    },
  });
  assertThrows(
    () => decoder.push(bytes("\nSEND\n\nA\0")),
    Error,
    "heart-beat handler failed",
  );
  assertThrows(
    () => decoder.push(bytes("SEND\n\nB\0")),
    Error,
    "heart-beat handler failed",
  );
});

Deno.test("StompDecoder stays failed after a resync onError throws", () => {
  const decoder = new StompDecoder({
    resync: true,
    onError() {
      throw new Error("error handler failed");
    },
  });
  assertThrows(
    () => decoder.push(bytes("BAD\n\n\0SEND\n\nA\0")),
    Error,
    "error handler failed",
  );
  assertThrows(
    () => decoder.push(bytes("SEND\n\nB\0")),
    Error,
    "error handler failed",
  );
});

Deno.test("StompDecoder goes on after a chunk that is not a Uint8Array", () => {
  const decoder = new StompDecoder();
  assertThrows(
    () => decoder.push("SEND\n\n\0" as unknown as Uint8Array),
    TypeError,
  );
  assertEquals(decoder.push(bytes("SEND\n\nA\0")).map((f) => f.text), ["A"]);
});
