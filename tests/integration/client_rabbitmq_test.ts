// StompClient against RabbitMQ 3.10 (scripts/brokers.sh): every client
// feature end to end over TCP, TLS and Web-STOMP, heart-beat loss through a
// relay that stops forwarding, and reconnection after
// `rabbitmqctl close_all_connections`.

import {
  assert,
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertLessOrEqual,
  assertMatch,
  assertRejects,
} from "@std/assert";
import { connect, type StompVersion } from "@stomper/stomp";
import {
  StompClient,
  type StompClientState,
  StompConnectionError,
  StompServerError,
} from "@stomper/stomp/client";
import { ChaosRelay } from "../_chaos.ts";
import { RawPeer } from "../_peer.ts";
import {
  BROKERS,
  connectTo,
  dropRabbitMqConnections,
  Inbox,
} from "./_client.ts";
import { uniqueQueue, within } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };
const BINARY = new Uint8Array(256).map((_, i) => i);

const TARGETS = [
  { name: "TCP", url: BROKERS.rabbitmqTcp, tls: false, websocket: false },
  { name: "TLS", url: BROKERS.rabbitmqTls, tls: true, websocket: false },
  { name: "Web-STOMP", url: BROKERS.rabbitmqWs, tls: false, websocket: true },
];

/** Whether nothing is left in the queue: a fresh consumer gets nothing. */
async function assertQueueEmpty(queue: string): Promise<void> {
  await using stomp = await connectTo(BROKERS.rabbitmqTcp, QUIET);
  const inbox = new Inbox(await stomp.subscribe(queue, { receipt: true }));
  const left = await inbox.next(500);
  assertEquals(left?.text, undefined, `left in ${queue}`);
}

for (const target of TARGETS) {
  Deno.test(`StompClient with RabbitMQ over ${target.name}: send, subscribe, ack, nack, transactions, disconnect`, async () => {
    const stomp = await connectTo(target.url, { ...QUIET, tls: target.tls });
    try {
      assertEquals(stomp.version, "1.2");
      assertMatch(stomp.server ?? "", /^RabbitMQ\//);
      const queue = uniqueQueue(target.name.toLowerCase());
      const subscription = await stomp.subscribe(queue, {
        ack: "client-individual",
        receipt: true,
      });
      const inbox = new Inbox(subscription);

      await stomp.send(queue, "héllo", {
        receipt: true,
        headers: { note: "a:b\\c" },
      });
      await stomp.send(queue, BINARY, { receipt: true });
      const [text, binary] = await inbox.take(2);
      assertEquals(text!.text, "héllo");
      assertEquals(text!.headers.get("note"), "a:b\\c");
      assertEquals(binary!.body, BINARY);
      await text!.ack({ receipt: true });
      await binary!.ack({ receipt: true });

      await stomp.send(queue, "reject me", { receipt: true });
      const [rejected] = await inbox.take(1);
      await rejected!.nack({ receipt: true });
      const [again] = await inbox.take(1);
      assertEquals(again!.text, "reject me");
      assertEquals(again!.headers.get("redelivered"), "true");
      await again!.ack({ receipt: true });

      const aborted = await stomp.begin({ receipt: true });
      await aborted.send(queue, "aborted");
      await aborted.abort({ receipt: true });
      const committed = await stomp.begin({ receipt: true });
      await committed.send(queue, "committed");
      await committed.commit({ receipt: true });
      const [delivered] = await inbox.take(1);
      assertEquals(delivered!.text, "committed");
      await delivered!.ack({ receipt: true });
      assertEquals(await inbox.next(300), undefined, "the aborted send came");

      await subscription.unsubscribe({ receipt: true });
      assertEquals(await inbox.next(100), undefined);
      assertEquals(subscription.active, false);

      const started = performance.now();
      await stomp.disconnect();
      const took = performance.now() - started;
      assertEquals(stomp.state, "closed");
      // Web-STOMP closes instead of sending the RECEIPT: still prompt.
      assertLessOrEqual(took, 1000);
    } finally {
      stomp.close();
      await stomp.closed.catch(() => {});
    }
  });
}

Deno.test("StompClient with RabbitMQ Web-STOMP in text frame mode carries text", async () => {
  await using stomp = await connectTo(BROKERS.rabbitmqWsText, QUIET);
  const queue = uniqueQueue("ws-text");
  const inbox = new Inbox(await stomp.subscribe(queue));
  await stomp.send(queue, "ünïcödé text", { receipt: true });
  assertEquals((await inbox.take(1))[0]!.text, "ünïcödé text");
});

Deno.test("StompClient with RabbitMQ acknowledges in the STOMP 1.0 and 1.1 forms", async () => {
  for (const version of ["1.0", "1.1"] as StompVersion[]) {
    const queue = uniqueQueue(`v${version}`);
    {
      await using stomp = await connectTo(BROKERS.rabbitmqTcp, {
        ...QUIET,
        acceptVersion: [version],
      });
      assertEquals(stomp.version, version);
      const inbox = new Inbox(
        await stomp.subscribe(queue, { ack: "client", receipt: true }),
      );
      for (const body of ["1", "2", "3"]) {
        await stomp.send(queue, body, { receipt: true });
      }
      const messages = await inbox.take(3);
      // Cumulative: acknowledging the last acknowledges all three.
      await messages[2]!.ack({ receipt: true });
    }
    // Had RabbitMQ not taken the ACK, the messages would come back.
    await assertQueueEmpty(queue);
  }
});

Deno.test("StompClient with RabbitMQ rejects a bad login with StompServerError", async () => {
  const url = new URL(BROKERS.rabbitmqTcp);
  url.username = "guest";
  url.password = "wrong";
  const error = await assertRejects(
    () => StompClient.connectUrl(url, QUIET),
    StompServerError,
    "Bad CONNECT: Access refused for user 'guest'",
  );
  assertMatch(error.details, /Access refused for user 'guest'/);
});

Deno.test("StompClient with RabbitMQ fails pending work on a server ERROR", async () => {
  const errors: Error[] = [];
  const stomp = await connectTo(BROKERS.rabbitmqTcp, {
    ...QUIET,
    onError: (error) => errors.push(error),
  });
  // RabbitMQ's ERROR does not name the receipt: the send fails with the
  // connection, the ERROR as its cause.
  const error = await assertRejects(
    () => stomp.send("/bogus/x", "x", { receipt: true }),
    StompConnectionError,
    "Connection ended by an ERROR from the server: Unknown destination: '/bogus/x' is not a valid destination",
  );
  assertInstanceOf(error.cause, StompServerError);
  assertEquals(errors.length, 1);
  assertInstanceOf(errors[0], StompServerError);
  assertMatch(errors[0].details, /'\/bogus\/x' is not a valid destination/);
  await assertRejects(() => stomp.closed, StompConnectionError);
});

Deno.test("StompClient with RabbitMQ buffers at most highWaterMark messages of a slow consumer", async () => {
  const queue = uniqueQueue("backpressure");
  const total = 600;
  const body = new Uint8Array(16 * 1024).fill(0x62);
  {
    await using producer = await connectTo(BROKERS.rabbitmqTcp, QUIET);
    for (let i = 0; i < total; i++) {
      await producer.send(queue, body, { headers: { n: String(i) } });
    }
    await producer.send(queue, "last", { receipt: true });
  }
  await using consumer = await connectTo(BROKERS.rabbitmqTcp, QUIET);
  const subscription = await consumer.subscribe(queue, { highWaterMark: 4 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  // The mark, plus at most one 64 KiB read: about 10 MiB stays out of memory.
  assertLessOrEqual(subscription.buffered, 4 + 5);
  let next = 0;
  for await (const m of subscription) {
    if (m.text === "last") break;
    assertEquals(m.headers.get("n"), String(next++));
    assertLessOrEqual(subscription.buffered, 9);
  }
  assertEquals(next, total);
});

Deno.test("StompClient with RabbitMQ: prefetch-count keeps a slow subscription from stalling the others", async () => {
  await using stomp = await connectTo(BROKERS.rabbitmqTcp, QUIET);
  const slowQueue = uniqueQueue("slow");
  const fastQueue = uniqueQueue("fast");
  const slow = await stomp.subscribe(slowQueue, {
    ack: "client-individual",
    highWaterMark: 8,
    headers: { "prefetch-count": "4" },
    receipt: true,
  });
  const fast = new Inbox(await stomp.subscribe(fastQueue, { receipt: true }));
  for (let i = 0; i < 100; i++) await stomp.send(slowQueue, `s${i}`);
  await within(
    stomp.send(fastQueue, "f", { receipt: true }),
    5000,
    "send to the fast queue",
  );
  assertEquals((await fast.take(1))[0]!.text, "f");
  assertEquals(slow.buffered, 4);
});

Deno.test("StompClient's heart-beats keep an idle connection to RabbitMQ open, and a silent client is dropped", async () => {
  // Control: a peer that offers heart-beats and then stays silent.
  const url = new URL(BROKERS.rabbitmqTcp);
  await using silent = await RawPeer.open(Number(url.port));
  await silent.send(connect({
    host: "/",
    login: "guest",
    passcode: "guest",
    heartBeat: [1000, 0],
  }));
  assertEquals((await silent.next(5000)).command, "CONNECTED");

  await using stomp = await connectTo(BROKERS.rabbitmqTcp, {
    heartBeat: [1000, 1000],
  });
  assertEquals(stomp.heartBeat, { send: 1000, receive: 1000 });
  await silent.end(6000);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assertEquals(stomp.state, "connected");
  await stomp.send(uniqueQueue("alive"), "still here", { receipt: true });
});

Deno.test("StompClient detects RabbitMQ falling silent through a relay within interval × grace", async () => {
  const url = new URL(BROKERS.rabbitmqTcp);
  await using relay = ChaosRelay.start({ port: Number(url.port) });
  const states: StompClientState[] = [];
  const stomp = await connectTo(relay.url, {
    heartBeat: [1000, 1000],
    heartBeatGrace: 2,
    onStateChange: (change) => states.push(change.state),
  });
  // Over 2 s, RabbitMQ's heart-beats (every ~500 ms) keep it alive.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assertEquals(stomp.state, "connected");
  const subscription = await stomp.subscribe(uniqueQueue("silence"));
  const consumer = (async () => {
    for await (const _ of subscription) { /* nothing comes */ }
  })();
  consumer.catch(() => {});
  relay.silence("toClient");
  const silencedAt = performance.now();
  const pending = stomp.send(uniqueQueue("silence"), "x", { receipt: true });
  pending.catch(() => {});
  await assertRejects(
    () => within(stomp.closed, 5000, "silence detection"),
    StompConnectionError,
    "Server silent",
  );
  const detectedAfter = performance.now() - silencedAt;
  // The limit is 2000 ms after the last byte, which came at most ~500 ms
  // before the relay went quiet.
  assertGreater(detectedAfter, 1300);
  assertLessOrEqual(detectedAfter, 2300);
  await assertRejects(() => pending, StompConnectionError, "Server silent");
  await assertRejects(() => consumer, StompConnectionError, "Server silent");
  assertEquals(states, ["connected", "closed"]);
  console.log(
    `silence detected ${Math.round(detectedAfter)} ms after it began`,
  );
});

Deno.test("StompClient reconnects after rabbitmqctl close_all_connections: subscriptions restored, nothing lost or acknowledged twice", async () => {
  const queue = uniqueQueue("reconnect");
  const states: StompClientState[] = [];
  const stomp: StompClient = await connectTo(BROKERS.rabbitmqTcp, {
    ...QUIET,
    reconnect: { initialDelay: 200, maxDelay: 2000, retries: 20 },
    onStateChange: (change) => states.push(change.state),
  });
  try {
    const inbox = new Inbox(
      await stomp.subscribe(queue, { ack: "client-individual", receipt: true }),
    );
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      sent.push(`m${i}`);
      await stomp.send(queue, `m${i}`, { receipt: true });
    }
    const acked = new Set<string>();
    const first = await inbox.take(10);
    for (const m of first.slice(0, 5)) {
      await m.ack({ receipt: true });
      acked.add(m.text);
    }
    const held = first.slice(5); // Consumed, not acknowledged.

    const dropped = performance.now();
    await dropRabbitMqConnections();
    await within(
      (async () => {
        while (
          stomp.state !== "connected" || !states.includes("reconnecting")
        ) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      15000,
      "reconnection",
    );
    const reconnectedAfter = performance.now() - dropped;

    for (const m of held) {
      await assertRejects(
        () => m.ack(),
        StompConnectionError,
        "arrived on a connection that was lost",
      );
    }
    for (let i = 20; i < 30; i++) {
      sent.push(`m${i}`);
      await stomp.send(queue, `m${i}`, { receipt: true });
    }
    while (acked.size < sent.length) {
      const m = await inbox.next(5000);
      if (m === undefined) break;
      assert(!acked.has(m.text), `${m.text} came again after its ACK`);
      await m.ack({ receipt: true });
      acked.add(m.text);
    }
    assertEquals([...acked].sort(), [...sent].sort());
    assertEquals(states, ["connected", "reconnecting", "connected"]);
    assertEquals(await inbox.next(300), undefined);
    console.log(
      `reconnected ${Math.round(reconnectedAfter)} ms after the drop command`,
    );
  } finally {
    await stomp.disconnect().catch(() => {});
  }
  await assertQueueEmpty(queue);
});
