// StompClient against ActiveMQ 5.17 (scripts/brokers.sh), over TCP: the
// client features end to end, heart-beat loss and reconnection through a
// relay (ActiveMQ has no command to drop its clients; the relay cuts the
// real connections instead).

import {
  assert,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
  assertMatch,
  assertRejects,
} from "@std/assert";
import {
  type StompClientState,
  StompConnectionError,
  StompServerError,
} from "@stomper/stomp/client";
import { ChaosRelay } from "../_chaos.ts";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { uniqueQueue, within } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };
const PORT = Number(new URL(BROKERS.activemqTcp).port);

Deno.test("StompClient with ActiveMQ: send, subscribe, ack, nack, transactions, disconnect", async () => {
  const stomp = await connectTo(BROKERS.activemqTcp, QUIET);
  try {
    assertEquals(stomp.version, "1.2");
    assertMatch(stomp.server ?? "", /^ActiveMQ\//);
    const queue = uniqueQueue("amq");
    const subscription = await stomp.subscribe(queue, {
      ack: "client-individual",
      receipt: true,
    });
    const inbox = new Inbox(subscription);
    const binary = new Uint8Array(256).map((_, i) => i);
    await stomp.send(queue, "héllo", {
      receipt: true,
      headers: { note: "a:b\\c" },
    });
    await stomp.send(queue, binary, { receipt: true });
    const [text, bytes] = await inbox.take(2);
    assertEquals(text!.text, "héllo");
    assertEquals(text!.headers.get("note"), "a:b\\c");
    // ActiveMQ's ack ids hold colons; they round-trip through the escaping.
    assertMatch(text!.headers.get("ack") ?? "", /:/);
    assertEquals(bytes!.body, binary);
    await text!.ack({ receipt: true });
    await bytes!.ack({ receipt: true });

    // ActiveMQ does not requeue a NACKed message.
    await stomp.send(queue, "reject me", { receipt: true });
    const [rejected] = await inbox.take(1);
    await rejected!.nack({ receipt: true });
    assertEquals(await inbox.next(500), undefined);

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
    await stomp.disconnect();
    assertEquals(stomp.state, "closed");
  } finally {
    stomp.close();
    await stomp.closed.catch(() => {});
  }
});

Deno.test("StompClient with ActiveMQ acknowledges in the STOMP 1.0 and 1.1 forms", async () => {
  for (const version of ["1.0", "1.1"] as const) {
    const queue = uniqueQueue(`amq-v${version}`);
    {
      await using stomp = await connectTo(BROKERS.activemqTcp, {
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
      await messages[2]!.ack({ receipt: true });
    }
    await using check = await connectTo(BROKERS.activemqTcp, QUIET);
    const inbox = new Inbox(await check.subscribe(queue, { receipt: true }));
    assertEquals((await inbox.next(500))?.text, undefined, version);
  }
});

Deno.test("StompClient with ActiveMQ rejects the operation an ERROR names by receipt", async () => {
  const errors: Error[] = [];
  const stomp = await connectTo(BROKERS.activemqTcp, {
    ...QUIET,
    onError: (error) => errors.push(error),
  });
  const error = await assertRejects(
    () =>
      stomp.send(uniqueQueue("amq-error"), "x", {
        receipt: true,
        headers: { transaction: "no-such-transaction" },
      }),
    StompServerError,
    "Invalid transaction id: no-such-transaction",
  );
  assert(error.receiptId !== undefined);
  assertMatch(error.details, /ProtocolException/);
  assertEquals(errors, [error]);
  await assertRejects(() => stomp.closed, StompConnectionError);
});

Deno.test("StompClient with ActiveMQ: activemq.prefetchSize keeps a slow subscription from stalling the others", async () => {
  await using stomp = await connectTo(BROKERS.activemqTcp, QUIET);
  const slowQueue = uniqueQueue("amq-slow");
  const fastQueue = uniqueQueue("amq-fast");
  const slow = await stomp.subscribe(slowQueue, {
    ack: "client-individual",
    highWaterMark: 8,
    headers: { "activemq.prefetchSize": "4" },
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

Deno.test("StompClient detects ActiveMQ falling silent through a relay within interval × grace", async () => {
  await using relay = ChaosRelay.start({ port: PORT });
  // Grace 3: ActiveMQ's first heart-beat comes two intervals after CONNECTED.
  const stomp = await connectTo(relay.url, {
    heartBeat: [500, 500],
    heartBeatGrace: 3,
  });
  assertEquals(stomp.heartBeat, { send: 500, receive: 500 });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assertEquals(stomp.state, "connected");
  relay.silence("toClient");
  const silencedAt = performance.now();
  await assertRejects(
    () => within(stomp.closed, 5000, "silence detection"),
    StompConnectionError,
    "Server silent",
  );
  const detectedAfter = performance.now() - silencedAt;
  // The limit is 1500 ms after the last byte, which came at most 500 ms
  // before the relay went quiet.
  assertGreater(detectedAfter, 900);
  assertLessOrEqual(detectedAfter, 1800);
  console.log(
    `silence detected ${Math.round(detectedAfter)} ms after it began`,
  );
});

Deno.test("StompClient reconnects to ActiveMQ after its connection is cut: subscription restored, nothing lost or acknowledged twice", async () => {
  await using relay = ChaosRelay.start({ port: PORT });
  const queue = uniqueQueue("amq-reconnect");
  const states: StompClientState[] = [];
  const stomp = await connectTo(relay.url, {
    ...QUIET,
    reconnect: { initialDelay: 100, retries: 20 },
    onStateChange: (change) => states.push(change.state),
  });
  try {
    const inbox = new Inbox(
      await stomp.subscribe(queue, { ack: "client-individual", receipt: true }),
    );
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      sent.push(`m${i}`);
      await stomp.send(queue, `m${i}`, { receipt: true });
    }
    const acked = new Set<string>();
    const first = await inbox.take(6);
    for (const m of first.slice(0, 3)) {
      await m.ack({ receipt: true });
      acked.add(m.text);
    }
    relay.cut();
    await within(
      (async () => {
        while (
          stomp.state !== "connected" || !states.includes("reconnecting")
        ) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      10000,
      "reconnection",
    );
    for (const m of first.slice(3)) {
      await assertRejects(() => m.ack(), StompConnectionError);
    }
    for (let i = 10; i < 15; i++) {
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
  } finally {
    await stomp.disconnect().catch(() => {});
  }
});
