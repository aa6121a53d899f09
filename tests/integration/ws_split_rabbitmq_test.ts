// RabbitMQ Web-STOMP joins a frame split across WebSocket messages
// (maxMessageBytes): its STOMP parser reads the messages as one byte
// stream. A 200 KiB SEND goes out in pieces of at most 64 KiB (Spring's
// default cap) and arrives whole, over the binary endpoint and over the
// text-only one (a node of its own, without a TCP listener: its consumer
// connects over Web-STOMP too).

import {
  assert,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
} from "@std/assert";
import { send, subscribe } from "@stomper/stomp";
import { StompClient } from "@stomper/stomp/client";
import {
  connectWebSocket,
  type WebSocketMessageType,
  type WebSocketTransport,
} from "@stomper/stomp/transports";
import { Inbox, withGuest } from "./_client.ts";
import {
  assertBody,
  assertReachable,
  BROKERS,
  openSession,
  TARGETS,
} from "./_codec_session.ts";
import { randomBytes, uniqueQueue, within } from "../_helpers.ts";

const KiB = 1024;
const LIMIT = 64 * KiB;
const QUIET = { heartBeat: [0, 0] as const };
const utf8 = new TextEncoder();

/** About 200 KiB of text whose characters take 1 to 4 bytes, so cuts fall inside some. */
function bigText(): string {
  return "a\u00e9\u20ac\u{1f600}".repeat(20 * KiB + 7);
}

/** Records the UTF-8 size of every message the socket sends. */
function recordSends(transport: WebSocketTransport): number[] {
  const sizes: number[] = [];
  const socket = transport.socket;
  const original = socket.send.bind(socket);
  socket.send = (data) => {
    sizes.push(
      typeof data === "string"
        ? utf8.encode(data).length
        : (data as ArrayBufferView).byteLength,
    );
    original(data);
  };
  return sizes;
}

const ENDPOINTS: {
  name: string;
  url: string;
  /** Where a consumer of the same node connects. */
  consumerUrl: string;
  messageType: WebSocketMessageType;
  target: typeof TARGETS.rabbitmqWs | typeof TARGETS.rabbitmqWsText;
}[] = [
  {
    name: "binary",
    url: BROKERS.rabbitmqWs,
    consumerUrl: BROKERS.rabbitmqTcp,
    messageType: "binary",
    target: TARGETS.rabbitmqWs,
  },
  {
    name: "text",
    url: BROKERS.rabbitmqWsText,
    consumerUrl: BROKERS.rabbitmqWsText,
    messageType: "text",
    target: TARGETS.rabbitmqWsText,
  },
];

for (const endpoint of ENDPOINTS) {
  Deno.test(`StompClient with maxMessageBytes on RabbitMQ Web-STOMP (${endpoint.name}): a 200 KiB SEND in 64 KiB messages arrives whole`, async () => {
    await assertReachable(endpoint.url, "RabbitMQ Web-STOMP");
    const queue = uniqueQueue("ws-split");
    await using consumer = await StompClient.connectUrl(
      withGuest(endpoint.consumerUrl),
      {
        ...QUIET,
        connectTimeout: 5000,
        transport: { messageType: endpoint.messageType, timeout: 5000 },
      },
    );
    const inbox = new Inbox(await consumer.subscribe(queue, { receipt: true }));

    let sizes: number[] = [];
    await using producer = await StompClient.connect(async () => {
      const transport = await connectWebSocket(endpoint.url, {
        messageType: endpoint.messageType,
        maxMessageBytes: LIMIT,
        timeout: 5000,
      });
      sizes = recordSends(transport);
      return transport;
    }, { ...QUIET, login: "guest", passcode: "guest", connectTimeout: 5000 });
    const body = endpoint.messageType === "text"
      ? bigText()
      : randomBytes(200 * KiB);
    await within(
      producer.send(queue, body, { receipt: true }),
      10000,
      "the receipt for the 200 KiB SEND",
    );

    const [message] = await inbox.take(1, 10000);
    if (typeof body === "string") {
      assertEquals(message?.text.length, body.length);
      assert(message?.text === body, "the text arrived intact");
    } else {
      assertBody(message!.frame, body);
    }
    // The SEND (and its receipt request) went out as 4 messages, none over
    // the limit.
    for (const size of sizes) assertLessOrEqual(size, LIMIT);
    assertGreater(sizes.filter((size) => size > LIMIT - 4).length, 2);
  });

  Deno.test(`connectWebSocket with maxMessageBytes on RabbitMQ Web-STOMP (${endpoint.name}): a split 200 KiB SEND comes back whole over the same socket`, async () => {
    await assertReachable(endpoint.url, "RabbitMQ Web-STOMP");
    await using session = await openSession(endpoint.target, {
      transport: { maxMessageBytes: LIMIT },
    });
    const queue = uniqueQueue("ws-split-raw");
    await session.send(subscribe("s", queue, { receipt: "subscribed" }));
    await session.expect("RECEIPT");
    const sizes = recordSends(session.transport as WebSocketTransport);
    const body = endpoint.messageType === "text"
      ? utf8.encode(bigText())
      : randomBytes(200 * KiB);
    await session.send(send(queue, body, { receipt: "sent" }));
    const frames = await session.take(2, 10000);
    const message = frames.find((frame) => frame.command === "MESSAGE");
    assert(message !== undefined, "a MESSAGE came");
    assertBody(message, body);
    assertEquals(
      frames.find((frame) => frame.command === "RECEIPT")?.headers.get(
        "receipt-id",
      ),
      "sent",
    );
    assertEquals(sizes.length, 4);
    for (const size of sizes) assertLessOrEqual(size, LIMIT);
  });
}
