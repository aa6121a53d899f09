// JavaScript callers pass null for "no options": every client method whose
// options object is optional takes null as it takes undefined. A `signal`
// that is not an AbortSignal, or reply() given something that is not a
// message, is a TypeError saying what it got, not a runtime error from deep
// inside. Against the test broker.

import { assertEquals, assertRejects } from "@std/assert";
import { StompClient, StompSession } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { sleep } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

Deno.test("StompClient methods take null options as no options", async () => {
  await using broker = StompTestBroker.listen();
  const client: Loose = await StompClient.connectUrl(broker.url, null as Loose);
  const subscription = await client.subscribe("/queue/a", null);
  await client.send("/queue/a", "one", null);
  const transaction = await client.begin(null);
  await transaction.send("/queue/a", "two", null);
  await transaction.commit(null);
  const iterator = subscription[Symbol.asyncIterator]();
  const first = (await iterator.next()).value;
  assertEquals(first.text, "one");
  // Read without a crash: the message has no reply-to.
  await assertRejects(
    () => client.reply(first, "ignored", null),
    TypeError,
    "Cannot reply: the message has no reply-to header",
  );
  assertEquals((await iterator.next()).value.text, "two");
  await subscription.unsubscribe(null);
  const acked = await client.subscribe("/queue/c", { ack: "client" });
  await client.send("/queue/c", "three");
  const third = (await acked[Symbol.asyncIterator]().next()).value;
  await third.ack(null);
  await acked.unsubscribe({ receipt: true });
  assertEquals(broker.depth("/queue/c"), 0);
  const other = await client.subscribe("/queue/b", null);
  await other.drain(null);
  await client.drain(null);
  assertEquals(client.state, "closed");
  const again: Loose = await StompClient.connectUrl(broker.url);
  await again.disconnect(null);
  assertEquals(again.state, "closed");
});

Deno.test("StompSession takes null options as no options", () => {
  const session = new StompSession(null as Loose);
  const frame = session.connectFrame(null as Loose);
  assertEquals(frame.command, "CONNECT");
  assertEquals(frame.headers.get("host"), "/");
});

Deno.test("StompClient operations refuse a signal that is not an AbortSignal, saying what they got", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url);
  const loose: Loose = client;
  for (const receipt of [false, true]) {
    await assertRejects(
      () => loose.send("/queue/a", "x", { signal: {}, receipt }),
      TypeError,
      'Cannot SEND to "/queue/a": signal must be an AbortSignal, got an object',
    );
  }
  await assertRejects(
    () => loose.begin({ signal: "stop" }),
    TypeError,
    'Cannot BEGIN: signal must be an AbortSignal, got "stop"',
  );
  await assertRejects(
    () => loose.drain({ signal: {} }),
    TypeError,
    "Cannot drain: signal must be an AbortSignal, got an object",
  );
  await sleep(10);
  assertEquals(client.state, "connected");
  assertEquals(broker.depth("/queue/a"), 0);
});

Deno.test("StompClient.connectUrl refuses a signal that is not an AbortSignal", async () => {
  await using broker = StompTestBroker.listen();
  await assertRejects(
    () => StompClient.connectUrl(broker.url, { signal: {} as Loose }),
    TypeError,
    "Cannot create client: signal must be an AbortSignal, got an object",
  );
});

Deno.test("StompClient.reply refuses what is not a message, saying what it got", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url);
  const loose: Loose = client;
  for (
    const [given, got] of [
      [{ headers: { "reply-to": "/queue/r" } }, "an object"],
      [null, "null"],
      ["/queue/r", '"/queue/r"'],
    ]
  ) {
    await assertRejects(
      () => loose.reply(given, "x"),
      TypeError,
      `Cannot reply: message must be a message the client received, got ${got}`,
    );
  }
  assertEquals(broker.depth("/queue/r"), 0);
});

Deno.test("StompClient.disconnect with a bad signal or timeout rejects and leaves the client connected", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url);
  await assertRejects(
    () => client.disconnect({ signal: {} as Loose }),
    TypeError,
    "Cannot disconnect: signal must be an AbortSignal, got an object",
  );
  await assertRejects(
    () => client.disconnect({ timeout: -1 }),
    RangeError,
    "Cannot disconnect: timeout must be a non-negative number, got -1",
  );
  // Before, the client went on to close after the TypeError.
  assertEquals(client.state, "connected");
  await client.send("/queue/a", "still connected", { receipt: true });
  await client.disconnect();
  assertEquals(client.state, "closed");
});
