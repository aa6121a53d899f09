// A subscription's buffer bounded in bytes as well as in messages: large
// bodies that nobody reads stay in the broker (TCP pushes back) instead of
// in the client's memory, and none is lost or reordered once read.

import {
  assertEquals,
  assertGreater,
  assertLessOrEqual,
  assertRejects,
} from "@std/assert";
import {
  StompClient,
  type StompClientOptions,
  type StompSubscription,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { sleep } from "./_helpers.ts";

const MiB = 1024 * 1024;

function client(
  broker: { url: string },
  options: StompClientOptions = {},
): Promise<StompClient> {
  return StompClient.connectUrl(broker.url, { onError: () => {}, ...options });
}

/** Sends `count` bodies of `size` bytes, each numbered in header `n`. */
async function fill(
  broker: StompTestBroker,
  destination: string,
  count: number,
  size: number,
): Promise<void> {
  await using producer = await client(broker);
  const body = new Uint8Array(size).fill(0x61);
  for (let i = 0; i < count; i++) {
    await producer.send(destination, body, { headers: { n: String(i) } });
  }
  await producer.send("/queue/sync", "", { receipt: true });
  assertEquals(broker.depth(destination), count);
}

/**
 * Reads `count` messages and checks they come in order, whole, while the
 * buffer holds at most `maxBuffered` messages.
 */
async function readAll(
  subscription: StompSubscription,
  count: number,
  size: number,
  maxBuffered: number,
): Promise<void> {
  let next = 0;
  for await (const m of subscription) {
    assertEquals(m.headers.get("n"), String(next++));
    assertEquals(m.body.length, size);
    assertLessOrEqual(subscription.buffered, maxBuffered);
    assertEquals(subscription.bufferedBytes, subscription.buffered * size);
    if (next === count) break;
  }
  assertEquals(next, count);
}

Deno.test("StompSubscription holds at most highWaterMarkBytes (8 MiB by default) of unread bodies and TCP holds back the rest", async () => {
  await using broker = StompTestBroker.listen();
  const count = 40;
  await fill(broker, "/queue/big", count, MiB);
  await using consumer = await client(broker);
  const subscription = await consumer.subscribe("/queue/big");
  // Nobody reads: let the sockets fill up.
  await sleep(300);
  // 40 messages fit the message bound (256): only the byte bound stops them.
  assertLessOrEqual(subscription.buffered * MiB, 8 * MiB + MiB);
  assertGreater(subscription.buffered, 0);
  // The rest waits in the broker or the sockets, not in the client.
  assertGreater(broker.depth("/queue/big"), 10);
  // The bound plus the one frame a read can complete past it.
  await readAll(subscription, count, MiB, 8 + 1);
  assertEquals(broker.depth("/queue/big"), 0);
});

Deno.test("StompSubscription takes highWaterMarkBytes from subscribe over the client's", async () => {
  await using broker = StompTestBroker.listen();
  const count = 12;
  const size = 256 * 1024;
  await fill(broker, "/queue/a", count, size);
  await fill(broker, "/queue/b", count, size);
  await using consumer = await client(broker, { highWaterMarkBytes: MiB });
  const a = await consumer.subscribe("/queue/a");
  assertEquals(a.highWaterMarkBytes, MiB);
  await sleep(200);
  assertLessOrEqual(a.bufferedBytes, MiB + size);
  assertEquals(a.bufferedBytes, a.buffered * size);
  await readAll(a, count, size, 4 + 1);
  assertEquals(a.bufferedBytes, 0);

  const b = await consumer.subscribe("/queue/b", {
    highWaterMarkBytes: 512 * 1024,
  });
  assertEquals(b.highWaterMarkBytes, 512 * 1024);
  await sleep(200);
  assertLessOrEqual(b.bufferedBytes, 512 * 1024 + size);
  await readAll(b, count, size, 2 + 1);
});

Deno.test("StompSubscription still delivers a message larger than highWaterMarkBytes, one at a time", async () => {
  await using broker = StompTestBroker.listen();
  const size = 2 * MiB;
  await fill(broker, "/queue/huge", 4, size);
  await using consumer = await client(broker, { highWaterMarkBytes: 1024 });
  const subscription = await consumer.subscribe("/queue/huge");
  await sleep(200);
  // The first one is whole in the buffer; reading stopped behind it.
  assertEquals(subscription.buffered, 1);
  assertEquals(subscription.bufferedBytes, size);
  await readAll(subscription, 4, size, 1);
});

Deno.test("StompSubscription keeps the message bound when bodies are small", async () => {
  await using broker = StompTestBroker.listen();
  const count = 1000;
  await fill(broker, "/queue/small", count, 1024);
  await using consumer = await client(broker);
  const subscription = await consumer.subscribe("/queue/small", {
    highWaterMark: 5,
  });
  assertEquals(subscription.highWaterMarkBytes, 8 * MiB);
  await sleep(200);
  // The mark plus what one read (64 KiB) can complete past it; the byte
  // bound (8 MiB) would have let all 1000 in.
  const most = 5 + 64;
  assertLessOrEqual(subscription.buffered, most);
  await readAll(subscription, count, 1024, most);
});

Deno.test("StompClient refuses a highWaterMarkBytes that is not a positive integer", async () => {
  await using broker = StompTestBroker.listen();
  await assertRejects(
    () => client(broker, { highWaterMarkBytes: 0 }),
    RangeError,
    "highWaterMarkBytes must be a positive integer, got 0",
  );
  await using consumer = await client(broker);
  await assertRejects(
    () => consumer.subscribe("/queue/a", { highWaterMarkBytes: 1.5 }),
    RangeError,
    "highWaterMarkBytes must be a positive integer, got 1.5",
  );
});
