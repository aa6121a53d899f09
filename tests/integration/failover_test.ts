// StompClient.connectUrl failing over between two live brokers, RabbitMQ 3.10
// and ActiveMQ 5.17 (scripts/brokers.sh). The brokers are shared with other
// tests, so "stopping" one is done by the ChaosRelay in front of it
// (tests/_chaos.ts): refuse() makes it refuse connections like a stopped
// broker, cut() ends the connections it carries.

import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  StompClient,
  StompServerError,
  type StompStateChange,
} from "@stomper/stomp/client";
import { ChaosRelay } from "../_chaos.ts";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { eventually, uniqueQueue } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };
const RECONNECT = { initialDelay: 100, maxDelay: 300, jitter: 0, retries: 50 };
const GUEST = { login: "guest", passcode: "guest" };

function relayTo(broker: string): ChaosRelay {
  const upstream = new URL(broker);
  return ChaosRelay.start({
    hostname: upstream.hostname,
    port: Number(upstream.port),
  });
}

/** "Stops" the broker behind `relay`: no new connections, open ones cut. */
function stop(relay: ChaosRelay): void {
  relay.refuse();
  relay.cut();
}

/** The bodies of the next `count` messages of a broker's queue, read there. */
async function drain(
  broker: string,
  queue: string,
  count: number,
): Promise<string[]> {
  await using reader = await connectTo(broker, QUIET);
  const inbox = new Inbox(await reader.subscribe(queue, { receipt: true }));
  const texts = (await inbox.take(count)).map((message) => message.text);
  assertEquals(await inbox.next(300), undefined, `more in ${queue}`);
  return texts;
}

/** Sends `body` to a broker's queue directly, with a receipt. */
async function produce(
  broker: string,
  queue: string,
  body: string,
): Promise<void> {
  await using producer = await connectTo(broker, QUIET);
  await producer.send(queue, body, { receipt: true });
}

Deno.test("StompClient.connectUrl fails over between two live brokers (RabbitMQ and ActiveMQ) while one is stopped, and back, with its subscription restored", async () => {
  await using rabbit = relayTo(BROKERS.rabbitmqTcp);
  await using activemq = relayTo(BROKERS.activemqTcp);
  const changes: StompStateChange[] = [];
  const client = await StompClient.connectUrl([rabbit.url, activemq.url], {
    ...QUIET,
    ...GUEST,
    connectTimeout: 5000,
    reconnect: RECONNECT,
    onError: () => {},
    onStateChange: (change) => changes.push(change),
  });
  try {
    const inboxQueue = uniqueQueue("failover-inbox");
    const outQueue = uniqueQueue("failover-out");
    assertEquals(client.url?.port, String(rabbit.port));
    assertMatch(client.server ?? "", /^RabbitMQ\//);
    const inbox = new Inbox(
      await client.subscribe(inboxQueue, { receipt: true }),
    );
    await client.send(outQueue, "rabbit-1", { receipt: true });
    await client.send(inboxQueue, "rabbit-own", { receipt: true });
    assertEquals((await inbox.take(1))[0]!.text, "rabbit-own");

    stop(rabbit);
    await eventually(() =>
      client.state === "connected" &&
      client.url?.port === String(activemq.port), 15000);
    assertMatch(client.server ?? "", /^ActiveMQ\//);
    await client.send(outQueue, "activemq-1", { receipt: true });
    await client.send(outQueue, "activemq-2", { receipt: true });
    // The subscription made on RabbitMQ now reads ActiveMQ's queue.
    await produce(BROKERS.activemqTcp, inboxQueue, "from-activemq");
    assertEquals((await inbox.take(1))[0]!.text, "from-activemq");
    // The sends landed on ActiveMQ: read there.
    assertEquals(await drain(BROKERS.activemqTcp, outQueue, 2), [
      "activemq-1",
      "activemq-2",
    ]);

    rabbit.accept();
    stop(activemq);
    await eventually(() =>
      client.state === "connected" &&
      client.url?.port === String(rabbit.port), 15000);
    assertMatch(client.server ?? "", /^RabbitMQ\//);
    await client.send(outQueue, "rabbit-2", { receipt: true });
    await produce(BROKERS.rabbitmqTcp, inboxQueue, "from-rabbit");
    assertEquals((await inbox.take(1))[0]!.text, "from-rabbit");
    // RabbitMQ kept what was sent before the failover, and has the new one.
    assertEquals(await drain(BROKERS.rabbitmqTcp, outQueue, 2), [
      "rabbit-1",
      "rabbit-2",
    ]);

    // Every change named the broker it was about.
    const rabbitPort = String(rabbit.port);
    const activemqPort = String(activemq.port);
    const connected = changes
      .filter((change) => change.state === "connected")
      .map((change) => change.url?.port);
    assertEquals(connected, [rabbitPort, activemqPort, rabbitPort]);
    const lost = changes
      .filter((change) => change.state === "reconnecting")
      .map((change) => change.url?.port);
    assertEquals(lost, [rabbitPort, activemqPort]);
    assert(changes.every((change) => change.url !== undefined));
  } finally {
    await client.disconnect().catch(() => {});
  }
});

Deno.test("StompClient.connectUrl takes a failover:(...)?randomize=false URL and goes through its brokers in order", async () => {
  await using rabbit = relayTo(BROKERS.rabbitmqTcp);
  await using activemq = relayTo(BROKERS.activemqTcp);
  // ActiveMQ goes first this time: the order is the URL's.
  const failover = `failover:(${activemq.url},${rabbit.url})?randomize=false`;
  const client = await StompClient.connectUrl(failover, {
    ...QUIET,
    ...GUEST,
    connectTimeout: 5000,
    reconnect: RECONNECT,
    onError: () => {},
  });
  try {
    const queue = uniqueQueue("failover-url");
    assertEquals(client.url?.href, `${activemq.url}`);
    assertMatch(client.server ?? "", /^ActiveMQ\//);
    await client.send(queue, "on-activemq", { receipt: true });
    stop(activemq);
    await eventually(() =>
      client.state === "connected" &&
      client.url?.port === String(rabbit.port), 15000);
    assertMatch(client.server ?? "", /^RabbitMQ\//);
    await client.send(queue, "on-rabbit", { receipt: true });
    assertEquals(await drain(BROKERS.activemqTcp, queue, 1), ["on-activemq"]);
    assertEquals(await drain(BROKERS.rabbitmqTcp, queue, 1), ["on-rabbit"]);
  } finally {
    await client.disconnect().catch(() => {});
  }
});

Deno.test("StompClient.connectUrl with a list connects to the next broker when the first is stopped from the start", async () => {
  await using rabbit = relayTo(BROKERS.rabbitmqTcp);
  await using activemq = relayTo(BROKERS.activemqTcp);
  rabbit.refuse();
  const failed: Error[] = [];
  const client = await StompClient.connectUrl([rabbit.url, activemq.url], {
    ...QUIET,
    ...GUEST,
    connectTimeout: 5000,
    reconnect: { ...RECONNECT, onFailedAttempt: (error) => failed.push(error) },
    onError: () => {},
  });
  try {
    assertEquals(client.url?.port, String(activemq.port));
    assertMatch(client.server ?? "", /^ActiveMQ\//);
    assertEquals(failed.length, 1, "one refused attempt, then the standby");
    assertEquals(rabbit.connections, 0);
  } finally {
    await client.disconnect().catch(() => {});
  }
});

/**
 * Sends a request on the first broker of a failover pair, stops it, and
 * sends one on the second; a responder on each broker answers.
 */
async function requestAcrossFailover(
  from: string,
  to: string,
): Promise<void> {
  await using first = relayTo(from);
  await using second = relayTo(to);
  const queue = uniqueQueue("failover-rpc");
  const stopResponders = new AbortController();
  const answer = async (broker: string) => {
    await using responder = await connectTo(broker, QUIET);
    const requests = await responder.subscribe(queue, { receipt: true });
    stopResponders.signal.addEventListener(
      "abort",
      () => requests.unsubscribe(),
    );
    for await (const request of requests) {
      await responder.reply(request, `${request.text} from ${broker}`);
    }
  };
  const responders = [answer(from), answer(to)];
  const errors: Error[] = [];
  const connections: string[] = [];
  const client = await StompClient.connectUrl([first.url, second.url], {
    ...QUIET,
    ...GUEST,
    connectTimeout: 5000,
    reconnect: RECONNECT,
    onError: (error) => errors.push(error),
    onStateChange: ({ state, url }) => {
      if (state === "connected") connections.push(url?.port ?? "");
    },
  });
  try {
    const one = await client.request(queue, "one", { timeout: 5000 });
    assertEquals(one.text, `one from ${from}`);
    stop(first);
    await eventually(() =>
      client.state === "connected" &&
      client.url?.port === String(second.port), 15000);
    const two = await client.request(queue, "two", { timeout: 5000 });
    assertEquals(two.text, `two from ${to}`);
    // No ERROR from either broker, and no reconnection beyond the failover.
    assertEquals(
      errors.filter((e) => e instanceof StompServerError).map((e) => e.message),
      [],
    );
    assertEquals(connections, [String(first.port), String(second.port)]);
  } finally {
    await client.disconnect().catch(() => {});
    stopResponders.abort();
    await Promise.allSettled(responders);
  }
}

Deno.test({
  name:
    "StompClient.request() in the auto reply mode still gets replies after failing over from RabbitMQ to ActiveMQ",
  fn: () => requestAcrossFailover(BROKERS.rabbitmqTcp, BROKERS.activemqTcp),
});

Deno.test({
  name:
    "StompClient.request() in the auto reply mode still gets replies after failing over from ActiveMQ to RabbitMQ",
  fn: () => requestAcrossFailover(BROKERS.activemqTcp, BROKERS.rabbitmqTcp),
});
