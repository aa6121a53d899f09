// The client's outgoing queue (src/client/_outbox.ts): plain frames written
// into shared batches keep their order and byte count, and a batch that
// holds frames of a lost connection (ACK, NACK) gives up only those.

import { assertEquals } from "@std/assert";
import { StompDecoder, StompFrame } from "@stomper/stomp";
import {
  BATCH_BYTES,
  type BatchEntry,
  ENTRY_OVERHEAD,
  Outbox,
} from "../src/client/_outbox.ts";

function add(
  outbox: Outbox,
  command: string,
  list: string[],
  body: string,
  epoch?: number,
) {
  outbox.pushPlain(command, list, body, undefined, epoch);
}

function frames(bytes: Uint8Array): StompFrame[] {
  const out: StompFrame[] = [];
  new StompDecoder().decode(bytes, (frame) => out.push(frame));
  return out;
}

function take(outbox: Outbox): { frames: StompFrame[]; ends: number } {
  const entry = outbox.shift() as BatchEntry;
  const batch = entry.batch;
  outbox.written([entry], 1);
  return {
    frames: frames(batch.buffer.subarray(0, batch.used)),
    ends: batch.ends.length,
  };
}

Deno.test("Outbox batches plain frames in order and counts their bytes", () => {
  const outbox = new Outbox(1 << 20);
  for (let i = 0; i < 3; i++) {
    add(outbox, "SEND", ["destination", "/queue/a"], `m${i}`);
  }
  assertEquals(
    outbox.bufferedAmount,
    3 * "SEND\ndestination:/queue/a\ncontent-length:2\n\nm0\0".length,
  );
  const { frames: sent, ends } = take(outbox);
  assertEquals(sent.map((frame) => frame.text), ["m0", "m1", "m2"]);
  assertEquals(ends, 3);
  assertEquals(outbox.bufferedAmount, 0);
  assertEquals(outbox.empty, true);
});

Deno.test("Outbox starts a new batch once one holds BATCH_BYTES, or once the writer took it", () => {
  const outbox = new Outbox(1 << 30);
  const body = "x".repeat(1000);
  const count = 4 * Math.ceil(BATCH_BYTES / 1000);
  for (let i = 0; i < count; i++) {
    add(outbox, "SEND", ["destination", "/queue/a"], body);
  }
  // Batches are also cut where an arena ends (the first arenas are small).
  const batches: number[] = [];
  let frames = 0;
  while (!outbox.empty) {
    const entry = outbox.shift() as BatchEntry;
    outbox.written([entry], 1);
    batches.push(entry.batch.used);
    frames += entry.batch.ends.length;
  }
  assertEquals(frames, count);
  assertEquals(batches.every((used) => used < BATCH_BYTES + 1100), true);
  assertEquals(batches.some((used) => used >= BATCH_BYTES), true);
  add(outbox, "SEND", ["destination", "/queue/a"], "late");
  const second = take(outbox).frames;
  assertEquals(second.map((frame) => frame.text), ["late"]);
  assertEquals(outbox.empty, true);
});

Deno.test("Outbox starts with a small arena, doubles it as a burst needs more, up to 256 KiB, and lets it go on close", () => {
  const outbox = new Outbox(1 << 30);
  const arenaOf = () => {
    const entry = outbox.shift() as BatchEntry;
    outbox.written([entry], 1);
    return entry.batch.buffer.buffer.byteLength;
  };
  add(outbox, "SUBSCRIBE", ["destination", "/queue/a", "id", "1"], "");
  assertEquals(arenaOf(), 4 * 1024);
  // A burst: each arena used up starts one twice as large.
  const sizes = new Set<number>();
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 100; i++) {
      add(outbox, "SEND", ["destination", "/queue/a"], "x".repeat(100));
    }
    sizes.add(arenaOf());
  }
  assertEquals(
    [...sizes].sort((a, b) => a - b),
    [4, 8, 16, 32, 64, 128, 256].map((k) => k * 1024),
  );
  // Closed: the arena goes; a frame after it starts a first-size one.
  outbox.closed(new Error("closed"));
  add(outbox, "SEND", ["destination", "/queue/a"], "after");
  assertEquals(arenaOf(), 4 * 1024);
});

Deno.test("Outbox counts a fixed cost per queued operation, and what hold() adds, against its limit", async () => {
  const outbox = new Outbox(2 * ENTRY_OVERHEAD.frame);
  const frame = new StompFrame("SEND", [["destination", "/queue/a"]], "x");
  const accepted: number[] = [];
  const push = (n: number) =>
    outbox.push({
      frame,
      epoch: undefined,
      accept: () => accepted.push(n),
      fail: () => {},
    });
  push(1);
  assertEquals(outbox.bufferedAmount > ENTRY_OVERHEAD.frame, true);
  push(2);
  push(3);
  assertEquals(accepted, [1, 2]);
  // Written, but receipts awaited elsewhere hold the limit: not yet.
  outbox.hold(2 * ENTRY_OVERHEAD.frame);
  const taken = [outbox.shift()!, outbox.shift()!, outbox.shift()!];
  outbox.written(taken, 1);
  await Promise.resolve();
  assertEquals(accepted, [1, 2]);
  assertEquals(outbox.hasRoom, false);
  outbox.hold(-2 * ENTRY_OVERHEAD.frame);
  assertEquals(accepted, [1, 2, 3]);
  assertEquals(outbox.hasRoom, true);
  assertEquals(outbox.bufferedAmount, 0);
});

Deno.test("Outbox.dropEpoch() takes a lost connection's ACKs out of a batch and keeps its SENDs", () => {
  const outbox = new Outbox(1 << 20);
  add(outbox, "SEND", ["destination", "/queue/a"], "one");
  add(outbox, "ACK", ["id", "m-1"], "", 1);
  add(outbox, "SEND", ["destination", "/queue/a"], "two");
  add(outbox, "NACK", ["id", "m-2"], "", 1);
  const sends = ["one", "two"].map((body) =>
    `SEND\ndestination:/queue/a\ncontent-length:3\n\n${body}\0`
  );
  outbox.lost(1, new Error("lost"));
  assertEquals(outbox.bufferedAmount, sends[0]!.length + sends[1]!.length);
  // What joins afterwards, on the next connection, goes out after them.
  add(outbox, "ACK", ["id", "m-9"], "", 2);
  const { frames: left } = take(outbox);
  assertEquals(left.map((frame) => frame.command), ["SEND", "SEND", "ACK"]);
  assertEquals(left.map((frame) => frame.text), ["one", "two", ""]);
  assertEquals(left[2]!.headers.get("id"), "m-9");
  assertEquals(outbox.bufferedAmount, 0);
});

Deno.test("Outbox.dropEpoch() leaves batches of other connections alone", () => {
  const outbox = new Outbox(1 << 20);
  add(outbox, "ACK", ["id", "m-1"], "", 2);
  add(outbox, "SEND", ["destination", "/queue/a"], "one");
  outbox.lost(1, new Error("lost"));
  assertEquals(take(outbox).frames.map((frame) => frame.command), [
    "ACK",
    "SEND",
  ]);
});
