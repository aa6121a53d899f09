// StompClient.request() and reply() against RabbitMQ 3.10 and ActiveMQ 5.17
// (scripts/brokers.sh). On RabbitMQ the auto reply mode names
// /temp-queue/stomper-replies in reply-to: RabbitMQ makes an exclusive
// amq.gen queue of it per connection, hands the responder
// `reply-to:/reply-queue/amq.gen-...`, and delivers the replies without a
// SUBSCRIBE, under `subscription:/temp-queue/stomper-replies` with
// `destination:/queue/amq.gen-...`. On ActiveMQ the client subscribes once to
// /temp-queue/stomper-<id>, which ActiveMQ hands the responder as
// `/remote-temp-queue/ID:...`.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertNotEquals,
  assertRejects,
} from "@std/assert";
import type { StompFrame } from "@stomper/stomp";
import {
  type StompClient,
  type StompClientOptions,
  StompConnectionError,
  type StompMessage,
  StompTimeoutError,
  StompUnhandledMessageError,
} from "@stomper/stomp/client";
import { ChaosRelay } from "../_chaos.ts";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { eventually, uniqueQueue } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };
const RECONNECT = { initialDelay: 100, maxDelay: 300, jitter: 0, retries: 50 };
const TEMP_QUEUE = "/temp-queue/stomper-replies";

/**
 * A responder on its own connection: it takes requests from `queue` and
 * answers each with what `answer` makes of it; the requests it saw are kept.
 */
class Responder implements AsyncDisposable {
  readonly requests: StompMessage[] = [];
  readonly #client: StompClient;
  readonly #inbox: Inbox;

  private constructor(client: StompClient, inbox: Inbox) {
    this.#client = client;
    this.#inbox = inbox;
  }

  static async start(broker: string, queue: string): Promise<Responder> {
    const client = await connectTo(broker, QUIET);
    const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));
    return new Responder(client, inbox);
  }

  /** Takes `count` requests, then answers them, the last one first. */
  async answer(
    count: number,
    answer: (request: StompMessage) => string = (request) =>
      `re: ${request.text}`,
  ): Promise<void> {
    const taken = await this.#inbox.take(count);
    this.requests.push(...taken);
    for (const request of taken.reverse()) {
      await this.#client.reply(request, answer(request), { receipt: true });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#client.disconnect().catch(() => {});
  }
}

/**
 * Several requests at once from `requester`, answered in reverse order by a
 * responder on `responderBroker`: each resolves with its own reply.
 */
async function roundTrip(
  requester: StompClient,
  responderBroker: string,
  count = 8,
): Promise<{ replies: StompMessage[]; requests: StompMessage[] }> {
  const queue = uniqueQueue("rpc");
  await using responder = await Responder.start(responderBroker, queue);
  const pending = Array.from(
    { length: count },
    (_, i) => requester.request(queue, `q${i}`, { timeout: 10000 }),
  );
  const [replies] = await Promise.all([
    Promise.all(pending),
    responder.answer(count),
  ]);
  assertEquals(
    replies.map((reply) => reply.text),
    Array.from({ length: count }, (_, i) => `re: q${i}`),
  );
  // Every request had its own correlation-id, and its reply carried it back.
  const ids = responder.requests.map((r) => r.headers.get("correlation-id"));
  assertEquals(new Set(ids).size, count);
  for (const reply of replies) {
    assert(ids.includes(reply.headers.get("correlation-id")));
  }
  return { replies, requests: responder.requests };
}

/** What RabbitMQ does with /temp-queue/ replies, as the header says. */
function assertRabbitMqTempQueue(
  replies: readonly StompMessage[],
  requests: readonly StompMessage[],
): string {
  const replyTo = requests[0]!.headers.get("reply-to") ?? "";
  const match = /^\/reply-queue\/(amq\.gen-[\w-]+)$/.exec(replyTo);
  assert(match !== null, `reply-to ${replyTo}`);
  // One temp queue per connection, for all of its requests.
  for (const request of requests) {
    assertEquals(request.headers.get("reply-to"), replyTo);
  }
  for (const reply of replies) {
    assertEquals(reply.headers.get("subscription"), TEMP_QUEUE);
    assertEquals(reply.headers.get("destination"), `/queue/${match[1]}`);
  }
  return replyTo;
}

Deno.test("StompClient.request() with RabbitMQ over TCP: concurrent requests get their replies through a temp queue, without a SUBSCRIBE", async () => {
  const subscribes: string[] = [];
  await using requester = await connectTo(BROKERS.rabbitmqTcp, {
    ...QUIET,
    ...subscribeTrace(subscribes),
  });
  const { replies, requests } = await roundTrip(
    requester,
    BROKERS.rabbitmqTcp,
  );
  for (const request of requests) {
    assertMatch(request.headers.get("correlation-id") ?? "", /^stomper-/);
  }
  assertRabbitMqTempQueue(replies, requests);
  assertEquals(subscribes, [], "the temp queue needs no SUBSCRIBE");
  // A second round on the same connection uses the same temp queue.
  const again = await roundTrip(requester, BROKERS.rabbitmqTcp, 2);
  assertEquals(
    again.requests[0]!.headers.get("reply-to"),
    requests[0]!.headers.get("reply-to"),
  );
});

Deno.test("StompClient.request() with RabbitMQ over Web-STOMP: concurrent requests get their replies through a temp queue", async () => {
  await using requester = await connectTo(BROKERS.rabbitmqWs, QUIET);
  // The responder is on STOMP over TCP: the temp queue is the broker's.
  const { replies, requests } = await roundTrip(
    requester,
    BROKERS.rabbitmqTcp,
  );
  assertRabbitMqTempQueue(replies, requests);
});

/** The destinations of the SUBSCRIBE frames a client writes. */
function subscribeTrace(
  subscribes: string[],
): Pick<StompClientOptions, "trace"> {
  return {
    trace: (event) => {
      if (event.direction === "out" && event.frame?.command === "SUBSCRIBE") {
        subscribes.push(event.frame.headers.get("destination") ?? "");
      }
    },
  };
}

Deno.test("StompClient.request() with RabbitMQ in the subscription reply mode takes replies on an /exchange/ destination of its own", async () => {
  const subscribes: string[] = [];
  const key = `stomper-replies-${crypto.randomUUID()}`;
  const errors: Error[] = [];
  await using requester = await connectTo(BROKERS.rabbitmqTcp, {
    ...QUIET,
    replyMode: "subscription",
    // RabbitMQ binds an exclusive queue to the key for this subscription.
    replyDestination: `/exchange/amq.direct/${key}`,
    onError: (error) => errors.push(error),
    ...subscribeTrace(subscribes),
  });
  const { replies, requests } = await roundTrip(
    requester,
    BROKERS.rabbitmqTcp,
  );
  assertEquals(subscribes, [`/exchange/amq.direct/${key}`]);
  assertEquals(
    requests[0]!.headers.get("reply-to"),
    `/exchange/amq.direct/${key}`,
  );
  assertNotEquals(replies[0]!.headers.get("subscription"), TEMP_QUEUE);
  assertEquals(errors, []);
});

Deno.test({
  name:
    "StompClient.request() with RabbitMQ in the subscription reply mode works with the default replyDestination",
  fn: async () => {
    const errors: Error[] = [];
    await using requester = await connectTo(BROKERS.rabbitmqTcp, {
      ...QUIET,
      replyMode: "subscription",
      onError: (error) => errors.push(error),
    });
    await roundTrip(requester, BROKERS.rabbitmqTcp, 2);
    assertEquals(errors, []);
  },
});

Deno.test("StompClient.request() with ActiveMQ: concurrent requests get their replies through one reply subscription", async () => {
  const subscribes: string[] = [];
  await using requester = await connectTo(BROKERS.activemqTcp, {
    ...QUIET,
    ...subscribeTrace(subscribes),
  });
  const { replies, requests } = await roundTrip(
    requester,
    BROKERS.activemqTcp,
  );
  assertEquals(subscribes.length, 1, "one reply subscription for all");
  assertMatch(subscribes[0]!, /^\/temp-queue\/stomper-[\w-]+$/);
  const replyTo = requests[0]!.headers.get("reply-to") ?? "";
  assertMatch(replyTo, /^\/remote-temp-queue\/ID:/);
  for (const request of requests) {
    assertEquals(request.headers.get("reply-to"), replyTo);
  }
  // A second round reuses the subscription.
  await roundTrip(requester, BROKERS.activemqTcp, 2);
  assertEquals(subscribes.length, 1);
  assert(replies.every((reply) => reply.headers.has("subscription")));
});

/**
 * A request nobody answers in time rejects with a StompTimeoutError; the
 * reply sent after it goes to onUnhandledMessage, and the client carries on.
 */
async function lateReply(broker: string): Promise<StompFrame> {
  const queue = uniqueQueue("rpc-late");
  const unhandled: StompFrame[] = [];
  const errors: Error[] = [];
  await using requester = await connectTo(broker, {
    ...QUIET,
    onUnhandledMessage: (frame) => unhandled.push(frame),
    onError: (error) => errors.push(error),
  });
  const error = await assertRejects(
    () => requester.request(queue, "late", { timeout: 300 }),
    StompTimeoutError,
  );
  assertMatch(error.message, /No reply to request to .* within 300 ms/);
  // Now a responder comes, takes the request, and answers too late.
  await using responder = await Responder.start(broker, queue);
  await responder.answer(1);
  await eventually(() => unhandled.length === 1, 5000);
  const frame = unhandled[0]!;
  assertEquals(frame.command, "MESSAGE");
  assertEquals(frame.text, "re: late");
  assertEquals(
    frame.headers.get("correlation-id"),
    responder.requests[0]!.headers.get("correlation-id"),
  );
  assertEquals(errors.filter((e) => !(e instanceof StompTimeoutError)), []);
  // The connection is fine: the next request gets its reply.
  const next = requester.request(queue, "on time", { timeout: 5000 });
  await responder.answer(1);
  assertEquals((await next).text, "re: on time");
  assertEquals(requester.state, "connected");
  return frame;
}

Deno.test("StompClient.request() with RabbitMQ times out without a responder, and a late reply goes to onUnhandledMessage", async () => {
  const frame = await lateReply(BROKERS.rabbitmqTcp);
  assertEquals(frame.headers.get("subscription"), TEMP_QUEUE);
});

Deno.test("StompClient.request() with ActiveMQ times out without a responder, and a late reply goes to onUnhandledMessage", async () => {
  const frame = await lateReply(BROKERS.activemqTcp);
  assert(frame.headers.has("subscription"));
});

Deno.test("StompClient.request() with RabbitMQ: a late reply without onUnhandledMessage is reported as StompUnhandledMessageError", async () => {
  const queue = uniqueQueue("rpc-late-error");
  const errors: Error[] = [];
  await using requester = await connectTo(BROKERS.rabbitmqTcp, {
    ...QUIET,
    onError: (error) => errors.push(error),
  });
  await assertRejects(
    () => requester.request(queue, "late", { timeout: 300 }),
    StompTimeoutError,
  );
  await using responder = await Responder.start(BROKERS.rabbitmqTcp, queue);
  await responder.answer(1);
  await eventually(
    () => errors.some((e) => e instanceof StompUnhandledMessageError),
    15000,
  );
  const unhandled = errors.find((e) => e instanceof StompUnhandledMessageError);
  assertInstanceOf(unhandled, StompUnhandledMessageError);
  assertEquals(unhandled.frame.text, "re: late");
  assertEquals(requester.state, "connected");
});

/**
 * The requester's connection (through a relay) is cut, once with a request
 * waiting for its reply: that one rejects, and after the reconnection a new
 * request gets its reply on the new connection's reply queue.
 */
async function afterReconnect(
  broker: string,
  options: StompClientOptions = {},
): Promise<{ before: string; after: string }> {
  const upstream = new URL(broker);
  await using relay = ChaosRelay.start({
    hostname: upstream.hostname,
    port: Number(upstream.port),
  });
  const queue = uniqueQueue("rpc-reconnect");
  const sent: string[] = [];
  await using requester = await connectTo(relay.url, {
    ...QUIET,
    ...options,
    reconnect: RECONNECT,
    onError: () => {},
    trace: (event) => {
      if (event.direction === "out" && event.frame?.command === "SEND") {
        sent.push(event.frame.headers.get("destination") ?? "");
      }
    },
  });
  await using responder = await Responder.start(broker, queue);
  const first = requester.request(queue, "before", { timeout: 10000 });
  await responder.answer(1);
  assertEquals((await first).text, "re: before");

  // A request in flight when the connection goes: it may have been
  // processed, so it rejects rather than being sent again.
  const unanswered = uniqueQueue("rpc-unanswered");
  const lost = requester.request(unanswered, "lost", { timeout: 10000 });
  lost.catch(() => {});
  await eventually(() => sent.includes(unanswered), 15000);
  const connections = relay.connections;
  relay.cut();
  const error = await assertRejects(() => lost, StompConnectionError);
  assertMatch(error.message, /connection it was sent on was lost/);
  await eventually(
    () => relay.connections > connections && requester.state === "connected",
    15000,
  );

  const second = requester.request(queue, "after", { timeout: 10000 });
  await responder.answer(1);
  assertEquals((await second).text, "re: after");
  const [before, after] = responder.requests.map((request) =>
    request.headers.get("reply-to") ?? ""
  );
  return { before: before!, after: after! };
}

Deno.test("StompClient.request() with RabbitMQ works after a reconnection, on the new connection's temp queue", async () => {
  const { before, after } = await afterReconnect(BROKERS.rabbitmqTcp);
  assertMatch(before, /^\/reply-queue\/amq\.gen-/);
  assertMatch(after, /^\/reply-queue\/amq\.gen-/);
  assertNotEquals(after, before, "the temp queue is per connection");
});

Deno.test("StompClient.request() with ActiveMQ works after a reconnection, on the restored reply subscription", async () => {
  const { before, after } = await afterReconnect(BROKERS.activemqTcp);
  assertMatch(before, /^\/remote-temp-queue\/ID:/);
  assertMatch(after, /^\/remote-temp-queue\/ID:/);
  assertNotEquals(after, before, "the temp queue is per connection");
});
