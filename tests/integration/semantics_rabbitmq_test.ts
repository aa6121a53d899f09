// What RabbitMQ 3.10 does with acknowledgements, transactions, destinations
// and header escaping, as docs/brokers.md ("Where the brokers differ") says:
// each claim there about RabbitMQ is checked here through the client.

import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  StompConnectionError,
  StompServerError,
  StompTimeoutError,
} from "@stomper/stomp/client";
import { send } from "@stomper/stomp/frames";
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

function rabbit(options: Parameters<typeof connectTo>[1] = {}) {
  return connectTo(BROKERS.rabbitmqTcp, { ...QUIET, ...options });
}

/** The errors a client reported, collected for the test to look at. */
function collecting(): { errors: Error[]; onError: (error: Error) => void } {
  const errors: Error[] = [];
  return { errors, onError: (error) => errors.push(error) };
}

Deno.test("Broker semantics on RabbitMQ: in client mode one ACK covers every earlier message and frees the whole prefetch window", async () => {
  await using client = await rabbit();
  const queue = uniqueQueue("cumulative");
  const { subscription, second } = await ackFreesWindow(
    client,
    queue,
    { "prefetch-count": "3" },
  );
  await second[2]!.ack({ receipt: true });
  await subscription.unsubscribe({ receipt: true });
});

Deno.test("Broker semantics on RabbitMQ: a NACK requeues the message, marked redelivered, and with requeue:false drops it", async () => {
  await using client = await rabbit();
  const queue = uniqueQueue("nack");
  const subscription = await client.subscribe(queue, {
    ack: "client-individual",
    receipt: true,
  });
  const inbox = new Inbox(subscription);
  await client.send(queue, "job", { receipt: true });
  const [first] = await inbox.take(1);
  assertEquals(first!.headers.get("redelivered"), "false");
  await first!.nack({ receipt: true });
  const [again] = await inbox.take(1);
  assertEquals(again!.text, "job");
  assertEquals(again!.headers.get("redelivered"), "true");
  await again!.nack({ receipt: true, headers: { requeue: "false" } });
  assertEquals(await inbox.next(SETTLE), undefined, "a third delivery");
  await subscription.unsubscribe({ receipt: true });
  await using other = await rabbit();
  const later = await other.subscribe(queue, { receipt: true });
  assertEquals(await new Inbox(later).next(SETTLE), undefined);
});

Deno.test("Broker semantics on RabbitMQ: a SEND in a transaction gets its RECEIPT at COMMIT, and none after ABORT", async () => {
  await using client = await rabbit();
  const queue = uniqueQueue("tx-receipt");
  const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));

  const aborted = await client.begin({ receipt: true });
  await assertRejects(
    () => aborted.send(queue, "dropped", { receipt: true, timeout: SETTLE }),
    StompTimeoutError,
  );
  await aborted.abort({ receipt: true });
  assertEquals(await inbox.next(SETTLE), undefined);

  const committed = await client.begin({ receipt: true });
  let confirmed = false;
  const sent = committed.send(queue, "kept", { receipt: true }).then(() => {
    confirmed = true;
  });
  await new Promise((resolve) => setTimeout(resolve, SETTLE));
  assertEquals(confirmed, false, "RECEIPT before COMMIT");
  await committed.commit({ receipt: true });
  await sent;
  assertEquals((await inbox.take(1))[0]!.text, "kept");
  assertEquals(client.state, "connected");
});

Deno.test("Broker semantics on RabbitMQ: a NACK in a transaction is done at COMMIT; an ACK in an aborted one is undone and can be made again", async () => {
  await using client = await rabbit();
  const queue = uniqueQueue("tx-ack");
  const inbox = new Inbox(
    await client.subscribe(queue, { ack: "client-individual", receipt: true }),
  );
  await client.send(queue, "a", { receipt: true });
  await client.send(queue, "b", { receipt: true });
  const [a, b] = await inbox.take(2);
  const aborted = await client.begin();
  await aborted.ack(a!);
  await aborted.abort({ receipt: true });
  assertEquals(await inbox.next(SETTLE), undefined, "a redelivery");
  await a!.ack({ receipt: true });

  const committed = await client.begin();
  await committed.nack(b!);
  assertEquals(await inbox.next(SETTLE), undefined, "before COMMIT");
  await committed.commit({ receipt: true });
  const [again] = await inbox.take(1);
  assertEquals(again!.text, "b");
  assertEquals(again!.headers.get("redelivered"), "true");
  await again!.ack({ receipt: true });
  assertEquals(client.state, "connected");
});

Deno.test("Broker semantics on RabbitMQ: an ACK of a message an earlier client-mode ACK covered ends the connection, after that ACK's RECEIPT (so the client sends none)", async () => {
  await using peer = await brokerPeer(BROKERS.rabbitmqTcp, "RabbitMQ", {
    login: "guest",
    passcode: "guest",
  });
  const queue = uniqueQueue("covered");
  await peer.send({
    command: "SUBSCRIBE",
    headers: { id: "s1", destination: queue, ack: "client" },
  });
  await peer.send(send(queue, "one"));
  await peer.send(send(queue, "two"));
  const [one, two] = await peer.take(2);
  const ack = (message: typeof one, receipt: string) => ({
    command: "ACK" as const,
    headers: { id: message!.headers.get("ack")!, receipt },
  });
  await peer.send(ack(two, "a2"));
  await peer.send(ack(one, "a1"));
  assertEquals((await peer.expect("RECEIPT")).headers.get("receipt-id"), "a2");
  assertEquals((await peer.expect("RECEIPT")).headers.get("receipt-id"), "a1");
  const error = await peer.expect("ERROR");
  assert(
    error.text.includes("PRECONDITION_FAILED - unknown delivery tag"),
    error.text,
  );
  // Through the client: resolved at once, no frame, the connection stays
  // (tests/integration/client_ack_covered_test.ts).
  const { errors, onError } = collecting();
  await using client = await rabbit({ onError });
  const inbox = new Inbox(
    await client.subscribe(queue, { ack: "client", receipt: true }),
  );
  await client.send(queue, "three", { receipt: true });
  await client.send(queue, "four", { receipt: true });
  const [three, four] = await inbox.take(2);
  await four!.ack({ receipt: true });
  await three!.ack({ receipt: true });
  await client.send(queue, "open", { receipt: true });
  assertEquals(client.state, "connected");
  assertEquals(errors, []);
});

Deno.test("Broker semantics on RabbitMQ: exclusive:true makes the queue the connection's own, deleted with it and its messages", async () => {
  const queue = uniqueQueue("exclusive");
  const owner = await rabbit();
  await owner.subscribe(queue, {
    ack: "client-individual",
    headers: { exclusive: "true", "prefetch-count": "1" },
    receipt: true,
  });
  for (let i = 0; i < 5; i++) {
    await owner.send(queue, `m${i}`, {
      receipt: true,
      headers: { persistent: "true" },
    });
  }
  const { errors, onError } = collecting();
  await using refused = await rabbit({ onError });
  await assertRejects(
    () => refused.subscribe(queue, { receipt: true }),
    StompServerError,
    "RESOURCE_LOCKED",
  );
  assertEquals(refused.state, "closed");
  assert(errors.length > 0);
  await owner.disconnect();

  await using next = await rabbit();
  const after = await next.subscribe(queue, { receipt: true });
  assertEquals(await new Inbox(after).next(SETTLE), undefined, "a message");
});

Deno.test("Broker semantics on RabbitMQ: messages of an unsubscribed client-mode subscription come back only when the connection closes", async () => {
  const queue = uniqueQueue("unsubscribed");
  const client = await rabbit({ onUnhandledMessage: () => {} });
  await unsubscribeUnacked(client, queue);
  const again = await client.subscribe(queue, { receipt: true });
  assertEquals(
    await new Inbox(again).next(SETTLE),
    undefined,
    "same connection",
  );
  await client.disconnect();

  await using other = await rabbit();
  const later = new Inbox(await other.subscribe(queue, { receipt: true }));
  const back = await later.take(3);
  assertEquals(back.map((m) => m.text).sort(), ["m0", "m1", "m2"]);
  assert(back.every((m) => m.headers.get("redelivered") === "true"));
});

Deno.test("Broker semantics on RabbitMQ: an UNSUBSCRIBE with deliveries on their way gets an ERROR 'Subscription not found' for them, and the connection stays open", async () => {
  await using peer = await brokerPeer(BROKERS.rabbitmqTcp, "RabbitMQ", {
    login: "guest",
    passcode: "guest",
  });
  const queue = uniqueQueue("in-flight");
  for (let i = 0; i < 500; i++) {
    await peer.send(send(queue, `m${i}`));
  }
  await peer.send(send(queue, "last", { receipt: "sent" }));
  assertEquals(
    (await peer.expect("RECEIPT")).headers.get("receipt-id"),
    "sent",
  );
  await peer.send({
    command: "SUBSCRIBE",
    headers: { id: "s1", destination: queue, ack: "client-individual" },
  });
  await peer.send({ command: "UNSUBSCRIBE", headers: { id: "s1" } });
  await peer.send(send(queue, "x", { receipt: "after" }));
  const errors: string[] = [];
  for (;;) {
    const frame = await peer.next(5000, "the RECEIPT after the ERRORs");
    if (frame.command === "ERROR") errors.push(frame.headers.get("message")!);
    if (frame.command === "RECEIPT") break;
  }
  while (!await peer.quiet(SETTLE)) {
    const frame = await peer.next();
    if (frame.command === "ERROR") errors.push(frame.headers.get("message")!);
  }
  assert(errors.length > 0, "no ERROR");
  assertEquals(new Set(errors), new Set(["Subscription not found"]));
  await peer.send(send(queue, "y", { receipt: "open" }));
  assertEquals(
    (await peer.expect("RECEIPT")).headers.get("receipt-id"),
    "open",
  );
  assertEquals(peer.ended, false);
});

Deno.test("Broker semantics on RabbitMQ: a MESSAGE sent on with its own headers is refused by the client (its destination, content-length); without the client's own headers it is an ERROR that ends the connection (message-id on a SEND)", async () => {
  await using client = await rabbit({ onError: () => {} });
  const queue = uniqueQueue("forward");
  const target = uniqueQueue("forwarded");
  const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));
  await client.send(queue, "payload", { receipt: true });
  const [message] = await inbox.take(1);
  const headers = await forwardRefused(client, target, message!);
  assertEquals(client.state, "connected");
  await assertRejects(
    () => client.send(target, message!.body, { headers, receipt: true }),
    StompConnectionError,
    "Invalid header: 'message-id' is not allowed on 'SEND'",
  );
  assertEquals(client.state, "closed");
});

Deno.test("Broker semantics on RabbitMQ: a MESSAGE's destination is percent-encoded past ASCII and at %, not at spaces", async () => {
  await using client = await rabbit();
  const id = crypto.randomUUID();
  const cases: [string, string][] = [
    [`/queue/stomper-ü-${id}`, `/queue/stomper-%C3%BC-${id}`],
    [`/topic/stomper.日本.${id}`, `/topic/stomper.%E6%97%A5%E6%9C%AC.${id}`],
    [`/queue/stomper-100%-${id}`, `/queue/stomper-100%25-${id}`],
    [`/queue/stomper a b-${id}`, `/queue/stomper a b-${id}`],
  ];
  for (const [destination, delivered] of cases) {
    const inbox = new Inbox(
      await client.subscribe(destination, { receipt: true }),
    );
    await client.send(destination, "x", { receipt: true });
    const [message] = await inbox.take(1);
    assertEquals(message!.destination, delivered);
    assertEquals(decodeURIComponent(message!.destination!), destination);
  }
});

Deno.test("Broker semantics on RabbitMQ: a SUBSCRIBE to /temp-queue/ is an ERROR that ends the connection", async () => {
  const { errors, onError } = collecting();
  await using client = await rabbit({ onError });
  const destination = `/temp-queue/stomper-${crypto.randomUUID()}`;
  const refused = await client.subscribe(destination);
  await assertRejects(
    () => new Inbox(refused).next(5000),
    StompServerError,
    "is not a valid destination for 'SUBSCRIBE'",
  );
  assertEquals(client.state, "closed");
  assert(errors.some((error) => error instanceof StompServerError));

  await using waited = await rabbit({ onError: () => {} });
  await assertRejects(
    () => waited.subscribe(destination, { receipt: true }),
    StompServerError,
    "is not a valid destination for 'SUBSCRIBE'",
  );
});

Deno.test("Broker semantics on RabbitMQ: header values keep ':', LF and '\\' under 1.1 and 1.2; under 1.0 a ':' comes back as \\c", async () => {
  const value = "a:b\nc\\d é";
  for (const version of ["1.1", "1.2"] as const) {
    await using client = await rabbit({ acceptVersion: [version] });
    assertEquals(client.version, version);
    assertEquals(await headerRoundTrip(client, value), value);
  }
  await using old = await rabbit({ acceptVersion: ["1.0"] });
  assertEquals(old.version, "1.0");
  assertEquals(await headerRoundTrip(old, "a:b"), "a\\cb");
});

Deno.test("Broker semantics on RabbitMQ: a CR inside a header value ends a 1.0 or 1.1 connection without an ERROR; 1.2 escapes it", async () => {
  for (const version of ["1.0", "1.1"] as const) {
    const { errors, onError } = collecting();
    await using client = await rabbit({ acceptVersion: [version], onError });
    await assertRejects(
      () => headerRoundTrip(client, "a\rb"),
      StompConnectionError,
      "The server closed the connection",
    );
    assertEquals(
      errors.filter((error) => error instanceof StompServerError),
      [],
    );
  }
  await using client = await rabbit({ acceptVersion: ["1.2"] });
  assertEquals(await headerRoundTrip(client, "a\rb"), "a\rb");
});
