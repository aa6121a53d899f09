// StompClient over the three-node RabbitMQ cluster of `scripts/brokers.sh
// cluster` (real nodes on loopback, STOMP 61701-61703): a producer and a
// consumer on connectUrl's failover list, a quorum queue, and the node both
// are connected to killed with SIGKILL in the middle of the stream. Needs
// `scripts/brokers.sh cluster start` (as root; CI's .ci/run starts it).

import { assert, assertEquals, assertGreater, assertMatch } from "@std/assert";
import {
  StompClient,
  type StompClientOptions,
  StompConnectionError,
  type StompStateChange,
  StompTimeoutError,
} from "@stomper/stomp/client";
import { Inbox } from "./_client.ts";
import { runCommand, uniqueQueue } from "../_helpers.ts";

const URLS = (Deno.env.get("STOMPER_CLUSTER_URLS") ??
  "tcp://127.0.0.1:61701,tcp://127.0.0.1:61702,tcp://127.0.0.1:61703")
  .split(",");
const SCRIPT = new URL("../../scripts/brokers.sh", import.meta.url).pathname;
const CLUSTER_HINT =
  "start it with `scripts/brokers.sh cluster start` (as root)";

// RabbitMQ's STOMP plugin declares the queue from these on SUBSCRIBE and on
// SEND alike; a SEND without them to an existing quorum queue is refused
// with PRECONDITION_FAILED ("inequivalent arg 'x-queue-type'") and the
// connection closed. x-expires removes the queue a minute after its last use,
// so that runs against a long-lived cluster leave nothing behind.
const QUORUM = {
  "x-queue-type": "quorum",
  durable: "true",
  "auto-delete": "false",
  "x-expires": "60000",
};
const CLIENT: StompClientOptions = {
  login: "guest",
  passcode: "guest",
  heartBeat: [0, 0],
  connectTimeout: 5000,
  reconnect: {
    initialDelay: 50,
    maxDelay: 500,
    retries: 40,
    retryFirstConnect: false,
  },
};

/** Runs `brokers.sh cluster <args>`; its log lines go to stderr. */
function cluster(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand("bash", [SCRIPT, "cluster", ...args], {
    timeoutMs: 150_000,
  });
}

/** Fails unless all three nodes run and are clustered; returns the status. */
async function assertClusterWhole(): Promise<string> {
  const status = await cluster("status");
  if (status.code !== 0) {
    throw new Error(
      `The cluster is not whole:\n${status.stdout}${status.stderr}${CLUSTER_HINT}`,
    );
  }
  return status.stdout;
}

/** The cluster node (1-3) a STOMP URL belongs to. */
function nodeOf(url: URL | undefined): number {
  const index = URLS.findIndex((item) => new URL(item).port === url?.port);
  assert(index >= 0, `${url} is not a cluster node`);
  return index + 1;
}

/**
 * When the client first lost its connection, when it was first connected
 * again, and when last (a quorum queue's leader election can drop it again).
 */
function watchFailover(): {
  onStateChange: (change: StompStateChange) => void;
  lost: number | undefined;
  back: number | undefined;
  settled: number | undefined;
  changes: string[];
} {
  const watch = {
    lost: undefined as number | undefined,
    back: undefined as number | undefined,
    settled: undefined as number | undefined,
    changes: [] as string[],
    onStateChange: (change: StompStateChange) => {
      watch.changes.push(`${change.state}@${change.url?.port}`);
      if (change.state === "reconnecting") watch.lost ??= performance.now();
      if (change.state === "connected" && watch.lost !== undefined) {
        watch.back ??= performance.now();
        watch.settled = performance.now();
      }
    },
  };
  return watch;
}

Deno.test("StompClient.connectUrl over a three-node RabbitMQ cluster: the connected node killed mid-stream, publishing fails over with receipts, every confirmed message consumed once or marked redelivered", async () => {
  await assertClusterWhole();
  const queue = uniqueQueue("cluster-quorum");
  const total = 2000;
  const killAt = 600;
  const window = 16;

  const consumerWatch = watchFailover();
  const producerWatch = watchFailover();
  const consumer = await StompClient.connectUrl(URLS, {
    ...CLIENT,
    onStateChange: consumerWatch.onStateChange,
    onError: () => {}, // lost connections; each operation reports its own
  });
  const producer = await StompClient.connectUrl(URLS, {
    ...CLIENT,
    onStateChange: producerWatch.onStateChange,
    onError: () => {},
  });
  let killed: number | undefined;
  let revive: { code: number; stderr: string } | undefined;
  try {
    // Both start on the list's first node, which also becomes the queue's
    // leader (declared there first): the kill takes the leader with it.
    assertEquals(nodeOf(consumer.url), 1);
    assertEquals(nodeOf(producer.url), 1);
    const inbox = new Inbox(
      await consumer.subscribe(queue, {
        ack: "client-individual",
        receipt: true,
        headers: { ...QUORUM, "prefetch-count": "64" },
      }),
    );

    // Each try of a message has its own body ("seq.try"): a resend after a
    // lost RECEIPT (outcome unknown) may arrive beside the first try, and
    // that is not a redelivery.
    const confirmed = new Set<number>();
    let resent = 0;
    let next = 0;
    let kill: Promise<void> | undefined;
    let killStarted = 0;
    let killReturned = 0;
    const publish = async (seq: number) => {
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          await producer.send(queue, `${seq}.${attempt}`, {
            receipt: true,
            timeout: 10000,
            headers: { ...QUORUM, persistent: "true" },
          });
          confirmed.add(seq);
          return;
        } catch (error) {
          if (
            !(error instanceof StompConnectionError ||
              error instanceof StompTimeoutError)
          ) throw error;
          resent++;
        }
      }
      throw new Error(`message ${seq} not confirmed in 10 tries`);
    };
    const worker = async () => {
      while (next < total) {
        await publish(next++);
        if (kill === undefined && confirmed.size >= killAt) {
          killed = nodeOf(producer.url);
          killStarted = performance.now();
          kill = cluster("kill", String(killed)).then(({ code, stderr }) => {
            assertEquals(code, 0, stderr);
            killReturned = performance.now();
          });
          kill.catch(() => {}); // awaited below, unless the test fails first
        }
      }
    };
    const producing = Promise.all(Array.from({ length: window }, worker));

    // Every delivery of a body after its first must say redelivered.
    const deliveries = new Map<string, number>();
    const notMarked: string[] = [];
    const ackedSeqs = new Set<number>();
    let ackLost = 0;
    let done = false;
    let failed: unknown;
    producing.then(() => done = true, (error) => failed = error);
    const take = async (ms: number): Promise<boolean> => {
      const message = await inbox.next(ms);
      if (message === undefined) return false;
      const body = message.text;
      const seen = deliveries.get(body) ?? 0;
      if (seen > 0 && message.headers.get("redelivered") !== "true") {
        notMarked.push(body);
      }
      deliveries.set(body, seen + 1);
      try {
        await message.ack({ receipt: true, timeout: 10000 });
        ackedSeqs.add(Number(body.slice(0, body.indexOf("."))));
      } catch (error) {
        if (
          !(error instanceof StompConnectionError ||
            error instanceof StompTimeoutError)
        ) throw error;
        ackLost++; // the broker sends it again
      }
      return true;
    };
    const deadline = Date.now() + 45000;
    while (!done || [...confirmed].some((seq) => !ackedSeqs.has(seq))) {
      if (failed !== undefined) throw failed;
      if (Date.now() > deadline) {
        const missing = [...confirmed].filter((seq) => !ackedSeqs.has(seq));
        throw new Error(
          `${missing.length} confirmed messages not consumed within 45 s (first: ${
            missing.slice(0, 5)
          }), producer done: ${done}`,
        );
      }
      await take(500);
    }
    await producing; // rethrows a producer failure
    // Late duplicates (of resends, or redeliveries) are still checked.
    while (await take(1000));

    assertEquals(confirmed.size, total);
    assertEquals(ackedSeqs.size, total);
    assertEquals(notMarked, [], "delivered again without redelivered:true");
    await kill;
    assert(killed !== undefined);
    assert(producerWatch.back !== undefined, "the producer never came back");
    assert(consumerWatch.back !== undefined, "the consumer never came back");
    // Both left the killed node for another one.
    assert(nodeOf(producer.url) !== killed, `producer on ${producer.url}`);
    assert(nodeOf(consumer.url) !== killed, `consumer on ${consumer.url}`);
    assertGreater(producer.stats.reconnects, 0);
    const duplicates = [...deliveries.values()].filter((n) => n > 1).length;
    console.log(
      `killed node ${killed}: producer back ${
        (producerWatch.back - producerWatch.lost!).toFixed(0)
      } ms after losing it, settled after ${
        (producerWatch.settled! - producerWatch.lost!).toFixed(0)
      } ms (kill returned after ${
        (killReturned - killStarted).toFixed(0)
      } ms), consumer ${
        (consumerWatch.back - consumerWatch.lost!).toFixed(0)
      } ms; ${resent} sends retried, ${deliveries.size} bodies delivered, ${duplicates} more than once, ${ackLost} acks lost; producer ${
        producerWatch.changes.join(" ")
      }, consumer ${consumerWatch.changes.join(" ")}`,
    );
  } finally {
    await producer.disconnect().catch(() => {});
    await consumer.disconnect().catch(() => {});
    // Leave the cluster whole for the next test, also after a failure.
    if (killed !== undefined) {
      const started = performance.now();
      revive = await cluster("revive", String(killed));
      console.log(
        `revived node ${killed} in ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s`,
      );
    }
  }
  assertEquals(revive?.code, 0, revive?.stderr);

  // Whole again: three running members, and the revived node serves the
  // queue (now a follower there) over its own STOMP port.
  const status = await assertClusterWhole();
  for (const name of ["c1", "c2", "c3"]) {
    assertMatch(status, new RegExp(`running members.*stomper-${name}@`));
  }
  await using revived = await StompClient.connectUrl(URLS[killed! - 1]!, {
    ...CLIENT,
    reconnect: false,
  });
  const check = new Inbox(
    await revived.subscribe(queue, {
      receipt: true,
      headers: QUORUM,
    }),
  );
  await revived.send(queue, "after revive", {
    receipt: true,
    headers: { ...QUORUM, persistent: "true" },
  });
  assertEquals((await check.next(5000))?.text, "after revive");
});
