// StompClient.drain against RabbitMQ 3.10 and ActiveMQ 5.17 (scripts/
// brokers.sh): two consumers of one work queue, each with client-individual
// acknowledgements and a prefetch, slow handlers; one drains mid-stream (as
// on SIGTERM during a rolling deploy), the other takes the rest. Every
// message is processed exactly once: ids counted on both sides.

import { assert, assertEquals } from "@std/assert";
import type { StompClient, StompSubscription } from "@stomper/stomp/client";
import { BROKERS, connectTo } from "./_client.ts";
import { eventually, sleep, uniqueQueue } from "../_helpers.ts";

const TOTAL = 300;
const PREFETCH = 10;
/** Handled by the draining consumer before it is told to stop. */
const BEFORE_DRAIN = 60;

const CASES = [
  {
    name: "RabbitMQ",
    url: BROKERS.rabbitmqTcp,
    prefetch: { "prefetch-count": String(PREFETCH) },
  },
  {
    name: "ActiveMQ",
    url: BROKERS.activemqTcp,
    prefetch: { "activemq.prefetchSize": String(PREFETCH) },
  },
] as const;

/** A consumer: handles each message in `ms`, counts it, acknowledges it. */
function consume(
  client: StompClient,
  subscription: StompSubscription,
  ms: number,
  processed: Map<string, number>,
  mine: { count: number },
): Promise<void> {
  return (async () => {
    for await (const message of subscription) {
      // The work is done (and counted) before the handler sends its
      // result and acknowledges: a client that disconnected under it would
      // fail both, and the message would be processed again elsewhere.
      await sleep(ms);
      processed.set(message.text, (processed.get(message.text) ?? 0) + 1);
      mine.count++;
      await client.send(`${subscription.destination}-done`, message.text);
      await message.ack();
    }
  })();
}

for (const { name, url, prefetch } of CASES) {
  Deno.test(`StompClient.drain against ${name}: a consumer with client-individual acks and a prefetch drains mid-stream, the other takes the rest, each message processed once`, async () => {
    const queue = uniqueQueue("drain");
    const options = { heartBeat: [0, 0] as const };
    const producer = await connectTo(url, options);
    for (let i = 0; i < TOTAL; i++) producer.send(queue, String(i));
    await producer.send(queue + "-sync", "", { receipt: true });
    await producer.disconnect();

    const processed = new Map<string, number>();
    const draining = await connectTo(url, options);
    const staying = await connectTo(url, options);
    const subscribe = (client: StompClient) =>
      client.subscribe(queue, {
        ack: "client-individual",
        headers: prefetch,
        receipt: true,
      });
    const byDraining = { count: 0 };
    const byStaying = { count: 0 };
    const drainingLoop = consume(
      draining,
      await subscribe(draining),
      10,
      processed,
      byDraining,
    );
    const stayingLoop = consume(
      staying,
      await subscribe(staying),
      15,
      processed,
      byStaying,
    );
    await eventually(
      () => byDraining.count >= BEFORE_DRAIN,
      30000,
      `${BEFORE_DRAIN} messages handled`,
    );
    const atDrain = byDraining.count;
    const started = performance.now();
    await draining.drain({ timeout: 10000 });
    const drainMs = performance.now() - started;
    await drainingLoop;
    assertEquals(draining.state, "closed");
    await eventually(
      () => processed.size === TOTAL,
      60000,
      `all ${TOTAL} messages processed (${processed.size} so far)`,
    );
    await sleep(300); // a duplicate would come now
    const duplicates = [...processed.values()].filter((n) => n > 1).length;
    const lost = TOTAL - processed.size;
    console.log(
      `${name}: ${TOTAL} messages, drained after ${atDrain} in ${
        drainMs.toFixed(0)
      } ms (finished ${
        byDraining.count - atDrain
      } at hand); ${byDraining.count} by the draining consumer, ${byStaying.count} by the other; ${duplicates} duplicates, ${lost} lost`,
    );
    await staying.disconnect();
    await stayingLoop;
    assertEquals(duplicates, 0);
    assertEquals(lost, 0);
    assertEquals(byDraining.count + byStaying.count, TOTAL);
    // What was at hand when the drain began was finished, no more: at
    // most the prefetch (plus the one being handled).
    assert(byDraining.count - atDrain <= PREFETCH + 1);
    // Each handler's result went out before its acknowledgement.
    const results = await connectTo(url, options);
    const done = await results.subscribe(queue + "-done", { ack: "auto" });
    let count = 0;
    const reading = (async () => {
      for await (const _ of done) if (++count === TOTAL) break;
    })();
    await eventually(() => count === TOTAL, 10000, "every result");
    await reading;
    await results.disconnect();
  });
}
