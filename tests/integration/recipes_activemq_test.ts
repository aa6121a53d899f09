// The ActiveMQ recipes of docs/brokers.md ("Durable subscriptions and
// prefetch"), each proven against ActiveMQ 5.17 over TCP
// (scripts/brokers.sh): a durable topic subscription (CONNECT `client-id`,
// SUBSCRIBE `activemq.subscriptionName`) that outlives its connection and is
// removed again, `activemq.prefetchSize`, and selectors.

import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  type StompClient,
  type StompClientState,
  StompConnectionError,
  StompServerError,
} from "@stomper/stomp/client";
import { ChaosRelay } from "../_chaos.ts";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { uniqueQueue, uniqueTopic } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };
// How long "nothing more arrives" is watched: locally a delivery the broker
// is free to make comes within a few milliseconds.
const SETTLE = 500;

/** A client whose CONNECT carries `client-id`, as durable topics need. */
function connectAs(clientId: string): Promise<StompClient> {
  return connectTo(BROKERS.activemqTcp, {
    ...QUIET,
    headers: { "client-id": clientId },
  });
}

/**
 * Removes the durable subscription `name` of the client's `client-id`.
 * ActiveMQ 5 reads only the `activemq.subscriptionName` header of such an
 * UNSUBSCRIBE, so any subscription of the client can carry it; its consumer
 * then stays open until the connection ends.
 */
async function removeDurable(stomp: StompClient, name: string): Promise<void> {
  const carrier = await stomp.subscribe(
    uniqueTopic("recipes-carrier"),
    { receipt: true },
  );
  await carrier.unsubscribe({
    headers: { "activemq.subscriptionName": name },
    receipt: true,
  });
}

/** Removes the durable subscription at the end of a test if it is left. */
function removingDurable(clientId: string, name: string): AsyncDisposable {
  return {
    [Symbol.asyncDispose]: async () => {
      try {
        await using stomp = await connectAs(clientId);
        await removeDurable(stomp, name);
      } catch {
        // Already removed: ActiveMQ answered with an ERROR.
      }
    },
  };
}

Deno.test("Recipe on ActiveMQ: a durable topic subscription (client-id, activemq.subscriptionName) gets what was published while it was disconnected", async () => {
  const suffix = crypto.randomUUID();
  const topic = `/topic/stomper-recipes-${suffix}`;
  const clientId = `stomper-recipes-${suffix}`;
  const name = "news";
  await using _cleanup = removingDurable(clientId, name);
  const durable = { "activemq.subscriptionName": name };

  {
    await using first = await connectAs(clientId);
    const subscription = await first.subscribe(topic, {
      ack: "client-individual",
      headers: durable,
      receipt: true,
    });
    // Control: a plain topic subscription, which ends with its connection.
    await first.subscribe(topic, { receipt: true });
    await first.send(topic, "live", { receipt: true });
    const [live] = await new Inbox(subscription).take(1);
    assertEquals(live!.text, "live");
    await live!.ack({ receipt: true });
    await first.disconnect();
  }

  {
    await using publisher = await connectTo(BROKERS.activemqTcp, QUIET);
    for (const body of ["while away 1", "while away 2", "while away 3"]) {
      await publisher.send(topic, body, {
        headers: { persistent: "true" },
        receipt: true,
      });
    }
  }

  {
    await using again = await connectAs(clientId);
    const subscription = await again.subscribe(topic, {
      ack: "client-individual",
      headers: durable,
      receipt: true,
    });
    const plain = new Inbox(await again.subscribe(topic, { receipt: true }));
    const messages = await new Inbox(subscription).take(3);
    assertEquals(messages.map((m) => m.text), [
      "while away 1",
      "while away 2",
      "while away 3",
    ]);
    for (const m of messages) {
      assertEquals(m.headers.get("persistent"), "true");
      await m.ack({ receipt: true });
    }
    assertEquals(
      (await plain.next(SETTLE))?.text,
      undefined,
      "the plain subscription kept a message",
    );

    // A plain UNSUBSCRIBE only closes the consumer: the subscription stays
    // and keeps collecting.
    await subscription.unsubscribe({ receipt: true });
    await again.send(topic, "after unsubscribe", {
      headers: { persistent: "true" },
      receipt: true,
    });
    const resumed = await again.subscribe(topic, {
      ack: "client-individual",
      headers: durable,
      receipt: true,
    });
    const [kept] = await new Inbox(resumed).take(1);
    assertEquals(kept!.text, "after unsubscribe");
    await kept!.ack({ receipt: true });

    // Removing it takes a second UNSUBSCRIBE naming it, once its consumer
    // is closed.
    await resumed.unsubscribe({ receipt: true });
    await removeDurable(again, name);
    await again.disconnect();
  }

  // Removed for good: nothing was kept, and ActiveMQ no longer knows it.
  await using publisher = await connectTo(BROKERS.activemqTcp, QUIET);
  await publisher.send(topic, "after removal", {
    headers: { persistent: "true" },
    receipt: true,
  });
  const check = await connectAs(clientId);
  const fresh = await check.subscribe(topic, {
    headers: durable,
    receipt: true,
  });
  assertEquals(await new Inbox(fresh).next(SETTLE), undefined);
  await fresh.unsubscribe({ receipt: true });
  await removeDurable(check, name);
  await assertRejects(
    () => removeDurable(check, name),
    StompServerError,
    "No durable subscription exists",
  );
  await assertRejects(() => check.closed, StompConnectionError);
});

Deno.test("Recipe on ActiveMQ: without persistent:true, what an away durable subscription kept comes after the persistent messages (a broker with persistence off)", async () => {
  const suffix = crypto.randomUUID();
  const topic = `/topic/stomper-recipes-${suffix}`;
  const clientId = `stomper-recipes-${suffix}`;
  const name = "mixed";
  await using _cleanup = removingDurable(clientId, name);
  const durable = { "activemq.subscriptionName": name };
  {
    await using first = await connectAs(clientId);
    await first.subscribe(topic, { headers: durable, receipt: true });
  }
  {
    await using publisher = await connectTo(BROKERS.activemqTcp, QUIET);
    for (const body of ["t0", "p1", "t2", "p3"]) {
      await publisher.send(topic, body, {
        headers: body.startsWith("p") ? { persistent: "true" } : {},
        receipt: true,
      });
    }
  }
  await using again = await connectAs(clientId);
  const inbox = new Inbox(
    await again.subscribe(topic, { headers: durable, receipt: true }),
  );
  const messages = await inbox.take(4);
  assertEquals(messages.map((m) => m.text), ["p1", "p3", "t0", "t2"]);
  assertEquals(await inbox.next(SETTLE), undefined);
});

Deno.test("Recipe on ActiveMQ: with reconnect, a durable subscription is resumed under the same client-id after the connection is cut", async () => {
  await using relay = ChaosRelay.start({
    port: Number(new URL(BROKERS.activemqTcp).port),
  });
  const suffix = crypto.randomUUID();
  const topic = `/topic/stomper-recipes-${suffix}`;
  const clientId = `stomper-recipes-${suffix}`;
  const name = "resumed";
  await using _cleanup = removingDurable(clientId, name);
  const failures: Error[] = [];
  const states: StompClientState[] = [];
  const stomp = await connectTo(relay.url, {
    ...QUIET,
    headers: { "client-id": clientId },
    reconnect: {
      initialDelay: 1000,
      retries: 5,
      onFailedAttempt: (error) => failures.push(error),
    },
    onStateChange: (change) => states.push(change.state),
  });
  try {
    const inbox = new Inbox(
      await stomp.subscribe(topic, {
        ack: "client-individual",
        headers: { "activemq.subscriptionName": name },
        receipt: true,
      }),
    );
    relay.cut();
    {
      await using publisher = await connectTo(BROKERS.activemqTcp, QUIET);
      for (const body of ["during the cut 1", "during the cut 2"]) {
        await publisher.send(topic, body, {
          headers: { persistent: "true" },
          receipt: true,
        });
      }
    }
    const messages = await inbox.take(2, 10000);
    assertEquals(messages.map((m) => m.text), [
      "during the cut 1",
      "during the cut 2",
    ]);
    for (const m of messages) await m.ack({ receipt: true });
    assertEquals(states, ["connected", "reconnecting", "connected"]);
    assertEquals(failures, []);
  } finally {
    await stomp.disconnect().catch(() => {});
  }
});

Deno.test("Recipe on ActiveMQ: a durable subscription cannot be removed while its consumer is open, and a client-id is one connection at a time", async () => {
  const suffix = crypto.randomUUID();
  const clientId = `stomper-recipes-${suffix}`;
  const name = "busy";
  await using _cleanup = removingDurable(clientId, name);
  const stomp = await connectAs(clientId);
  await stomp.subscribe(`/topic/stomper-recipes-${suffix}`, {
    headers: { "activemq.subscriptionName": name },
    receipt: true,
  });
  await assertRejects(
    () => connectAs(clientId),
    StompServerError,
    "already connected",
  );
  await assertRejects(
    () => removeDurable(stomp, name),
    StompServerError,
    "Durable consumer is in use",
  );
  // ActiveMQ closes the connection after the ERROR.
  await assertRejects(() => stomp.closed, StompConnectionError);
});

Deno.test("Recipe on ActiveMQ: activemq.prefetchSize:3 with client-individual acks has exactly 3 messages unacknowledged until one is acked", async () => {
  const queue = uniqueQueue("recipes-prefetch");
  await using stomp = await connectTo(BROKERS.activemqTcp, QUIET);
  for (let i = 0; i < 10; i++) {
    await stomp.send(queue, `m${i}`, { receipt: i === 9 });
  }
  const inbox = new Inbox(
    await stomp.subscribe(queue, {
      ack: "client-individual",
      headers: { "activemq.prefetchSize": "3" },
      receipt: true,
    }),
  );

  const first = await inbox.take(3);
  assertEquals(first.map((m) => m.text), ["m0", "m1", "m2"]);
  assertEquals(await inbox.next(SETTLE), undefined, "a 4th came before an ACK");

  await first[0]!.ack({ receipt: true });
  const [fourth] = await inbox.take(1);
  assertEquals(fourth!.text, "m3");
  assertEquals(await inbox.next(SETTLE), undefined, "more than one per ACK");

  // The rest come as the ones in flight are acknowledged.
  const rest = [...first.slice(1), fourth!];
  for (const m of rest) await m.ack({ receipt: true });
  const last: string[] = [];
  for (let i = 4; i < 10; i++) {
    const [m] = await inbox.take(1);
    last.push(m!.text);
    await m!.ack({ receipt: true });
  }
  assertEquals(last, ["m4", "m5", "m6", "m7", "m8", "m9"]);
});

Deno.test("Recipe on ActiveMQ: a selector delivers only the messages whose headers match it", async () => {
  await using stomp = await connectTo(BROKERS.activemqTcp, QUIET);
  const topic = uniqueTopic("recipes");
  const subscribe = async (selector: string) =>
    new Inbox(
      await stomp.subscribe(topic, { headers: { selector }, receipt: true }),
    );
  const red = await subscribe("colour = 'red'");
  const high = await subscribe("level > 5");
  // The STOMP `priority` header is the JMS priority, not a property.
  const urgent = await subscribe("JMSPriority > 5");
  const byName = await subscribe("priority > 5");
  const both = await subscribe("colour = 'red' AND level > 5");

  const sent = [
    { body: "a", headers: { colour: "red", level: "3", priority: "9" } },
    { body: "b", headers: { colour: "blue", level: "7", priority: "1" } },
    { body: "c", headers: { colour: "red", level: "10", priority: "4" } },
  ];
  for (const { body, headers } of sent) {
    await stomp.send(topic, body, { headers, receipt: true });
  }
  const texts = async (inbox: Inbox, count: number) => {
    const messages = await inbox.take(count);
    assertEquals(await inbox.next(SETTLE), undefined, "one too many");
    return messages.map((m) => m.text).sort();
  };
  assertEquals(await texts(red, 2), ["a", "c"]);
  // Compared as numbers: "10" > 5, though "10" < "5" as strings.
  assertEquals(await texts(high, 2), ["b", "c"]);
  assertEquals(await texts(urgent, 1), ["a"]);
  assertEquals(await texts(byName, 0), []);
  assertEquals(await texts(both, 1), ["c"]);

  // On a queue the messages a selector skips wait for other consumers.
  const queue = uniqueQueue("recipes-selector");
  const onlyRed = new Inbox(
    await stomp.subscribe(queue, {
      headers: { selector: "colour = 'red'" },
      receipt: true,
    }),
  );
  for (const { body, headers } of sent) {
    await stomp.send(queue, body, { headers, receipt: true });
  }
  assertEquals(await texts(onlyRed, 2), ["a", "c"]);
  const rest = new Inbox(await stomp.subscribe(queue, { receipt: true }));
  const [blue] = await rest.take(1);
  assert(blue !== undefined);
  assertEquals(blue.text, "b");
});
