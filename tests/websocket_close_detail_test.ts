// What a WebSocket transport says of a close whose runtime gave no reason:
// a scripted WebSocketLike socket (the only way to get an error event without
// a message outside a browser; Deno's carry one), open, that fires an error
// and then closes with 1006, as browsers and Node's undici do when they fail
// a connection themselves. The browser side is in
// tests/integration/browser_life_test.ts.

import { assertEquals, assertRejects } from "@std/assert";
import {
  fromWebSocket,
  WebSocketClosedError,
  type WebSocketLike,
} from "@stomper/stomp/transports";

/** An open scripted socket that dispatches the events it is given. */
function scriptedSocket() {
  const target = new EventTarget();
  const socket: WebSocketLike & { fire(event: Event): void } = {
    readyState: 1,
    binaryType: "arraybuffer",
    bufferedAmount: 0,
    send() {},
    close() {},
    addEventListener: (type, listener) =>
      target.addEventListener(type, listener),
    removeEventListener: (type, listener) =>
      target.removeEventListener(type, listener),
    fire: (event) => target.dispatchEvent(event),
  };
  return socket;
}

function closeEvent(code: number): Event {
  return Object.assign(new Event("close"), {
    code,
    reason: "",
    wasClean: false,
  });
}

Deno.test("fromWebSocket (scripted socket) says the runtime failed a connection that errored without a message before closing", async () => {
  const socket = scriptedSocket();
  const transport = fromWebSocket(socket);
  socket.fire(new Event("error"));
  socket.fire(closeEvent(1006));
  const error = await assertRejects(
    () => transport.readable.getReader().read(),
    WebSocketClosedError,
  );
  // Deno's user agent is not a browser's: no console to point at.
  assertEquals(
    error.message,
    "Connection lost: WebSocket closed with code 1006 (the runtime failed it)",
  );
});

Deno.test("fromWebSocket (scripted socket) names a text message with invalid UTF-8 as the likely failure on a text-mode endpoint", async () => {
  const socket = scriptedSocket();
  const transport = fromWebSocket(socket);
  const reader = transport.readable.getReader();
  socket.fire(new MessageEvent("message", { data: "MESSAGE\n\n\0" }));
  assertEquals((await reader.read()).value?.length, 10);
  socket.fire(new Event("error"));
  socket.fire(closeEvent(1006));
  const error = await assertRejects(() => reader.read(), WebSocketClosedError);
  assertEquals(
    error.detail,
    "the runtime failed it; on a text endpoint, likely invalid UTF-8",
  );
});

Deno.test("fromWebSocket (scripted socket) adds nothing to a connection dropped without an error event", async () => {
  const socket = scriptedSocket();
  const transport = fromWebSocket(socket);
  socket.fire(closeEvent(1006));
  const error = await assertRejects(
    () => transport.readable.getReader().read(),
    WebSocketClosedError,
  );
  assertEquals(
    error.message,
    "Connection lost: WebSocket closed with code 1006",
  );
});
