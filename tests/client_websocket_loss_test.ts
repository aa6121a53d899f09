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

Deno.test('StompClient names the reason of a normal WebSocket close that ends a send, as RabbitMQ Web-STOMP\'s "STOMP died" (a scripted server: no ERROR frame, close 1000)', async () => {
  // RabbitMQ's Web-STOMP answers a SEND to an exchange that does not exist
  // so: no ERROR, a clean close with a reason. Over TCP it sends an ERROR.
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request, {
        protocol: "v12.stomp",
      });
      socket.binaryType = "arraybuffer";
      socket.onmessage = (event) => {
        const text = typeof event.data === "string"
          ? event.data
          : new TextDecoder().decode(event.data);
        if (text.startsWith("CONNECT")) {
          socket.send("CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0");
        } else if (text.startsWith("SEND")) socket.close(1000, "STOMP died");
      };
      return response;
    },
  );
  const client = await StompClient.connectUrl(
    `ws://127.0.0.1:${server.addr.port}/ws`,
    { heartBeat: [0, 0] },
  );
  const error = await client.send("/exchange/none/x", "hi", { receipt: true })
    .then(() => undefined, (e) => e);
  assertEquals(error instanceof StompConnectionError, true, String(error));
  assertEquals(
    error.message,
    'The server closed the connection (WebSocket close 1000: "STOMP died")',
  );
  await client.closed.catch(() => {});
});
