// StompClient.request / reply, and MESSAGE frames for subscriptions the
// client does not have, against the in-process test broker over real
// sockets (and a scripted server where only a mock can send such a frame).

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import { connected, message } from "@stomper/stomp";
import {
  StompClient,
  StompConnectionError,
  type StompMessage,
  StompTimeoutError,
  StompUnhandledMessageError,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import type { StompFrame } from "@stomper/stomp";
import { scriptedServer } from "./_peer.ts";
import { eventually } from "./_helpers.ts";

const QUIET = { heartBeat: [0, 0] as [number, number] };

/** Answers every request on `destination` with `answer(text)`. */
async function serve(
  server: StompClient,
  destination: string,
  answer: (text: string, message: StompMessage) => string | undefined,
): Promise<void> {
  const requests = await server.subscribe(destination, { receipt: true });
  (async () => {
    for await (const request of requests) {
      const text = answer(request.text, request);
      if (text !== undefined) await server.reply(request, text);
    }
  })().catch(() => {});
}

Deno.test("StompClient.request() resolves with the reply that has its correlation-id, through a private reply subscription", async () => {
  await using broker = StompTestBroker.listen();
  await using server = await StompClient.connectUrl(broker.url, QUIET);
  await using client = await StompClient.connectUrl(broker.url, QUIET);
  const seen: StompMessage[] = [];
  await serve(server, "/queue/upper", (text, request) => {
    seen.push(request);
    return text.toUpperCase();
  });
  // Several at once: each gets its own reply, whatever the order.
  const replies = await Promise.all(
    ["a", "b", "c"].map((text) => client.request("/queue/upper", text)),
  );
  assertEquals(replies.map((reply) => reply.text), ["A", "B", "C"]);
  assertEquals([client.stats.messages, client.stats.unhandled], [3, 0]);
  const replyTo = seen[0]!.headers.get("reply-to")!;
  assert(replyTo.startsWith("/temp-queue/stomper-"), replyTo);
  assertEquals(new Set(seen.map((m) => m.headers.get("reply-to"))).size, 1);
  assertEquals(
    new Set(seen.map((m) => m.headers.get("correlation-id"))).size,
    3,
  );
  assertEquals(replies[0]!.needsAck, false);
  assertEquals(
    replies[0]!.headers.get("correlation-id"),
    seen[0]!.headers.get("correlation-id"),
  );
});

Deno.test("StompClient.request() uses replyDestination in the subscription mode", async () => {
  await using broker = StompTestBroker.listen();
  await using server = await StompClient.connectUrl(broker.url, QUIET);
  await using client = await StompClient.connectUrl(broker.url, {
    ...QUIET,
    replyMode: "subscription",
    replyDestination: "/queue/my-replies",
  });
  let replyTo: string | undefined;
  await serve(server, "/queue/rpc", (text, request) => {
    replyTo = request.headers.get("reply-to");
    return `${text}!`;
  });
  assertEquals((await client.request("/queue/rpc", "hi")).text, "hi!");
  assertEquals(replyTo, "/queue/my-replies");
});

Deno.test("StompClient.request() rejects with StompTimeoutError when no reply comes, and a late reply goes to onUnhandledMessage", async () => {
  await using broker = StompTestBroker.listen();
  const late: StompFrame[] = [];
  await using client = await StompClient.connectUrl(broker.url, {
    ...QUIET,
    onUnhandledMessage: (frame) => late.push(frame),
  });
  await using server = await StompClient.connectUrl(broker.url, QUIET);
  const requests = await server.subscribe("/queue/slow", { receipt: true });
  const error = await assertRejects(
    () => client.request("/queue/slow", "x", { timeout: 100 }),
    StompTimeoutError,
    'No reply to request to "/queue/slow" within 100 ms',
  );
  assertEquals(error.timeout, 100);
  for await (const request of requests) {
    await server.reply(request, "too late", { receipt: true });
    break;
  }
  await eventually(() => late.length === 1, 2000, "the late reply");
  assertEquals(late[0]!.text, "too late");
  assertEquals([client.stats.unhandled, client.stats.messages], [1, 0]);
  assertEquals(client.state, "connected");
});

Deno.test("StompClient.request() rejects with the signal's reason when aborted, and its SEND is not written if it had not gone yet", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, QUIET);
  const controller = new AbortController();
  const pending = client.request("/queue/none", "x", {
    signal: controller.signal,
  });
  controller.abort(new Error("user gave up"));
  await assertRejects(() => pending, Error, "user gave up");
  await client.send("/queue/none", "marker", { receipt: true });
  assertEquals(broker.depth("/queue/none"), 1, "only the marker went out");
});

Deno.test("StompClient.request() rejects with StompConnectionError when the connection it went out on is lost", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    ...QUIET,
    reconnect: { initialDelay: 5, jitter: 0 },
  });
  await using server = await StompClient.connectUrl(broker.url, QUIET);
  const requests = await server.subscribe("/queue/lossy", { receipt: true });
  const pending = client.request("/queue/lossy", "x");
  for await (const _ of requests) break;
  broker.dropConnections();
  const error = await assertRejects(
    () => pending,
    StompConnectionError,
    'No reply to request to "/queue/lossy": the connection it was sent on was lost (the request may have been processed)',
  );
  assertInstanceOf(error.cause, StompConnectionError);
});

Deno.test("StompClient.request() and reply() refuse bad arguments with a TypeError", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, QUIET);
  await assertRejects(
    () =>
      client.request("/queue/a", "x", { headers: { "correlation-id": "1" } }),
    TypeError,
    "Cannot send a request: the correlation-id header is the request's own (use send() to set it yourself)",
  );
  const inbox = await client.subscribe("/queue/plain", { receipt: true });
  await client.send("/queue/plain", "no reply-to");
  for await (const plain of inbox) {
    await assertRejects(
      () => client.reply(plain, "x"),
      TypeError,
      "Cannot reply: the message has no reply-to header (message-id",
    );
    break;
  }
  await client.disconnect();
  await assertRejects(
    () => client.request("/queue/a", "x"),
    StompConnectionError,
    "Cannot send a request: the client is closed",
  );
});

Deno.test("StompClient takes a MESSAGE for an unknown subscription to onUnhandledMessage and carries on (mock server)", async () => {
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(connected({ version: "1.2" }));
    await peer.send(
      message("/queue/x", "stray", { messageId: "m-1", subscription: "nope" }),
    );
    const send = await peer.next();
    assertEquals(send.command, "SEND");
    await peer.send(
      new TextEncoder().encode(
        `RECEIPT\nreceipt-id:${send.headers.get("receipt")}\n\n\0`,
      ),
    );
    await peer.next(); // DISCONNECT
    await peer.end();
  });
  const stray: StompFrame[] = [];
  const client = await StompClient.connectUrl(server.url, {
    ...QUIET,
    onUnhandledMessage: (frame) => stray.push(frame),
  });
  await client.send("/queue/a", "after", { receipt: true });
  assertEquals(stray.map((f) => f.text), ["stray"]);
  assertEquals(client.state, "connected");
  assertEquals([client.stats.unhandled, client.stats.messages], [1, 0]);
  await client.disconnect({ timeout: 500 }).catch(() => {});
});

Deno.test("StompClient reports a MESSAGE for an unknown subscription as StompUnhandledMessageError without onUnhandledMessage (mock server)", async () => {
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(connected({ version: "1.2" }));
    await peer.send(
      message("/queue/x", "stray", { messageId: "m-2", subscription: "s-9" }),
    );
    const send = await peer.next();
    await peer.send(
      new TextEncoder().encode(
        `RECEIPT\nreceipt-id:${send.headers.get("receipt")}\n\n\0`,
      ),
    );
    await peer.next();
    await peer.end();
  });
  const errors: Error[] = [];
  const client = await StompClient.connectUrl(server.url, {
    ...QUIET,
    onError: (error) => errors.push(error),
  });
  await client.send("/queue/a", "after", { receipt: true });
  assertEquals(errors.length, 1);
  assertInstanceOf(errors[0], StompUnhandledMessageError);
  assertEquals(
    errors[0].message,
    'MESSAGE for unknown subscription "s-9" dropped (message-id "m-2", destination "/queue/x"): pass the client option onUnhandledMessage to take such messages',
  );
  assertEquals(errors[0].frame.text, "stray");
  assertEquals(client.state, "connected");
  await client.disconnect({ timeout: 500 }).catch(() => {});
});
