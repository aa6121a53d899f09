// What ActiveMQ 5.17 does with acknowledgements, transactions, exclusive
// consumers and header escaping, as docs/brokers.md ("Where the brokers
// differ") says: each claim there about ActiveMQ is checked here through the
// client.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { StompServerError } from "@stomper/stomp/client";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";
import {
  ackFreesWindow,
  brokerPeer,
  forwardRefused,
  headerRoundTrip,
  QUIET,
  SETTLE,
  unsubscribeUnacked,
} from "./_semantics.ts";
import { send } from "@stomper/stomp/frames";

function activemq(options: Parameters<typeof connectTo>[1] = {}) {
  return connectTo(BROKERS.activemqTcp, { ...QUIET, ...options });
}

Deno.test("Broker semantics on ActiveMQ: in client mode one ACK covers every earlier message and frees the whole prefetch window; an ACK of a covered one ends the connection (so the client sends none)", async () => {
  await using client = await activemq({ onError: () => {} });
  const queue = uniqueQueue("cumulative");
  const { first } = await ackFreesWindow(
    client,
    queue,
    { "activemq.prefetchSize": "3" },
  );
  // The client knows it is covered: resolved, no frame.
  await first[0]!.ack({ receipt: true });
  assertEquals(client.state, "connected");
  // The broker, sent such an ACK by a peer of its own:
  await using peer = await brokerPeer(BROKERS.activemqTcp, "ActiveMQ");
  const own = uniqueQueue("covered");
  await peer.send({
    command: "SUBSCRIBE",
    headers: { id: "s1", destination: own, ack: "client" },
  });
  await peer.send(send(own, "one"));
  await peer.send(send(own, "two"));
  const [m6, m7] = await peer.take(2);
  for (const [message, receipt] of [[m7, "a7"], [m6, "a6"]] as const) {
    await peer.send({
      command: "ACK" as const,
      headers: { id: message!.headers.get("ack")!, receipt },
    });
  }
  assertEquals((await peer.expect("RECEIPT")).headers.get("receipt-id"), "a7");
  const error = await peer.expect("ERROR");
  assert(
    error.headers.get("message")!.includes("Unexpected ACK received"),
    error.headers.get("message"),
  );
});

Deno.test("Broker semantics on ActiveMQ: messages of an unsubscribed client-mode subscription come back at the UNSUBSCRIBE", async () => {
  await using client = await activemq();
  const queue = uniqueQueue("unsubscribed");
  await unsubscribeUnacked(client, queue);
  const again = new Inbox(await client.subscribe(queue, { receipt: true }));
  const back = await again.take(3);
  assertEquals(back.map((m) => m.text), ["m0", "m1", "m2"]);
  assertEquals(back[0]!.headers.get("redelivered"), "true");
});

Deno.test("Broker semantics on ActiveMQ: an ACK in an aborted transaction is undone, and the message can be acknowledged again", async () => {
  await using client = await activemq();
  const queue = uniqueQueue("tx-ack");
  const inbox = new Inbox(
    await client.subscribe(queue, { ack: "client-individual", receipt: true }),
  );
  await client.send(queue, "job", { receipt: true });
  const [job] = await inbox.take(1);
  const transaction = await client.begin();
  await transaction.ack(job!);
  await transaction.abort({ receipt: true });
  assertEquals(await inbox.next(SETTLE), undefined, "a redelivery");
  await job!.ack({ receipt: true });
  assertEquals(client.state, "connected");
});

Deno.test("Broker semantics on ActiveMQ: a /temp-queue/ is subscribed to like any queue, and destinations come back as sent", async () => {
  await using client = await activemq();
  const id = crypto.randomUUID();
  for (
    const destination of [
      `/temp-queue/stomper-${id}`,
      `/queue/stomper-ü-日本-100%-${id}`,
    ]
  ) {
    const inbox = new Inbox(
      await client.subscribe(destination, { receipt: true }),
    );
    await client.send(destination, "x", { receipt: true });
    assertEquals((await inbox.take(1))[0]!.destination, destination);
  }
});

Deno.test("Broker semantics on ActiveMQ: a NACK sends a persistent message to ActiveMQ.DLQ at once and discards a non-persistent one", async () => {
  await using client = await activemq();
  const queue = uniqueQueue("nack");
  // Only this test's messages are read from the shared dead-letter queue.
  const tag = `t${crypto.randomUUID().replaceAll("-", "")}`;
  const subscription = await client.subscribe(queue, {
    ack: "client-individual",
    receipt: true,
  });
  const inbox = new Inbox(subscription);
  await client.send(queue, "plain", {
    receipt: true,
    headers: { stompertag: tag },
  });
  await client.send(queue, "kept", {
    receipt: true,
    headers: { stompertag: tag, persistent: "true" },
  });
  for (const message of await inbox.take(2)) {
    assertEquals(message.headers.get("redelivered"), undefined);
    await message.nack({ receipt: true });
  }
  assertEquals(await inbox.next(SETTLE), undefined, "a redelivery");
  const dead = new Inbox(
    await client.subscribe("/queue/ActiveMQ.DLQ", {
      headers: { selector: `stompertag = '${tag}'` },
      receipt: true,
    }),
  );
  const [kept] = await dead.take(1);
  assertEquals(kept!.text, "kept");
  assertEquals(kept!.headers.get("original-destination"), queue);
  assertEquals(await dead.next(SETTLE), undefined, "the non-persistent one");
});

Deno.test("Broker semantics on ActiveMQ: a redelivered message says redelivered:true; a first delivery has no such header", async () => {
  const queue = uniqueQueue("redelivered");
  const first = await activemq();
  const subscription = await first.subscribe(queue, {
    ack: "client-individual",
    receipt: true,
  });
  await first.send(queue, "job", { receipt: true });
  const [once] = await new Inbox(subscription).take(1);
  assertEquals(once!.headers.get("redelivered"), undefined);
  first.close();
  await using second = await activemq();
  const inbox = new Inbox(
    await second.subscribe(queue, { ack: "client-individual", receipt: true }),
  );
  const [twice] = await inbox.take(1);
  assertEquals(twice!.text, "job");
  assertEquals(twice!.headers.get("redelivered"), "true");
  await twice!.ack({ receipt: true });
});

Deno.test("Broker semantics on ActiveMQ: a SEND in a transaction gets its RECEIPT at once; a NACK in one is an ERROR that ends the connection", async () => {
  await using client = await activemq({ onError: () => {} });
  const queue = uniqueQueue("tx");
  const inbox = new Inbox(
    await client.subscribe(queue, { ack: "client-individual", receipt: true }),
  );
  const transaction = await client.begin({ receipt: true });
  await transaction.send(queue, "in a transaction", {
    receipt: true,
    timeout: 5000,
  });
  assertEquals(await inbox.next(SETTLE), undefined, "before COMMIT");
  await transaction.commit({ receipt: true });
  const [message] = await inbox.take(1);
  assertEquals(message!.text, "in a transaction");

  const refused = await client.begin({ receipt: true });
  await assertRejects(
    () => refused.nack(message!, { receipt: true }),
    StompServerError,
    "Poison ack cannot be transacted",
  );
  assertEquals(client.state, "closed");
});

Deno.test("Broker semantics on ActiveMQ: activemq.exclusive:true makes one consumer take every message; the next takes over when it goes", async () => {
  const queue = uniqueQueue("exclusive");
  await using first = await activemq();
  await using second = await activemq();
  const headers = { "activemq.exclusive": "true" };
  const one = await first.subscribe(queue, { headers, receipt: true });
  const other = new Inbox(
    await second.subscribe(queue, { headers, receipt: true }),
  );
  for (let i = 0; i < 4; i++) {
    await first.send(queue, `m${i}`, { receipt: true });
  }
  assertEquals((await new Inbox(one).take(4)).length, 4);
  assertEquals(await other.next(SETTLE), undefined);
  await one.unsubscribe({ receipt: true });
  await first.send(queue, "after", { receipt: true });
  assertEquals((await other.take(1))[0]!.text, "after");
});

Deno.test("Broker semantics on ActiveMQ: a MESSAGE sent on with its own headers is refused by the client (its destination, content-length); without the client's own headers it is taken, its other headers kept", async () => {
  await using client = await activemq();
  const queue = uniqueQueue("forward");
  const target = uniqueQueue("forwarded");
  const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));
  const forwarded = new Inbox(
    await client.subscribe(target, { receipt: true }),
  );
  await client.send(queue, "payload", {
    receipt: true,
    headers: { "x-kind": "invoice" },
  });
  const [message] = await inbox.take(1);
  const headers = await forwardRefused(client, target, message!);
  await client.send(target, message!.body, { headers, receipt: true });
  const [copy] = await forwarded.take(1);
  assertEquals(copy!.destination, target);
  assertEquals(copy!.text, "payload");
  assertEquals(copy!.headers.get("x-kind"), "invoice");
  assertEquals(client.state, "connected");
});

Deno.test("Broker semantics on ActiveMQ: header values keep ':', LF, CR and '\\' under 1.1 and 1.2; under 1.0 a '\\\\' comes back as '\\'", async () => {
  const value = "a:b\nc\\d\re é";
  for (const version of ["1.1", "1.2"] as const) {
    await using client = await activemq({ acceptVersion: [version] });
    assertEquals(client.version, version);
    assertEquals(await headerRoundTrip(client, value), value);
  }
  await using old = await activemq({ acceptVersion: ["1.0"] });
  assertEquals(old.version, "1.0");
  assertEquals(await headerRoundTrip(old, "a:b\rc"), "a:b\rc");
  assertEquals(await headerRoundTrip(old, "a\\\\b"), "a\\b");
  assert(old.state === "connected");
});
