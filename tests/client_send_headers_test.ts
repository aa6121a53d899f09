// A header in a SEND's `headers` that the client writes itself (destination,
// receipt, content-length; content-type with contentType; transaction in a
// transaction) would be a second one of that name, which brokers ignore (they
// take the first, the client's): refused with a TypeError naming the argument
// or option to use (src/client/_sends.ts). Against the test broker.

import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompHeaders } from "@stomper/stomp";
import { StompTestBroker } from "@stomper/stomp/testing";
import { uniqueQueue } from "./_helpers.ts";

/** A client whose written SENDs are counted in `sends.count`. */
async function tracedClient(url: string) {
  const sends = { count: 0 };
  const client = await StompClient.connectUrl(url, {
    trace: (event) => {
      if (event.direction === "out" && event.frame?.command === "SEND") {
        sends.count++;
      }
    },
  });
  return { client, sends };
}

async function refuses(promise: Promise<unknown>, message: string) {
  const error = await assertRejects(() => promise);
  assertInstanceOf(error, TypeError);
  assertEquals(error.message, message);
}

const OWN = [
  ["destination", "/queue/other", "use the destination argument"],
  ["receipt", "r-9", "use receipt: true"],
  ["content-length", "1", "use contentLength"],
] as const;

Deno.test("StompClient.send refuses a header the client writes itself, naming what to use", async () => {
  await using broker = StompTestBroker.listen();
  const { client, sends } = await tracedClient(broker.url);
  await using _ = client;
  const queue = uniqueQueue("own");
  for (const [name, value, use] of OWN) {
    const expected =
      `Cannot send to "${queue}": the "${name}" header is the client's own (${use})`;
    for (
      const headers of [
        { [name]: value },
        [["x-a", "1"], [name, value]] as [string, string][],
        new StompHeaders([[name, value]]),
      ]
    ) {
      // The fast path (no receipt) and the general one.
      await refuses(client.send(queue, "x", { headers }), expected);
      await refuses(
        client.send(queue, new Uint8Array([1]), { headers, receipt: true }),
        expected,
      );
    }
  }
  await refuses(
    client.send(queue, "x", {
      contentType: "text/plain",
      headers: { "content-type": "application/json" },
    }),
    `Cannot send to "${queue}": the "content-type" header is the client's own (use contentType)`,
  );
  assertEquals(sends.count, 0, "nothing was written");
  assertEquals(broker.depth(queue), 0);
  // Without contentType the header is the only one, and a transaction
  // header is not the client's in a plain send.
  const subscription = await client.subscribe(queue);
  await client.send(queue, "x", {
    receipt: true,
    headers: { "content-type": "application/json", destination: undefined },
  });
  const transaction = await client.begin();
  await client.send(queue, "y", {
    receipt: true,
    headers: { transaction: transaction.id },
  });
  assertEquals(broker.depth(queue), 0, "held by the transaction");
  await transaction.commit({ receipt: true });
  const iterator = subscription[Symbol.asyncIterator]();
  const first = (await iterator.next()).value!;
  assertEquals(first.headers.get("content-type"), "application/json");
  assertEquals(first.headers.getAll("destination"), [queue]);
  assertEquals((await iterator.next()).value!.text, "y");
});

Deno.test("StompTransaction.send refuses a transaction or destination header", async () => {
  await using broker = StompTestBroker.listen();
  const { client, sends } = await tracedClient(broker.url);
  await using _ = client;
  const queue = uniqueQueue("own");
  const transaction = await client.begin({ receipt: true });
  await refuses(
    transaction.send(queue, "x", { headers: { transaction: "other" } }),
    `Cannot send to "${queue}": the "transaction" header is the client's own (use the transaction)`,
  );
  await refuses(
    transaction.send(queue, "x", { headers: { destination: "/queue/b" } }),
    `Cannot send to "${queue}": the "destination" header is the client's own (use the destination argument)`,
  );
  assertEquals(sends.count, 0);
  await transaction.commit({ receipt: true });
  assertEquals(client.state, "connected");
});

Deno.test("StompClient.request and reply refuse a header the client writes itself", async () => {
  await using broker = StompTestBroker.listen();
  const { client, sends } = await tracedClient(broker.url);
  await using _ = client;
  const queue = uniqueQueue("own");
  await refuses(
    client.request(queue, "x", { headers: { destination: "/queue/b" } }),
    `Cannot send to "${queue}": the "destination" header is the client's own (use the destination argument)`,
  );
  await refuses(
    client.request(queue, "x", { headers: { "content-length": "1" } }),
    `Cannot send to "${queue}": the "content-length" header is the client's own (use contentLength)`,
  );
  assertEquals(sends.count, 0);
  const requests = await client.subscribe(queue, { receipt: true });
  const pending = client.request(queue, "ping", { timeout: 5000 });
  const request = (await requests[Symbol.asyncIterator]().next()).value!;
  const replyTo = request.headers.get("reply-to")!;
  await refuses(
    client.reply(request, "pong", { headers: { receipt: "mine" } }),
    `Cannot send to "${replyTo}": the "receipt" header is the client's own (use receipt: true)`,
  );
  await client.reply(request, "pong");
  assertEquals((await pending).text, "pong");
});
