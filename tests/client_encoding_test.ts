// Encoding (src/client/_encoding.ts): the plain path writes the very bytes
// the general encoder writes, and declines what needs escaping.

import { assertEquals } from "@std/assert";
import { StompFrame, StompHeaders } from "@stomper/stomp";
import {
  encodePlain,
  encodeWhole,
  plainBound,
} from "../src/client/_encoding.ts";

function plain(
  frame: StompFrame,
  version?: "1.0" | "1.1" | "1.2",
  contentLength = true,
): Uint8Array | undefined {
  const list = StompHeaders.flat(frame.headers);
  const out = new Uint8Array(
    plainBound(frame.command, list, frame.body, version),
  );
  const end = encodePlain(
    out,
    0,
    frame.command,
    list,
    frame.body,
    version,
    contentLength,
  );
  return end === -1 ? undefined : out.subarray(0, end);
}

Deno.test("encodePlain writes what encodeWhole writes for a plain frame", () => {
  const frame = new StompFrame(
    "SEND",
    new StompHeaders([["destination", "/queue/a"], [
      "content-type",
      "text/plain",
    ]]),
    "héllo",
  );
  assertEquals(plain(frame), encodeWhole(frame, "1.2"));
  assertEquals(plain(frame, "1.2"), encodeWhole(frame, "1.2"));
});

Deno.test("encodeWhole replaces the body by the text, and leaves out content-length when asked", () => {
  const frame = new StompFrame(
    "SEND",
    new StompHeaders([["destination", "/queue/a"]]),
  );
  const text = new TextDecoder().decode(
    encodeWhole(frame, "1.2", "body", false),
  );
  assertEquals(text, "SEND\ndestination:/queue/a\n\nbody\0");
  assertEquals(
    plain(new StompFrame("SEND", frame.headers, "body"), undefined, false),
    encodeWhole(frame, "1.2", "body", false),
  );
});

Deno.test("encodePlain declines a header that needs escaping, which encodeWhole escapes", () => {
  const frame = new StompFrame(
    "SEND",
    new StompHeaders([["destination", "/queue/a:b"]]),
    "x",
  );
  assertEquals(plain(frame), undefined);
  const text = new TextDecoder().decode(encodeWhole(frame, "1.2"));
  assertEquals(text.split("\n")[1], "destination:/queue/a\\cb");
});
