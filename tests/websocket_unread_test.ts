// What a WebSocket transport holds for a reader that does not read: a
// WebSocket cannot make its peer wait, so the transport bounds it
// (maxUnreadBytes). Against real loopback WebSocket servers on 127.0.0.1 and
// the test broker's WebSocket.

import {
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { connectWebSocket, fromWebSocket } from "@stomper/stomp/transports";
import { sleep, within } from "./_helpers.ts";

const KiB = 1024;

/**
 * A WebSocket server that sends `sizes.length` binary messages of those
 * sizes as soon as a client connects, and records how the client closed.
 */
function sender(sizes: number[]) {
  const closed = Promise.withResolvers<number>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onopen = () => {
        for (const size of sizes) socket.send(new Uint8Array(size).fill(7));
      };
      socket.onclose = (event) => closed.resolve(event.code);
      return response;
    },
  );
  return {
    url: `ws://127.0.0.1:${server.addr.port}`,
    closed: closed.promise,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("fromWebSocket closes a connection whose reader leaves more than maxUnreadBytes unread", async () => {
  await using server = sender([KiB, KiB, KiB, KiB, KiB]);
  const transport = await connectWebSocket(server.url, {
    maxUnreadBytes: 2500,
  });
  // Nobody reads: the server's messages pile up, and the transport closes.
  assertEquals(await within(server.closed, 5000, "the close"), 1000);
  const reader = transport.readable.getReader();
  const error = await assertRejects(() => reader.read(), RangeError);
  assertEquals(
    error.message,
    "Cannot read WebSocket: over maxUnreadBytes (2500) unread; a WebSocket cannot make the server wait: read as it comes, or use a prefetch",
  );
});

Deno.test("fromWebSocket lets one message larger than maxUnreadBytes through when nothing else waits", async () => {
  await using server = sender([10 * KiB]);
  const transport = await connectWebSocket(server.url, { maxUnreadBytes: KiB });
  await sleep(100);
  const reader = transport.readable.getReader();
  assertEquals((await reader.read()).value?.length, 10 * KiB);
  transport.close();
  assertEquals(await server.closed, 1000);
});

Deno.test("fromWebSocket keeps the connection of a reader that keeps up, past maxUnreadBytes in all", async () => {
  await using server = sender(Array(200).fill(KiB));
  const transport = await connectWebSocket(server.url, {
    maxUnreadBytes: 16 * KiB,
  });
  let received = 0;
  for await (const chunk of transport.readable) {
    received += chunk.length;
    if (received === 200 * KiB) break;
  }
  assertEquals(received, 200 * KiB);
  assertEquals(await server.closed, 1000);
});

Deno.test("fromWebSocket refuses a maxUnreadBytes that is not a positive integer or Infinity (the message names integers only, as for maxMessageBytes)", () => {
  const socket = {
    readyState: 0,
    addEventListener() {},
  } as unknown as WebSocket;
  for (const value of [0, -1, 1.5, NaN]) {
    assertThrows(
      () => fromWebSocket(socket, { maxUnreadBytes: value }),
      RangeError,
      `Cannot wrap WebSocket: maxUnreadBytes must be a positive integer, got ${value}`,
    );
  }
  assertThrows(
    () => fromWebSocket(socket, { maxUnreadBytes: "100" as unknown as number }),
    TypeError,
    'Cannot wrap WebSocket: maxUnreadBytes must be a number, got string "100"',
  );
});

Deno.test("StompClient over WebSocket ends with why once an unread topic subscription would have held more than maxUnreadBytes", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  await using client = await StompClient.connectUrl(broker.webSocketUrl!, {
    heartBeat: [0, 0],
    transport: { maxUnreadBytes: 4 * 1024 * KiB },
  });
  // Subscribed and not read: the client stops reading once the subscription
  // holds highWaterMarkBytes (8 MiB by default, 1 MiB here), and what the
  // broker sends on waits in the transport.
  const subscription = await client.subscribe("/topic/unread", {
    highWaterMarkBytes: 1024 * KiB,
  });
  {
    await using publisher = await StompClient.connectUrl(
      `tcp://127.0.0.1:${broker.port}`,
    );
    const body = new Uint8Array(256 * KiB);
    for (let i = 0; i < 40; i++) await publisher.send("/topic/unread", body);
  }
  await sleep(200);
  // What the subscription held is read, then why the connection ended.
  let read = 0;
  const error = await assertRejects(() =>
    within(
      (async () => {
        for await (const _ of subscription) read++;
      })(),
      10_000,
      "the subscription to end",
    )
  );
  assertEquals(read, 4);
  assertEquals(error.name, "StompConnectionError");
  assertInstanceOf((error as Error).cause, RangeError);
  assertEquals(
    (error as Error).message.startsWith(
      "Transport failed while reading: Cannot read WebSocket: ",
    ),
    true,
    (error as Error).message,
  );
  assertEquals(client.state, "closed");
  await assertRejects(() => client.closed);
});
