// A transaction's state when its COMMIT fails (src/client/_impl.ts,
// Transaction): a connection that ends before the broker confirmed the
// COMMIT takes the transaction with it, so the state is "aborted" and the
// methods say it was lost. The test broker behind the fault relay, cut on cue.

import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import {
  StompClient,
  StompConnectionError,
  StompServerError,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { ChaosRelay } from "./_chaos.ts";

Deno.test("StompTransaction state is aborted after commit() rejected for a connection lost before its RECEIPT, and abort() says it was lost", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  await using client = await StompClient.connectUrl(relay.url, {
    reconnect: { initialDelay: 50 },
    heartBeat: [0, 0],
    onError: () => {},
  });
  const tx = await client.begin({ receipt: true });
  await tx.send("/queue/tx", "never", { receipt: true });
  const committing = tx.commit({ receipt: true });
  relay.cut();
  await assertRejects(() => committing, StompConnectionError);
  assertEquals(tx.state, "aborted");
  await assertRejects(
    () => tx.abort(),
    StompConnectionError,
    `Cannot abort transaction "${tx.id}": it was lost with its connection (the broker aborted it)`,
  );
  assertEquals(broker.depth("/queue/tx"), 0);
});

Deno.test("StompTransaction state is aborted after commit() rejected for an ERROR that ended the connection", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
    onError: () => {},
  });
  const tx = await client.begin({ receipt: true });
  // A destination the test broker refuses (neither /queue/ nor /topic/).
  void tx.send("/nowhere/a", "refused").catch(() => {});
  const failure = await assertRejects(
    () => tx.commit({ receipt: true }),
    StompConnectionError,
  );
  assertInstanceOf(failure.cause, StompServerError);
  assertEquals(tx.state, "aborted");
  await assertRejects(() => tx.abort(), StompConnectionError);
});

Deno.test("StompTransaction state stays committed after a commit() the broker confirmed", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
  });
  const tx = await client.begin();
  await tx.send("/queue/tx", "kept");
  await tx.commit({ receipt: true });
  assertEquals(tx.state, "committed");
  assertEquals(broker.depth("/queue/tx"), 1);
});
