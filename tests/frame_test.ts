// The frame model: a body given as bytes, as text, or as the chunks it came in.

import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { encodeFrame, StompFrame } from "../mod.ts";

const encoder = new TextEncoder();

Deno.test("StompFrame stores a text body as UTF-8 and decodes it back", () => {
  const frame = new StompFrame("SEND", { destination: "/q" }, "héllo");
  assertEquals(frame.body, encoder.encode("héllo"));
  assertEquals(frame.bodyLength, 6);
  assertEquals(frame.bodyChunks, [frame.body]);
  assertEquals(frame.text, "héllo");
  assertEquals(new StompFrame("SEND").bodyChunks, []);
});

Deno.test("StompFrame.fromChunks keeps the chunks and joins them on the first read of body", () => {
  const a = encoder.encode("hel");
  const b = encoder.encode("lo");
  const frame = StompFrame.fromChunks("MESSAGE", { id: "1" }, [a, b]);
  assertEquals(frame.bodyLength, 5);
  // The views themselves, in order, not copies.
  assertEquals(frame.bodyChunks.length, 2);
  assertStrictEquals(frame.bodyChunks[0], a);
  assertStrictEquals(frame.bodyChunks[1], b);
  assert(Object.isFrozen(frame.bodyChunks));
  const body = frame.body;
  assertEquals(body, encoder.encode("hello"));
  // Joined once: the same array after, and the chunks are let go.
  assertStrictEquals(frame.body, body);
  assertEquals(frame.bodyChunks, [body]);
  assertStrictEquals(frame.bodyChunks[0], body);
  assertEquals(frame.bodyLength, 5);
  assertEquals(frame.text, "hello");
});

Deno.test("StompFrame.fromChunks makes a frame equal to one built from the joined body", () => {
  const bytes = encoder.encode("a body in three pieces");
  const whole = new StompFrame("SEND", { destination: "/q" }, bytes);
  const pieces = () => [
    bytes.subarray(0, 2),
    bytes.subarray(2, 10),
    bytes.subarray(10),
  ];
  assertEquals(
    StompFrame.fromChunks("SEND", { destination: "/q" }, pieces()),
    whole,
  );
  assertEquals(
    encodeFrame(StompFrame.fromChunks("SEND", { destination: "/q" }, pieces())),
    encodeFrame(whole),
  );
  const text = StompFrame.fromChunks("SEND", {}, pieces());
  assertEquals(text.text, "a body in three pieces");
  assertEquals(text.body, bytes);
});

Deno.test("StompFrame.fromChunks copies the list, not the views, and skips empty chunks", () => {
  const a = encoder.encode("ab");
  const b = encoder.encode("cd");
  const list = [a, new Uint8Array(0), b];
  const frame = StompFrame.fromChunks("SEND", {}, list);
  list.length = 0;
  assertEquals(frame.bodyChunks, [a, b]);
  // A view, not a copy: a change to the chunk shows until body is read.
  a[0] = 0x41;
  assertEquals(frame.text, "Abcd");
  // One chunk or none: an ordinary frame whose body is that view.
  const one = StompFrame.fromChunks("SEND", {}, [new Uint8Array(0), b]);
  assertStrictEquals(one.body, b);
  assertEquals(one.bodyChunks, [b]);
  assertEquals(StompFrame.fromChunks("SEND", {}, []).bodyLength, 0);
  assertEquals(StompFrame.fromChunks("SEND", {}, []).bodyChunks, []);
});

Deno.test("StompFrame.fromChunks refuses an unknown command and a chunk that is not bytes", () => {
  assertThrows(
    () => StompFrame.fromChunks("send" as "SEND", {}, []),
    TypeError,
    'Cannot create frame: unknown command "send"',
  );
  assertThrows(
    () => StompFrame.fromChunks("SEND", {}, ["text" as unknown as Uint8Array]),
    TypeError,
    "Cannot create frame: body chunk 0 is not a Uint8Array",
  );
});
