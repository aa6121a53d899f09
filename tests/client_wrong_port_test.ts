// A URL aimed at a port that speaks another protocol (src/client/_connection.ts
// for what the server answers, src/transports/_url.ts for a WebSocket that
// did not open): the error says what the port speaks and what to write.

import { assertEquals, assertInstanceOf } from "@std/assert";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { connectFailure, failure } from "./_helpers.ts";

Deno.test("StompClient.connectUrl with tcp:// on an AMQP port says the port speaks AMQP (a scripted server sending RabbitMQ's AMQP protocol header)", async () => {
  // What RabbitMQ's AMQP port (5672) answers to bytes that are not AMQP:
  // its protocol header, then it closes. No AMQP broker runs in the unit
  // tests; tests/integration/client_connect_errors_rabbitmq_test.ts meets
  // RabbitMQ's own.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { error, port } = await connectFailure(listener, async (conn) => {
    await conn.read(new Uint8Array(1024));
    await conn.write(new Uint8Array([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
    conn.close();
  });
  assertEquals(
    error.message,
    `Cannot connect to "tcp://127.0.0.1:${port}": the port speaks AMQP (it answered with an AMQP protocol header): STOMP is on another port (RabbitMQ's is 61613)`,
  );
});

Deno.test("StompClient.connectUrl with wss:// on the test broker's ws:// port says to use ws://", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const plain = new URL(broker.webSocketUrl!);
  const url = `wss://${plain.host}/ws`;
  const error = await failure(
    StompClient.connectUrl(url, { connectTimeout: 5000 }),
  );
  assertInstanceOf(error, StompConnectionError);
  assertEquals(
    error.message.startsWith(`Cannot connect to "${url}": `),
    true,
    error.message,
  );
  assertEquals(
    error.message.endsWith(
      ` (if this port speaks WebSocket without TLS, use "ws://${plain.host}/ws")`,
    ),
    true,
    error.message,
  );
});
