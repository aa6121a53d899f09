// Unsubscribing while the broker is still delivering: what was on its way
// when the UNSUBSCRIBE went out (MESSAGEs on ActiveMQ, an ERROR "Subscription
// not found" for each on RabbitMQ, which keeps the connection open) is
// dropped and counted in stats.lateDeliveries; the connection goes on.

import { assert, assertEquals } from "@std/assert";
import type { StompClient } from "@stomper/stomp/client";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { sleep, uniqueQueue } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };
const BACKLOG = 1000;

/** A client whose onError calls are kept. */
async function connect(url: string): Promise<{
  client: StompClient;
  errors: Error[];
}> {
  const errors: Error[] = [];
  const client = await connectTo(url, {
    ...QUIET,
    onError: (error) => errors.push(error),
  });
  return { client, errors };
}

async function fill(client: StompClient, queue: string, count = BACKLOG) {
  for (let i = 0; i < count; i++) void client.send(queue, `m${i}`);
  await client.send(queue, "last", { receipt: true });
}

/** How many messages `queue` holds, taken by a client of its own. */
async function remaining(url: string, queue: string): Promise<number> {
  await using reader = await connectTo(url, QUIET);
  const inbox = new Inbox(await reader.subscribe(queue, { receipt: true }));
  let count = 0;
  while (await inbox.next(500) !== undefined) count++;
  return count;
}

const BROKER_URLS = [
  ["RabbitMQ", BROKERS.rabbitmqTcp],
  ["ActiveMQ", BROKERS.activemqTcp],
] as const;

for (const [name, url] of BROKER_URLS) {
  Deno.test(`StompClient on ${name}: leaving a for-await loop over a backlog keeps the connection; deliveries on their way are counted in lateDeliveries, not reported`, async () => {
    const queue = uniqueQueue("busy-break");
    {
      const { client, errors } = await connect(url);
      await using _ = client;
      await fill(client, queue);
      // No prefetch limit: the broker sends the whole backlog, and what the
      // client has not read yet is on its way at the UNSUBSCRIBE.
      const subscription = await client.subscribe(queue, {
        ack: "client-individual",
        receipt: true,
      });
      for await (const message of subscription) {
        // No receipt: its RECEIPT would wait behind the backlog, unread
        // while the subscription's buffer is full.
        await message.ack();
        break;
      }
      await sleep(1000);
      assertEquals(client.state, "connected");
      assertEquals(errors.map((e) => e.message), []);
      assert(client.stats.lateDeliveries > 0, "no late delivery counted");
      assertEquals(client.stats.unhandled, 0);
      // The connection carries on.
      await client.send(queue, "after", { receipt: true });
      await client.disconnect();
    }
    // Nothing lost: all but the acknowledged one are there again.
    assertEquals(await remaining(url, queue), BACKLOG + 1);
  });

  Deno.test(`StompClient on ${name}: subscription.drain() over a backlog resolves and the client stays connected, nothing reported`, async () => {
    const queue = uniqueQueue("busy-drain");
    const { client, errors } = await connect(url);
    await using _ = client;
    await fill(client, queue);
    const subscription = await client.subscribe(queue, {
      ack: "client-individual",
      headers: name === "RabbitMQ"
        ? { "prefetch-count": "10" }
        : { "activemq.prefetchSize": "10" },
      receipt: true,
    });
    const worker = (async () => {
      for await (const message of subscription) await message.ack();
    })();
    await sleep(50);
    await subscription.drain({ timeout: 5000 });
    await worker;
    await sleep(1000);
    assertEquals(client.state, "connected");
    assertEquals(errors.map((e) => e.message), []);
    await client.send(queue, "after", { receipt: true });
  });
}

Deno.test("StompClient on RabbitMQ: unsubscribe() of an auto-mode subscription without prefetch, hundreds of deliveries on their way, keeps the connection", async () => {
  const queue = uniqueQueue("busy-auto");
  const { client, errors } = await connect(BROKERS.rabbitmqTcp);
  await using _ = client;
  await fill(client, queue);
  const subscription = await client.subscribe(queue, { receipt: true });
  const inbox = new Inbox(subscription);
  await inbox.take(1);
  await subscription.unsubscribe({ receipt: true });
  await sleep(1000);
  assertEquals(client.state, "connected");
  assertEquals(errors.map((e) => e.message), []);
  await client.send(queue, "after", { receipt: true });
});
