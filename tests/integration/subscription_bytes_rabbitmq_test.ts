// A subscription nobody reads, fed large bodies by RabbitMQ: the client
// holds about highWaterMarkBytes of them, its memory does not grow with what
// the queue holds (measured in a subprocess of its own), and once read every
// message comes, in order.

import { assert, assertEquals, assertLessOrEqual } from "@std/assert";
import { runDeno } from "./_client.ts";

const MiB = 1024 * 1024;

interface Unread {
  count: number;
  size: number;
  baseline: number;
  peak: number;
  settled: number;
  buffered: number;
  bufferedBytes: number;
  read: number;
  ordered: boolean;
  whole: boolean;
}

async function unread(...args: string[]): Promise<Unread> {
  const run = await runDeno(
    [
      "run",
      "--v8-flags=--expose-gc",
      "--import-map=tests/offline/import_map.json",
      "-A",
      "tests/integration/_unread_subscription.ts",
      ...args,
    ],
    {},
    120000,
  );
  assertEquals(run.code, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

Deno.test("StompSubscription unread with 40 bodies of 4 MiB from RabbitMQ holds 8 MiB and RSS does not grow with the queue", async () => {
  const result = await unread("40", String(4 * MiB));
  // Without the byte bound all 40 (160 MiB) were buffered, RSS +169 MB.
  assertLessOrEqual(result.bufferedBytes, 8 * MiB + 4 * MiB);
  assert(result.buffered >= 1);
  assertLessOrEqual(result.peak - result.baseline, 48 * MiB);
  assertEquals(result.read, 40);
  assert(result.ordered, "messages out of order");
  assert(result.whole, "a message lost bytes");
});

Deno.test("StompSubscription unread with 10 bodies of 40 MiB from RabbitMQ holds one at a time", async () => {
  const result = await unread("10", String(40 * MiB));
  // Without the byte bound all were buffered: 10 took RSS +338 MB (30,
  // +1.24 GB).
  assertEquals(result.buffered, 1);
  assertLessOrEqual(result.peak - result.baseline, 128 * MiB);
  assertEquals(result.read, 10);
  assert(result.ordered, "messages out of order");
  assert(result.whole, "a message lost bytes");
});

Deno.test("StompSubscription unread from RabbitMQ follows a highWaterMarkBytes of its own", async () => {
  const result = await unread("20", String(MiB), String(2 * MiB));
  assertLessOrEqual(result.buffered, 3);
  assertEquals(result.read, 20);
  assert(result.ordered, "messages out of order");
});
