// What a test asks the broker about its destinations. A destination the broker
// would never hold ("queue/orders" without its slash, "/queues/orders", a topic
// for depth) always counted 0, so `assertEquals(broker.depth(...), 0)` passed
// whatever the application did: a test that could not fail.

import { assertEquals, assertThrows } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

Deno.test("StompTestBroker.depth refuses a destination the broker does not take, naming it", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url);
  await client.send("/queue/orders", "one", { receipt: true });
  assertEquals(broker.depth("/queue/orders"), 1);
  assertThrows(
    () => broker.depth("queue/orders"),
    TypeError,
    'Cannot count messages: the test broker has no destination "queue/orders" (it takes /queue/..., /temp-queue/... and /topic/...)',
  );
  assertThrows(
    () => broker.unacknowledged("/queues/orders"),
    TypeError,
    'Cannot count messages: the test broker has no destination "/queues/orders" (it takes /queue/..., /temp-queue/... and /topic/...)',
  );
  assertThrows(
    () => broker.depth(undefined as unknown as string),
    TypeError,
    "Cannot count messages: destination must be a string, got undefined",
  );
});

Deno.test("StompTestBroker.depth refuses a topic, which keeps no messages", async () => {
  await using broker = StompTestBroker.listen();
  assertThrows(
    () => broker.depth("/topic/news"),
    TypeError,
    'Cannot count messages: "/topic/news" is a topic, which keeps no messages (unacknowledged() counts its deliveries)',
  );
  assertEquals(broker.unacknowledged("/topic/news"), 0);
  assertEquals(broker.depth("/temp-queue/replies"), 0);
});
