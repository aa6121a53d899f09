// The operations (src/client/_operations.ts), against the test broker: the
// fast paths (a plain SEND, an ACK without options) and the general one
// (headers that need escaping, receipts, a full send buffer) keep one
// order, and a bad argument rejects at the call.

import { assertEquals, assertRejects } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

Deno.test("Operations keeps one order across the fast and general paths", async () => {
  await using broker = StompTestBroker.listen();
  // A send buffer of one byte: after the first, sends wait for their turn.
  for (const sendBufferSize of [4 * 1024 * 1024, 1]) {
    await using client = await StompClient.connectUrl(broker.url, {
      sendBufferSize,
    });
    const inbox = await client.subscribe(`/queue/order-${sendBufferSize}`, {
      ack: "client-individual",
    });
    const destination = `/queue/order-${sendBufferSize}`;
    const sent: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      const headers = i % 3 === 1 ? { "x-path": "needs:escaping" } : undefined;
      sent.push(
        client.send(destination, String(i), {
          ...(headers === undefined ? {} : { headers }),
          ...(i % 5 === 4 ? { receipt: true } : {}),
        }),
      );
    }
    await Promise.all(sent);
    const texts: string[] = [];
    for await (const message of inbox) {
      texts.push(message.text);
      if (message.text.length > 0 && Number(message.text) % 3 === 1) {
        assertEquals(message.headers.get("x-path"), "needs:escaping");
      }
      await message.ack();
      if (texts.length === 30) break;
    }
    assertEquals(texts, Array.from({ length: 30 }, (_, i) => String(i)));
    // The ACKs went out before this, in the same order.
    await client.send("/queue/barrier", "", { receipt: true });
    assertEquals(broker.unacknowledged(destination), 0);
  }
});

Deno.test("Operations rejects a bad argument at the call, with its own error", async () => {
  await using broker = StompTestBroker.listen();
  const errors: Error[] = [];
  await using client = await StompClient.connectUrl(broker.url, {
    onError: (error) => errors.push(error),
  });
  await assertRejects(
    () => client.send("/queue/a", "x", { timeout: -1 }),
    RangeError,
    "timeout must be a non-negative number, got -1",
  );
  await assertRejects(
    () => client.send("/queue/a", "a\0b", { contentLength: false }),
    TypeError,
    "the text holds a NUL character at index 1",
  );
  await assertRejects(
    () => client.subscribe("/queue/a", { highWaterMark: 0 }),
    RangeError,
    "highWaterMark must be a positive integer",
  );
  assertEquals(errors.length, 3);
});
