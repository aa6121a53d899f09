// The RabbitMQ recipes of docs/brokers.md ("Durable subscriptions and
// prefetch"), each proven against RabbitMQ 3.10 (scripts/brokers.sh):
// a durable topic subscription, prefetch-count, and persistent SENDs whose
// receipt is a publisher confirm. Queue depths come from `rabbitmqctl`, so
// the broker's own view is checked, not only what the client saw.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { StompConnectionError } from "@stomper/stomp/client";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { uniqueQueue, uniqueTopic } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };
// How long "nothing more arrives" is watched: locally a delivery the broker
// is free to make comes within a few milliseconds.
const SETTLE = 500;
const NODE = "rabbit@localhost";

/** What `rabbitmqctl list_queues` says about one queue. */
interface QueueStats {
  messages: number;
  messages_ready: number;
  messages_unacknowledged: number;
  messages_persistent: number;
  durable: boolean;
  auto_delete: boolean;
}

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("rabbitmqctl", {
    args: ["-q", "-n", NODE, ...args],
    // As scripts/brokers.sh runs it: Debian's tools first.
    env: { PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${Deno.env.get("PATH")}` },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30000),
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    throw new Error(
      `rabbitmqctl ${args.join(" ")} failed (${code}): ${
        decoder.decode(stderr)
      }`,
    );
  }
  return decoder.decode(stdout);
}

/** The queue's counters, or `undefined` if there is no such queue. */
async function queueStats(name: string): Promise<QueueStats | undefined> {
  const rows = JSON.parse(
    await rabbitmqctl(
      "list_queues",
      "--formatter",
      "json",
      "name",
      "messages",
      "messages_ready",
      "messages_unacknowledged",
      "messages_persistent",
      "durable",
      "auto_delete",
    ),
  ) as ({ name: string } & QueueStats)[];
  const row = rows.find((row) => row.name === name);
  if (row === undefined) return undefined;
  const { name: _, ...stats } = row;
  return stats;
}

/** Deletes the queue at the end of a test, whatever happened. */
function deletingQueue(name: string): AsyncDisposable {
  return {
    [Symbol.asyncDispose]: async () => {
      await rabbitmqctl("delete_queue", name).catch(() => {});
    },
  };
}

/** The queue name RabbitMQ gives a `/queue/` destination. */
function queueName(destination: string): string {
  return destination.replace(/^\/queue\//, "");
}

Deno.test("Recipe on RabbitMQ: a durable topic subscription (durable, auto-delete:false, x-queue-name) keeps what was published while its client was away", async () => {
  const suffix = crypto.randomUUID();
  const topic = `/topic/stomper-recipes-${suffix}`;
  const name = `stomper-recipes-durable-${suffix}`;
  await using _cleanup = deletingQueue(name);
  const durable = {
    durable: "true",
    "auto-delete": "false",
    "x-queue-name": name,
  };

  {
    await using first = await connectTo(BROKERS.rabbitmqTcp, QUIET);
    const subscription = await first.subscribe(topic, {
      ack: "client-individual",
      headers: durable,
      receipt: true,
    });
    // Control: a plain topic subscription, whose queue goes with it.
    await first.subscribe(topic, { receipt: true });
    await first.send(topic, "live", { receipt: true });
    const [live] = await new Inbox(subscription).take(1);
    assertEquals(live!.text, "live");
    await live!.ack({ receipt: true });
    await first.disconnect();
  }
  assertEquals(await queueStats(name), {
    messages: 0,
    messages_ready: 0,
    messages_unacknowledged: 0,
    messages_persistent: 0,
    durable: true,
    auto_delete: false,
  });

  {
    await using publisher = await connectTo(BROKERS.rabbitmqTcp, QUIET);
    for (const body of ["while away 1", "while away 2", "while away 3"]) {
      await publisher.send(topic, body, {
        headers: { persistent: "true" },
        receipt: true,
      });
    }
  }
  const kept = await queueStats(name);
  assertEquals(kept?.messages, 3);
  assertEquals(kept?.messages_persistent, 3);

  {
    await using again = await connectTo(BROKERS.rabbitmqTcp, QUIET);
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
    for (const m of messages) await m.ack({ receipt: true });
    assertEquals(
      (await plain.next(SETTLE))?.text,
      undefined,
      "the plain subscription kept a message",
    );
    // `durable` alone names a queue derived from the subscription id, so
    // RabbitMQ deletes nothing: it needs the x-queue-name too.
    await subscription.unsubscribe({
      headers: { durable: "true" },
      receipt: true,
    });
    assert(await queueStats(name) !== undefined, "deleted without its name");
    const last = await again.subscribe(topic, {
      headers: durable,
      receipt: true,
    });
    await last.unsubscribe({
      headers: { durable: "true", "x-queue-name": name },
      receipt: true,
    });
  }
  assertEquals(await queueStats(name), undefined, "the queue is still there");
});

Deno.test("Recipe on RabbitMQ: prefetch-count:3 with client-individual acks has exactly 3 messages unacknowledged until one is acked", async () => {
  const queue = uniqueQueue("recipes-prefetch");
  await using _cleanup = deletingQueue(queueName(queue));
  await using stomp = await connectTo(BROKERS.rabbitmqTcp, QUIET);
  for (let i = 0; i < 10; i++) {
    await stomp.send(queue, `m${i}`, { receipt: i === 9 });
  }
  const inbox = new Inbox(
    await stomp.subscribe(queue, {
      ack: "client-individual",
      headers: { "prefetch-count": "3" },
      receipt: true,
    }),
  );

  const first = await inbox.take(3);
  assertEquals(first.map((m) => m.text), ["m0", "m1", "m2"]);
  assertEquals(await inbox.next(SETTLE), undefined, "a 4th came before an ACK");
  let stats = await queueStats(queueName(queue));
  assertEquals(stats?.messages_ready, 7);
  assertEquals(stats?.messages_unacknowledged, 3);

  await first[0]!.ack({ receipt: true });
  const [fourth] = await inbox.take(1);
  assertEquals(fourth!.text, "m3");
  assertEquals(await inbox.next(SETTLE), undefined, "more than one per ACK");
  stats = await queueStats(queueName(queue));
  assertEquals(stats?.messages_ready, 6);
  assertEquals(stats?.messages_unacknowledged, 3);
});

Deno.test("Recipe on RabbitMQ: a receipt on a persistent SEND is a publisher confirm", async () => {
  const queue = uniqueQueue("recipes-confirm");
  const transientQueue = uniqueQueue("recipes-transient");
  await using _cleanup = deletingQueue(queueName(queue));
  await using _cleanupTransient = deletingQueue(queueName(transientQueue));
  await using stomp = await connectTo(BROKERS.rabbitmqTcp, QUIET);

  // Only the last SEND asks for a receipt: the broker confirms in order, so
  // once it is in, the 99 before it are too.
  const written: Promise<void>[] = [];
  for (let i = 0; i < 99; i++) {
    written.push(
      stomp.send(queue, `m${i}`, { headers: { persistent: "true" } }),
    );
  }
  await stomp.send(queue, "m99", {
    headers: { persistent: "true" },
    receipt: true,
  });
  await Promise.all(written);
  const stats = await queueStats(queueName(queue));
  assertEquals(stats?.messages, 100);
  assertEquals(stats?.messages_persistent, 100, "not all on disk");
  assertEquals(stats?.durable, true);

  await stomp.send(transientQueue, "t", { receipt: true });
  assertEquals(
    (await queueStats(queueName(transientQueue)))?.messages_persistent,
    0,
  );

  // A confirm means the broker took the message, not that anyone reads it:
  // a topic without subscribers drops it and still confirms.
  await stomp.send(
    uniqueTopic("recipes-nobody"),
    "x",
    {
      receipt: true,
    },
  );

  // What the broker refuses is never confirmed.
  await using refused = await connectTo(BROKERS.rabbitmqTcp, QUIET);
  await assertRejects(
    () =>
      refused.send(`/exchange/stomper-no-such-${crypto.randomUUID()}`, "x", {
        receipt: true,
      }),
    StompConnectionError,
    "NOT_FOUND - no exchange",
  );
});
