// A WebSocket connection lost under the client (src/client/_connection.ts):
// the error says so once. The in-process test broker over a real
// WebSocket.

import { assertEquals } from "@std/assert";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";
import { WebSocketClosedError } from "@stomper/stomp/transports";
import { StompTestBroker } from "@stomper/stomp/testing";

Deno.test("StompClient says once that a WebSocket connection was lost when the test broker shuts down", async () => {
  const broker = StompTestBroker.listen({ webSocket: true });
  const client = await StompClient.connectUrl(broker.webSocketUrl!, {
    heartBeat: [0, 0],
  });
  await broker.close();
  const error = await client.closed.then(() => undefined, (e) => e);
  assertEquals(error instanceof StompConnectionError, true, String(error));
  assertEquals(
    error.message,
    'Connection lost: WebSocket closed with code 1001: "Server shutting down"',
  );
  assertEquals(error.cause instanceof WebSocketClosedError, true);
});
