// decodeBody and encodeBody given something other than a body or frames
// (easy from JavaScript): a TypeError that says what was given and what to
// pass instead, not the runtime's "Cannot read properties of null".

import { assertEquals, assertThrows } from "@std/assert";
import { send } from "../mod.ts";
import { decodeBody, encodeBody } from "../src/transports/fetch.ts";

Deno.test("decodeBody refuses what is not a body, saying what it got", () => {
  const cases: [unknown, string][] = [
    [null, "null"],
    [undefined, "undefined"],
    ["MESSAGE\n\n\0", "a string (wrap it: new Response(text))"],
    [
      new TextEncoder().encode("MESSAGE\n\n\0"),
      "a Uint8Array (wrap it: new Response(bytes))",
    ],
    [{ body: "x" }, "an object"],
    [42, "a number"],
  ];
  for (const [body, got] of cases) {
    assertThrows(
      () => decodeBody(body as Response),
      TypeError,
      `Cannot decode frames: expected a Response, a Request or a ReadableStream of bytes, got ${got}`,
    );
  }
});

Deno.test("encodeBody refuses what is not frames, saying what it got", () => {
  const cases: [unknown, string][] = [
    [null, "null"],
    [undefined, "undefined"],
    ["SEND\n\n\0", "a string"],
    [send("/queue/a", "x"), "one frame (wrap it: [frame])"],
    [{ command: "SEND", headers: {} }, "one frame (wrap it: [frame])"],
    [{}, "an object"],
    [42, "a number"],
  ];
  for (const [frames, got] of cases) {
    assertThrows(
      () => encodeBody(frames as []),
      TypeError,
      `Cannot encode frames: expected an iterable, an async iterable or a ReadableStream of frames, got ${got}`,
    );
  }
});

Deno.test("decodeBody and encodeBody still take every kind of source", async () => {
  const frame = send("/queue/a", "x");
  async function* frames() {
    yield frame;
  }
  for (
    const source of [
      [frame],
      new Set([frame]),
      frames(),
      ReadableStream.from([frame]),
    ]
  ) {
    const decoded = await Array.fromAsync(decodeBody(encodeBody(source)));
    assertEquals(decoded.map((f) => f.text), ["x"]);
  }
  const request = new Request("http://127.0.0.1/", {
    method: "POST",
    body: "MESSAGE\n\nhi\0",
  });
  assertEquals(
    (await Array.fromAsync(decodeBody(request))).map((f) => f.text),
    ["hi"],
  );
});
