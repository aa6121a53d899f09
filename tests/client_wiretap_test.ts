// The wiretap (src/client/_wiretap.ts): counts what is written and read, and
// traces each frame written, exactly as decoded from the bytes, even when a
// frame is split across writes, with secret headers hidden.

import { assertEquals } from "@std/assert";
import { encodeFrame, StompFrame, StompHeaders } from "@stomper/stomp";
import type { StompTraceEvent } from "@stomper/stomp/client";
import { newStats, Wiretap } from "../src/client/_wiretap.ts";

Deno.test("Wiretap counts and traces frames written, across split writes, secrets hidden", () => {
  const events: StompTraceEvent[] = [];
  const stats = newStats();
  const wiretap = new Wiretap(
    { stats, trace: (event) => events.push(event), redact: ["x-token"] },
    7,
    () => 0,
  );
  const frame = new StompFrame(
    "SEND",
    new StompHeaders([["destination", "/queue/a"], ["x-token", "t0ps3cret"]]),
    "hello",
  );
  const bytes = encodeFrame(frame);
  wiretap.sent(1, bytes.length, [bytes.subarray(0, 10)]);
  assertEquals(events.length, 0);
  wiretap.sent(0, 0, [bytes.subarray(10), new Uint8Array([0x0a])]);
  assertEquals(stats.framesOut, 1);
  assertEquals(stats.bytesOut, bytes.length);
  assertEquals(events.length, 2);
  assertEquals(events[0]!.direction, "out");
  assertEquals(events[0]!.connection, 7);
  assertEquals(events[0]!.bytes, bytes.length);
  assertEquals(events[0]!.frame?.headers.get("x-token"), "***");
  assertEquals(events[0]!.frame?.text, "hello");
  // The heart-beat after it.
  assertEquals(events[1]!.frame, undefined);
  assertEquals(events[1]!.bytes, 1);
});

Deno.test("Wiretap without a trace only counts", () => {
  const stats = newStats();
  const wiretap = new Wiretap({ stats }, 1, () => 0);
  assertEquals(wiretap.tracing, false);
  wiretap.sent(2, 100, [new Uint8Array(3)]);
  wiretap.read(40);
  assertEquals([stats.framesOut, stats.bytesOut, stats.bytesIn], [2, 100, 40]);
  assertEquals(typeof stats.lastReceivedAt, "number");
});
