// An onFrame hook is where a test puts its assertions about what the broker
// received. One that fails must fail the test with its own error, not reach
// the client as an ERROR blaming the client's frame ("Malformed frame") and
// end its connection.

import { assertEquals, AssertionError, assertRejects } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

Deno.test("StompTestBroker handles a frame as usual when onFrame throws, and close() rejects with what it threw", async () => {
  const thrown = new AssertionError("SEND has no x-trace header");
  const broker = StompTestBroker.listen({
    onFrame: (frame) => {
      if (frame.command === "SEND") throw thrown;
    },
  });
  const errors: unknown[] = [];
  const client = await StompClient.connectUrl(broker.url, {
    onError: (error) => errors.push(error),
  });
  await client.send("/queue/a", "one", { receipt: true });
  await client.send("/queue/a", "two", { receipt: true });
  assertEquals(broker.depth("/queue/a"), 2);
  await client.disconnect();
  assertEquals(errors, []);
  const error = await assertRejects(() => broker.close());
  assertEquals(error, thrown);
  assertEquals(broker.connections, 0);
});

Deno.test("StompTestBroker fails the end of an await using block with the error onFrame threw", async () => {
  const error = await assertRejects(async () => {
    await using broker = StompTestBroker.listen({
      onFrame: (frame) => {
        assertEquals(frame.headers.get("content-type"), "application/json");
      },
    });
    await using client = await StompClient.connectUrl(broker.url);
    await client.send("/queue/a", "{}", { receipt: true });
  }, AssertionError);
  assertEquals(error.message.startsWith("Values are not equal"), true);
});

Deno.test("StompTestBroker close() rejects with what an async onFrame rejected with", async () => {
  const thrown = new AssertionError("not expected");
  const broker = StompTestBroker.listen({
    onFrame: async (frame) => {
      await Promise.resolve();
      if (frame.command === "SEND") throw thrown;
    },
  });
  const client = await StompClient.connectUrl(broker.url);
  await client.send("/queue/a", "one", { receipt: true });
  await client.disconnect();
  assertEquals(await assertRejects(() => broker.close()), thrown);
});
