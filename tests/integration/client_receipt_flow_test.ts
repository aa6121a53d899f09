// On RabbitMQ: `await message.ack({ receipt: true })` in a loop over a full
// subscription buffer. With a prefetch-count within twice highWaterMark the
// RECEIPT comes (the client reads on while it is awaited); without one it is
// behind the whole queue, and the timeout says so.

import { assertEquals, assertMatch } from "@std/assert";
import { StompTimeoutError } from "@stomper/stomp/client";
import { uniqueQueue } from "../_helpers.ts";
import { BROKERS, connectTo } from "./_client.ts";

const BODY = "x".repeat(1024);

async function backlog(destination: string, count: number): Promise<void> {
  const producer = await connectTo(BROKERS.rabbitmqTcp, { heartBeat: [0, 0] });
  for (let i = 0; i < count; i++) producer.send(destination, BODY);
  await producer.disconnect();
}

Deno.test("StompClient on RabbitMQ: message.ack({ receipt: true }) in a loop over a full buffer is answered with a prefetch-count within twice highWaterMark", async () => {
  const queue = uniqueQueue("receipt-flow");
  await backlog(queue, 2000);
  const client = await connectTo(BROKERS.rabbitmqTcp, { heartBeat: [0, 0] });
  try {
    // highWaterMark 256 by default: the client reads on up to 512.
    const subscription = await client.subscribe(queue, {
      ack: "client-individual",
      headers: { "prefetch-count": "400" },
    });
    let acked = 0;
    for await (const message of subscription) {
      if (acked === 0) await new Promise((r) => setTimeout(r, 300));
      await message.ack({ receipt: true, timeout: 5000 });
      if (++acked === 600) break;
    }
    assertEquals(acked, 600);
  } finally {
    await client.disconnect();
  }
});

Deno.test("StompClient on RabbitMQ: a RECEIPT behind more than twice highWaterMark of unread messages times out saying why", async () => {
  const queue = uniqueQueue("receipt-flow");
  await backlog(queue, 3000);
  const client = await connectTo(BROKERS.rabbitmqTcp, {
    heartBeat: [0, 0],
    onError: () => {},
  });
  try {
    const subscription = await client.subscribe(queue, {
      ack: "client-individual",
    });
    let failure: unknown;
    for await (const message of subscription) {
      await new Promise((r) => setTimeout(r, 300));
      failure = await message.ack({ receipt: true, timeout: 1000 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      break;
    }
    if (!(failure instanceof StompTimeoutError)) throw failure;
    assertMatch(
      failure.message,
      /within 1000 ms: reading is paused: subscription "[^"]+" to "[^"]+" holds \d+ messages \(\d+ bytes of bodies\) not yet taken, and the RECEIPT is behind more of them; take its messages before awaiting the receipt, raise highWaterMark \(256\) or highWaterMarkBytes/,
    );
  } finally {
    client.close();
  }
});
