// What sendBufferSize holds (src/client/_outbox.ts, _receipts.ts): besides
// frame bytes, a fixed cost per queued operation and per awaited receipt, so
// that a loop of awaited operations that each await a receipt under the hood
// (subscribe) is held back by the server's answers, and memory stays bounded.
// The test broker behind ChaosRelay, whose silence holds the RECEIPTs back.

import { assertEquals, assertGreater, assertLessOrEqual } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { ChaosRelay } from "./_chaos.ts";
import { eventually } from "./_helpers.ts";

Deno.test("StompClient holds awaited subscribe() calls back once the receipts they await fill sendBufferSize, and lets them on as the receipts come", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  const client = await StompClient.connectUrl(relay.url, {
    heartBeat: [0, 0],
    sendBufferSize: 16 * 1024,
  });
  relay.silence("toClient");
  let done = 0;
  const loop = (async () => {
    for (let i = 0; i < 200; i++) {
      const subscription = await client.subscribe(`/queue/churn-${i % 4}`);
      await subscription.unsubscribe();
      done++;
    }
  })();
  // Nothing answered: the loop stops after a few (16 KiB of receipts held,
  // about 2 KiB each), not after all 200.
  await new Promise((resolve) => setTimeout(resolve, 300));
  console.log(`${done} subscribe/unsubscribe cycles before the receipts came`);
  assertGreater(done, 0);
  assertLessOrEqual(done, 16);
  relay.resume("toClient");
  await loop;
  assertEquals(done, 200);
  await eventually(() => client.bufferedAmount === 0);
  await client.disconnect();
});
