// The core of the client (src/client/_core.ts), against the test broker: a
// lost connection reaches every registry from one place (what belonged to
// it fails, the subscriptions are restored), and closing ends everything
// still waiting.

import { assertEquals, assertRejects } from "@std/assert";
import {
  StompClient,
  StompConnectionError,
  type StompStateChange,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assertEquals(check(), true);
}

Deno.test("ClientCore fails what a lost connection held and restores the subscriptions on the next", async () => {
  await using broker = StompTestBroker.listen();
  const states: StompStateChange["state"][] = [];
  await using client = await StompClient.connectUrl(broker.url, {
    reconnect: { initialDelay: 10, jitter: 0 },
    onStateChange: ({ state }) => states.push(state),
    onError: () => {},
    onUnhandledMessage: () => {},
  });
  const inbox = await client.subscribe("/queue/core", {
    ack: "client-individual",
    receipt: true,
  });
  await client.send("/queue/core", "first", { receipt: true });
  const iterator = inbox[Symbol.asyncIterator]();
  const first = (await iterator.next()).value!;
  assertEquals(first.text, "first");
  const request = client.request("/queue/nobody-answers", "ping", {
    timeout: 10000,
  });
  // Receipts come in order: the request's SEND was written before this.
  await client.send("/queue/elsewhere", "", { receipt: true });
  assertEquals(broker.dropConnections(), 1);
  const lost = await assertRejects(() => request, StompConnectionError);
  assertEquals(
    lost.message,
    'No reply to request to "/queue/nobody-answers": the connection it was sent on was lost (the request may have been processed)',
  );
  await assertRejects(
    () => first.ack(),
    StompConnectionError,
    "it arrived on a connection that was lost",
  );
  await until(() => client.state === "connected");
  assertEquals(states.slice(0, 3), ["connected", "reconnecting", "connected"]);
  // Restored under the same id: the broker redelivers, then the new one.
  await client.send("/queue/core", "second", { receipt: true });
  const texts: string[] = [];
  while (texts.length < 2) {
    const message = (await iterator.next()).value!;
    texts.push(message.text);
    await message.ack();
  }
  assertEquals(texts, ["first", "second"]);
  assertEquals(client.stats.reconnects, 1);
});

Deno.test("ClientCore closing ends every request and subscription still waiting", async () => {
  await using broker = StompTestBroker.listen();
  const client = await StompClient.connectUrl(broker.url);
  const inbox = await client.subscribe("/queue/closing");
  const request = client.request("/queue/nobody-answers", "ping", {
    timeout: 10000,
  });
  client.close();
  await assertRejects(
    () => request,
    StompConnectionError,
    "The client was closed",
  );
  for await (const _ of inbox) throw new Error("no message expected");
  assertEquals(inbox.active, false);
  await client.closed;
  assertEquals(client.state, "closed");
  await assertRejects(
    () => client.send("/queue/closing", "late"),
    StompConnectionError,
    "Cannot send: the client is closed",
  );
});
