// Draining: a subscription stops taking new messages, hands out those it
// has, waits for each to be acknowledged, then unsubscribes; the client
// does it for every subscription and disconnects. Against the test broker,
// which (like ActiveMQ) gives a consumer's unacknowledged messages back at
// UNSUBSCRIBE.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import {
  StompClient,
  type StompClientOptions,
  StompConnectionError,
  type StompMessage,
  type StompSubscription,
  StompTimeoutError,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { eventually, sleep, within } from "./_helpers.ts";

function connect(
  broker: StompTestBroker,
  options: StompClientOptions = {},
): Promise<StompClient> {
  return StompClient.connectUrl(broker.url, { onError: () => {}, ...options });
}

/** Sends `count` messages numbered 0.. to `destination`, confirmed. */
async function fill(
  broker: StompTestBroker,
  destination: string,
  count: number,
): Promise<void> {
  await using producer = await connect(broker);
  for (let i = 0; i < count; i++) producer.send(destination, String(i));
  await producer.send("/queue/sync", "", { receipt: true });
}

/** Reads `subscription` in a loop, acknowledging each after `ms`. */
function work(
  subscription: StompSubscription,
  ms: number,
  seen: string[],
): Promise<void> {
  return (async () => {
    for await (const message of subscription) {
      await sleep(ms);
      seen.push(message.text);
      await message.ack();
    }
  })();
}

Deno.test("StompSubscription.drain hands out what it holds, leaves the rest to the broker and resolves once each is acknowledged", async () => {
  await using broker = StompTestBroker.listen();
  await fill(broker, "/queue/jobs", 20);
  await using client = await connect(broker);
  const jobs = await client.subscribe("/queue/jobs", {
    ack: "client-individual",
    headers: { "prefetch-count": "4" },
  });
  const seen: string[] = [];
  const worker = work(jobs, 20, seen);
  await eventually(() => seen.length >= 2, 2000, "two jobs done");
  const held = jobs.buffered;
  await within(jobs.drain(), 5000, "drain");
  await within(worker, 1000, "the loop ends");
  assertEquals(jobs.active, false);
  // Every message handed out was acknowledged; none is held any more.
  assertEquals(broker.unacknowledged("/queue/jobs"), 0);
  assert(seen.length >= 2 + held && seen.length < 20, `seen ${seen.length}`);
  // A second consumer takes the rest, each message once.
  await using other = await connect(broker);
  const rest = await other.subscribe("/queue/jobs", { ack: "auto" });
  for await (const message of rest) {
    seen.push(message.text);
    if (seen.length === 20) break;
  }
  assertEquals(
    seen.map(Number).sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i),
  );
});

Deno.test("StompSubscription.drain called twice returns the same promise", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await connect(broker);
  const subscription = await client.subscribe("/queue/twice", {
    ack: "client",
  });
  const first = subscription.drain();
  assertStrictEquals(subscription.drain(), first);
  await first;
  assertStrictEquals(subscription.drain(), first);
  assertEquals(subscription.active, false);
});

Deno.test("StompSubscription.drain with nothing buffered ends the loop and unsubscribes", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await connect(broker);
  const subscription = await client.subscribe("/queue/empty", {
    ack: "client-individual",
  });
  const loop = (async () => {
    let count = 0;
    for await (const _ of subscription) count++;
    return count;
  })();
  await sleep(10);
  await within(subscription.drain(), 2000, "drain");
  assertEquals(await within(loop, 1000, "loop"), 0);
  assertEquals(subscription.active, false);
  // The server forgot it: a message sent now stays in the queue.
  await client.send("/queue/empty", "later", { receipt: true });
  assertEquals(broker.depth("/queue/empty"), 1);
});

Deno.test("StompSubscription.drain rejects with a StompTimeoutError naming what was left, and the message goes back to the broker", async () => {
  await using broker = StompTestBroker.listen();
  await fill(broker, "/queue/slow", 3);
  const errors: Error[] = [];
  await using client = await connect(broker, {
    onError: (error) => errors.push(error),
  });
  const subscription = await client.subscribe("/queue/slow", {
    ack: "client-individual",
  });
  const iterator = subscription[Symbol.asyncIterator]();
  const first = (await iterator.next()).value as StompMessage;
  await eventually(() => subscription.buffered === 2, 2000, "two buffered");
  const error = await assertRejects(
    () => subscription.drain({ timeout: 50 }),
    StompTimeoutError,
    'Cannot drain subscription "sub-1" to "/queue/slow": 1 message handed out was neither acknowledged nor rejected, and 2 messages received were not read within 50 ms',
  );
  assertEquals(error.timeout, 50);
  assertEquals(subscription.active, false);
  // Acknowledging it now would make RabbitMQ end the connection: refused.
  await assertRejects(
    () => first.ack(),
    TypeError,
    'subscription "sub-1" was unsubscribed, and the broker delivers the message again',
  );
  await eventually(() => broker.depth("/queue/slow") === 3, 2000, "requeued");
  assertEquals(client.state, "connected");
  assertEquals((await iterator.next()).done, true);
});

Deno.test("StompSubscription.drain then disconnect rejects with what was left", async () => {
  await using broker = StompTestBroker.listen();
  await fill(broker, "/queue/bye", 2);
  const client = await connect(broker);
  const subscription = await client.subscribe("/queue/bye", {
    ack: "client-individual",
  });
  await eventually(() => subscription.buffered === 2, 2000, "buffered");
  const draining = subscription.drain();
  await client.disconnect();
  await assertRejects(
    () => draining,
    StompConnectionError,
    'Cannot drain subscription "sub-1" to "/queue/bye": it ended while 2 messages received were not read (the broker delivers them again)',
  );
  await eventually(() => broker.depth("/queue/bye") === 2, 2000, "requeued");
});

Deno.test("StompSubscription.drain in client mode counts a cumulative ACK for every message before it", async () => {
  await using broker = StompTestBroker.listen();
  await fill(broker, "/queue/cumulative", 3);
  await using client = await connect(broker);
  const subscription = await client.subscribe("/queue/cumulative", {
    ack: "client",
  });
  await eventually(() => subscription.buffered === 3, 2000, "buffered");
  const draining = subscription.drain();
  const messages: StompMessage[] = [];
  for await (const message of subscription) messages.push(message);
  assertEquals(messages.length, 3);
  let done = false;
  draining.then(() => done = true);
  await sleep(20);
  assertEquals(done, false);
  await messages[2]!.ack();
  await within(draining, 2000, "drain");
  assertEquals(broker.depth("/queue/cumulative"), 0);
  assertEquals(broker.unacknowledged("/queue/cumulative"), 0);
});

Deno.test("StompSubscription.drain in auto mode hands out every message that came before the RECEIPT", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await connect(broker);
  const news = await client.subscribe("/topic/news", { receipt: true });
  for (let i = 0; i < 50; i++) client.send("/topic/news", String(i));
  const draining = news.drain();
  const seen: string[] = [];
  for await (const message of news) seen.push(message.text);
  await within(draining, 2000, "drain");
  assertEquals(seen.length, 50);
  assertEquals(seen[49], "49");
});

Deno.test("StompSubscription.drain rejects with a StompConnectionError when the connection is lost, and the subscription is not restored", async () => {
  await using broker = StompTestBroker.listen();
  await fill(broker, "/queue/lost", 2);
  await using client = await connect(broker, {
    reconnect: { initialDelay: 10 },
  });
  const subscription = await client.subscribe("/queue/lost", {
    ack: "client-individual",
  });
  await eventually(() => subscription.buffered === 2, 2000, "buffered");
  const draining = subscription.drain();
  broker.dropConnections();
  await assertRejects(
    () => draining,
    StompConnectionError,
    "the connection was lost before its messages were acknowledged",
  );
  await eventually(() => client.state === "connected", 2000, "reconnected");
  assertEquals(subscription.active, false);
  await client.send("/queue/lost", "after", { receipt: true });
  assertEquals(broker.depth("/queue/lost"), 3);
});

Deno.test("StompClient.drain lets handlers acknowledge and send, refuses new subscriptions, then disconnects", async () => {
  await using broker = StompTestBroker.listen();
  await fill(broker, "/queue/a", 6);
  await fill(broker, "/queue/b", 6);
  const client = await connect(broker);
  const options = {
    ack: "client-individual" as const,
    headers: { "prefetch-count": "2" },
  };
  const a = await client.subscribe("/queue/a", options);
  const b = await client.subscribe("/queue/b", options);
  const handle = (subscription: StompSubscription) =>
    (async () => {
      let count = 0;
      for await (const message of subscription) {
        await sleep(30);
        await client.send("/queue/out", message.text);
        await message.ack();
        count++;
      }
      return count;
    })();
  const workers = [handle(a), handle(b)];
  await sleep(40);
  const draining = client.drain();
  await assertRejects(
    () => client.subscribe("/queue/c"),
    StompConnectionError,
    "Cannot subscribe: the client is draining",
  );
  assertStrictEquals(client.drain(), draining);
  await within(draining, 5000, "drain");
  const [doneA, doneB] = await Promise.all(workers);
  assertEquals(client.state, "closed");
  // Each message handled was sent on and acknowledged before DISCONNECT.
  assertEquals(broker.depth("/queue/out"), doneA! + doneB!);
  assertEquals(broker.depth("/queue/a") + doneA!, 6);
  assertEquals(broker.depth("/queue/b") + doneB!, 6);
  assertEquals(broker.unacknowledged("/queue/a"), 0);
});

Deno.test("StompClient.drain rejects with the timeout once disconnected, and the broker has the messages again", async () => {
  await using broker = StompTestBroker.listen();
  await fill(broker, "/queue/stuck", 2);
  const client = await connect(broker);
  const subscription = await client.subscribe("/queue/stuck", {
    ack: "client-individual",
  });
  const iterator = subscription[Symbol.asyncIterator]();
  await iterator.next(); // handed out, never acknowledged
  const error = await assertRejects(
    () => client.drain({ timeout: 30 }),
    StompTimeoutError,
  );
  assert(error.message.includes("1 message handed out"), error.message);
  assertEquals(client.state, "closed");
  await eventually(() => broker.depth("/queue/stuck") === 2, 2000, "requeued");
});

Deno.test("StompClient.drain leaves the reply subscription to the disconnect: a request still waiting after the drain's timeout rejects", async () => {
  await using broker = StompTestBroker.listen();
  const client = await connect(broker, { replyMode: "subscription" });
  const reply = client.request("/queue/nobody", "ping", { timeout: 5000 });
  await sleep(20);
  // The drain waits for the reply (tests/client_drain_requests_test.ts),
  // within its timeout.
  await assertRejects(
    () => within(client.drain({ timeout: 200 }), 2000, "drain"),
    StompTimeoutError,
    "Cannot drain: 1 request still waiting for a reply after 200 ms",
  );
  const error = await assertRejects(() => reply);
  assertInstanceOf(error, StompConnectionError);
  assertEquals(client.state, "closed");
});

Deno.test("StompClient.drain on a closed client resolves as disconnect does", async () => {
  await using broker = StompTestBroker.listen();
  const client = await connect(broker);
  await client.disconnect();
  await client.drain();
  assertEquals(client.state, "closed");
});

Deno.test("StompSubscription.drain waits for a message whose acknowledgement was aborted with its transaction", async () => {
  await using broker = StompTestBroker.listen();
  await fill(broker, "/queue/tx", 1);
  await using client = await connect(broker);
  const subscription = await client.subscribe("/queue/tx", {
    ack: "client-individual",
  });
  const iterator = subscription[Symbol.asyncIterator]();
  const message = (await iterator.next()).value as StompMessage;
  const transaction = await client.begin();
  await transaction.ack(message);
  await transaction.abort({ receipt: true });
  const draining = subscription.drain({ timeout: 2000 });
  let done = false;
  draining.then(() => done = true, () => done = true);
  await sleep(30);
  assertEquals(done, false);
  await message.ack();
  await within(draining, 2000, "drain");
  assertEquals(broker.depth("/queue/tx"), 0);
  assertEquals(broker.unacknowledged("/queue/tx"), 0);
});
