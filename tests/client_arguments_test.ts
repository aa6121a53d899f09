// Arguments the client refuses at the call, with what to write instead: a
// body that is neither text nor bytes, an "id" header on subscribe (the
// client numbers subscriptions), a subscribe highWaterMark that is not a
// positive integer. The test broker as the peer.

import { assertEquals, assertRejects } from "@std/assert";
import { StompClient, type StompTraceEvent } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

Deno.test("StompClient send refuses a null body saying what a body may be", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    onError: () => {},
  });
  for (const receipt of [false, true]) {
    await assertRejects(
      () => client.send("/queue/a", null as unknown as string, { receipt }),
      TypeError,
      "a body must be a string (sent as UTF-8) or a Uint8Array, got null",
    );
  }
});

Deno.test("StompClient subscribe refuses an id header, which the client sets, and sends no SUBSCRIBE", async () => {
  await using broker = StompTestBroker.listen();
  const out: string[] = [];
  await using client = await StompClient.connectUrl(broker.url, {
    onError: () => {},
    trace: (event: StompTraceEvent) => {
      if (event.direction === "out" && event.frame !== undefined) {
        out.push(event.frame.command);
      }
    },
  });
  for (
    const headers of [{ id: "mine" }, [["id", "mine"]] as [string, string][]]
  ) {
    await assertRejects(
      () => client.subscribe("/queue/a", { headers }),
      TypeError,
      'Cannot subscribe to "/queue/a": the "id" header is the client\'s own (it numbers subscriptions; read subscription.id)',
    );
  }
  const subscription = await client.subscribe("/queue/a", { receipt: true });
  assertEquals(subscription.id.startsWith("sub-"), true);
  assertEquals(out.filter((command) => command === "SUBSCRIBE").length, 1);
});

Deno.test("StompClient subscribe refuses a highWaterMark that is not a positive integer, as subscribe's", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    onError: () => {},
  });
  await assertRejects(
    () => client.subscribe("/queue/a", { highWaterMark: 0 }),
    RangeError,
    "Cannot subscribe: highWaterMark must be a positive integer, got 0",
  );
  await assertRejects(
    () => client.subscribe("/queue/a", { highWaterMarkBytes: -1 }),
    RangeError,
    "Cannot subscribe: highWaterMarkBytes must be a positive integer, got -1",
  );
});
