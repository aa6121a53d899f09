// StompClient with reconnection to RabbitMQ 3.10 through ChaosRelay
// (tests/_chaos.ts): a connection cut in the middle of a MESSAGE, a silent
// path found by heart-beats, and a slow link. A producer connected directly
// sends with receipts, the consumer acknowledges with receipts: every
// message is accounted for, exactly once.

import {
  assert,
  assertEquals,
  assertGreater,
  assertGreaterOrEqual,
  assertInstanceOf,
  assertLessOrEqual,
  assertMatch,
  assertThrows,
} from "@std/assert";
import { StompDecoder, StompSyntaxError } from "@stomper/stomp";
import {
  type StompClient,
  type StompClientState,
  StompConnectionError,
} from "@stomper/stomp/client";
import { ChaosRelay, type ChaosRelayOptions } from "../_chaos.ts";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { uniqueQueue, within } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };
const RECONNECT = { initialDelay: 100, maxDelay: 1000, retries: 20 };

function relayToRabbitMq(options: ChaosRelayOptions = {}): ChaosRelay {
  const upstream = new URL(BROKERS.rabbitmqTcp);
  return ChaosRelay.start({
    hostname: upstream.hostname,
    port: Number(upstream.port),
  }, options);
}

/** Whether nothing is left in the queue: a fresh consumer gets nothing. */
async function assertQueueEmpty(queue: string): Promise<void> {
  await using stomp = await connectTo(BROKERS.rabbitmqTcp, QUIET);
  const inbox = new Inbox(await stomp.subscribe(queue, { receipt: true }));
  const left = await inbox.next(500);
  assertEquals(left?.text, undefined, `left in ${queue}`);
}

/** Sends `bodies` one by one, each confirmed by its RECEIPT. */
async function produce(queue: string, bodies: string[]): Promise<void> {
  await using producer = await connectTo(BROKERS.rabbitmqTcp, QUIET);
  for (const body of bodies) {
    await producer.send(queue, body, { receipt: true });
  }
}

/**
 * Takes messages and acknowledges each with a receipt until every one of
 * `expected` is acknowledged; an acknowledgement of a message from a lost
 * connection rejects (and the broker sends it again). Fails on a message
 * acknowledged twice, or after `ms`.
 */
async function acknowledgeAll(
  inbox: Inbox,
  expected: readonly string[],
  ms: number,
  acked = new Set<string>(),
): Promise<{ acked: Set<string>; rejected: number; order: string[] }> {
  const deadline = Date.now() + ms;
  let rejected = 0;
  const order: string[] = [];
  while (acked.size < expected.length) {
    const message = await inbox.next(Math.max(1, deadline - Date.now()));
    if (message === undefined) {
      throw new Error(
        `${acked.size} of ${expected.length} acknowledged within ${ms} ms`,
      );
    }
    const id = message.text.slice(0, message.text.indexOf(":"));
    order.push(id);
    try {
      await message.ack({ receipt: true });
    } catch (error) {
      if (!(error instanceof StompConnectionError)) throw error;
      rejected++;
      continue;
    }
    assert(!acked.has(id), `${id} acknowledged twice`);
    acked.add(id);
  }
  assertEquals([...acked].sort(), [...expected].sort());
  return { acked, rejected, order };
}

function bodies(count: number, size: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `m${String(i).padStart(3, "0")}:`.padEnd(size, "x"),
  );
}

function ids(list: readonly string[]): string[] {
  return list.map((body) => body.slice(0, body.indexOf(":")));
}

Deno.test("StompClient through ChaosRelay to RabbitMQ: cut in the middle of a MESSAGE, reconnects, every message acknowledged once", async () => {
  const queue = uniqueQueue("chaos-cut");
  // What reached the client on its first connection, to decode afterwards.
  const first: Uint8Array[] = [];
  await using relay = relayToRabbitMq({
    onForward(bytes, direction, connection) {
      if (direction === "toClient" && connection === 1) {
        first.push(bytes.slice());
      }
    },
  });
  const states: StompClientState[] = [];
  const errors: Error[] = [];
  const consumer: StompClient = await connectTo(relay.url, {
    ...QUIET,
    reconnect: RECONNECT,
    onStateChange: (change) => {
      states.push(change.state);
      if (change.error) errors.push(change.error);
    },
  });
  try {
    const inbox = new Inbox(
      await consumer.subscribe(queue, {
        ack: "client-individual",
        receipt: true,
      }),
    );
    // MESSAGE frames of some 10 KB each: byte 25,000 towards the client is
    // inside the body of the third.
    const sent = bodies(30, 10000);
    const cut = relay.cutAfter(25000);
    await produce(queue, sent);
    await within(cut, 10000, "the cut");
    // Acknowledging only after the cut: no acknowledgement is in doubt (sent,
    // its RECEIPT lost with the connection).
    const { rejected } = await acknowledgeAll(inbox, ids(sent), 30000);
    assertLessOrEqual(rejected, 2);
    assertEquals(relay.cuts, 1);
    assertEquals(relay.connections, 2);
    assertEquals(states, ["connected", "reconnecting", "connected"]);
    // The first connection's bytes end inside the third MESSAGE.
    const decoder = new StompDecoder();
    const frames = first.flatMap((bytes) => decoder.push(bytes));
    assertEquals(frames.map((frame) => frame.command), [
      "CONNECTED",
      "RECEIPT",
      "MESSAGE",
      "MESSAGE",
    ]);
    assertGreater(decoder.buffered, 0);
    assertThrows(
      () => decoder.end(),
      StompSyntaxError,
      "Input ended inside a frame that started",
    );
    // The client reports the lost connection (not yet that it ended
    // inside a frame).
    assertInstanceOf(errors[0], StompConnectionError);
    console.log(`the client's error: ${errors[0].message}`);
    assertEquals(await inbox.next(300), undefined);
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  await assertQueueEmpty(queue);
});

Deno.test("StompClient through ChaosRelay to RabbitMQ: a silent path found by heart-beats, reconnects, nothing lost", async () => {
  const queue = uniqueQueue("chaos-silence");
  await using relay = relayToRabbitMq();
  const states: StompClientState[] = [];
  const errors: Error[] = [];
  const consumer: StompClient = await connectTo(relay.url, {
    heartBeat: [1000, 1000],
    heartBeatGrace: 2,
    reconnect: RECONNECT,
    onStateChange: (change) => {
      states.push(change.state);
      if (change.error) errors.push(change.error);
    },
  });
  try {
    const inbox = new Inbox(
      await consumer.subscribe(queue, {
        ack: "client-individual",
        receipt: true,
      }),
    );
    const before = bodies(10, 100);
    await produce(queue, before);
    const acked = (await acknowledgeAll(inbox, ids(before), 10000)).acked;

    relay.silence();
    const silenced = performance.now();
    const during = bodies(20, 100).slice(10);
    // Sent while the path is silent: held in the relay, or not yet sent.
    await produce(queue, during);
    await within(
      (async () => {
        while (!states.includes("reconnecting")) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })(),
      10000,
      "silence detection",
    );
    const detected = performance.now() - silenced;
    relay.resume();
    assertMatch(errors[0]?.message ?? "", /silent/i);
    // 1000 ms × grace 2 from the last byte, which came at most ~500 ms
    // (RabbitMQ's heart-beat period) before the silence.
    assertGreater(detected, 1300);
    assertLessOrEqual(detected, 5000);

    await acknowledgeAll(inbox, ids([...before, ...during]), 30000, acked);
    assertEquals(states, ["connected", "reconnecting", "connected"]);
    assertEquals(await inbox.next(300), undefined);
    console.log(`silence detected ${Math.round(detected)} ms after it began`);
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  await assertQueueEmpty(queue);
});

Deno.test("StompClient through ChaosRelay to RabbitMQ: a throttled link still delivers every message, in order", async () => {
  const queue = uniqueQueue("chaos-throttle");
  await using relay = relayToRabbitMq();
  const rate = 40000;
  relay.throttle(rate, "toClient");
  const consumer: StompClient = await connectTo(relay.url, QUIET);
  try {
    const inbox = new Inbox(
      await consumer.subscribe(queue, {
        ack: "client-individual",
        receipt: true,
      }),
    );
    const sent = bodies(60, 2000);
    const start = relay.bytes("toClient");
    const started = performance.now();
    await produce(queue, sent);
    const { order, rejected } = await acknowledgeAll(inbox, ids(sent), 30000);
    const elapsed = performance.now() - started;
    assertEquals(rejected, 0);
    assertEquals(order, ids(sent));
    const relayed = relay.bytes("toClient") - start;
    assertGreater(relayed, 60 * 2000);
    // The link could not go faster than the throttle (its first slice of
    // rate / 50 bytes goes at once).
    assertGreaterOrEqual(elapsed, ((relayed - rate / 50) / rate) * 1000 * 0.95);
    assertEquals(relay.cuts, 0);
    console.log(
      `${relayed} bytes in ${Math.round(elapsed)} ms through ${rate} bytes/s`,
    );
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  await assertQueueEmpty(queue);
});
