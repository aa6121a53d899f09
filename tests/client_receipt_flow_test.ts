// A RECEIPT awaited while reading is paused for a full subscription buffer
// (src/client/_core.ts, mustPause): the client reads on, up to twice the
// subscription's high-water marks, so that `await message.ack({ receipt:
// true })` in a loop over a backlog is answered when the broker sends at most
// that much ahead; beyond it the timeout says what holds the RECEIPT back.
// tests/integration/client_receipt_flow_test.ts does it on RabbitMQ.

import { assertEquals, assertMatch } from "@std/assert";
import { StompClient, StompTimeoutError } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

// 8 KiB bodies: a 64 KiB read holds about 8 messages, so the buffers fill
// and reading pauses between reads.
const BODY = "x".repeat(8 * 1024);

async function backlog(url: string, destination: string, count: number) {
  const producer = await StompClient.connectUrl(url, { heartBeat: [0, 0] });
  for (let i = 0; i < count; i++) producer.send(destination, BODY);
  await producer.disconnect();
}

Deno.test("StompClient answers message.ack({ receipt: true }) in a loop over a full buffer when the broker sends at most twice highWaterMark ahead", async () => {
  await using broker = StompTestBroker.listen();
  await backlog(broker.url, "/queue/flow", 60);
  const client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
    highWaterMark: 8,
  });
  const subscription = await client.subscribe("/queue/flow", {
    ack: "client-individual",
    // Within twice highWaterMark (16): the RECEIPT comes within reach.
    headers: { "prefetch-count": "14" },
  });
  let acked = 0;
  for await (const message of subscription) {
    // Let the buffer fill before each acknowledgement.
    if (acked === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    await message.ack({ receipt: true, timeout: 3000 });
    if (++acked === 60) break;
  }
  assertEquals(acked, 60);
  assertEquals(broker.depth("/queue/flow"), 0);
  await client.disconnect();
});

Deno.test("StompClient says what holds back a RECEIPT awaited in a loop over a full buffer beyond twice highWaterMark", async () => {
  await using broker = StompTestBroker.listen();
  await backlog(broker.url, "/queue/flow", 200);
  const client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
    highWaterMark: 8,
    onError: () => {},
  });
  const subscription = await client.subscribe("/queue/flow", {
    ack: "client-individual",
  });
  const failure = await (async () => {
    for await (const message of subscription) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      try {
        await message.ack({ receipt: true, timeout: 500 });
      } catch (error) {
        return error;
      }
    }
    return undefined;
  })();
  if (!(failure instanceof StompTimeoutError)) throw failure;
  assertMatch(
    failure.message,
    /^No RECEIPT for ACK of message "[^"]+" within 500 ms: reading is paused: subscription "[^"]+" to "\/queue\/flow" holds \d+ messages \(\d+ bytes of bodies\) not yet taken, and the RECEIPT is behind more of them; take its messages before awaiting the receipt, raise highWaterMark \(8\) or highWaterMarkBytes \(\d+\) to hold them, or have the broker send fewer ahead of acknowledgements \(a prefetch, such as RabbitMQ's prefetch-count header\)$/,
  );
  client.close();
});
