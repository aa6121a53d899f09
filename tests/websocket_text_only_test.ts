// fromWebSocket over a socket that carries text only, as a SockJS socket
// does: no binaryType, no bufferedAmount, and anything sent that is not a
// string turned into one. The socket here is a real WebSocket to the test
// broker's WebSocket endpoint on 127.0.0.1, seen through SockJS's surface
// (TextOnlySocket); tests/integration/sockjs_test.ts runs the real SockJS.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import {
  fromWebSocket,
  type WebSocketLike,
  type WebSocketTransport,
} from "@stomper/stomp/transports";
import { eventually, within } from "./_helpers.ts";

const utf8 = new TextDecoder();
const NOT_UTF8 = new Uint8Array([0x68, 0x69, 0xff, 0x00]);

/**
 * A real WebSocket with only what a SockJS socket offers: readyState, send,
 * close and listeners. Like SockJS, `send` turns what is not a string into
 * one (a Uint8Array becomes "67,79,78,..."), and messages arrive as text.
 */
class TextOnlySocket implements WebSocketLike {
  readonly #socket: WebSocket;
  /** Every message sent, as the string that went. */
  readonly sent: string[] = [];

  // The listeners given, and what listens for them (messages made text).
  readonly #wrapped = new Map<(event: Event) => void, (event: Event) => void>();

  constructor(url: string) {
    this.#socket = new WebSocket(url, ["v12.stomp"]);
    this.#socket.binaryType = "arraybuffer";
  }

  get readyState(): number {
    return this.#socket.readyState;
  }

  send(data: string | Uint8Array): void {
    const text = typeof data === "string" ? data : String(data);
    this.sent.push(text);
    this.#socket.send(text);
  }

  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }

  addEventListener(type: string, listener: (event: Event) => void): void {
    let wrapped = listener;
    if (type === "message") {
      // The test broker sends binary messages; SockJS delivers text.
      wrapped = (event) => {
        const data = (event as MessageEvent).data;
        listener(
          new MessageEvent("message", {
            data: typeof data === "string" ? data : utf8.decode(data),
          }),
        );
      };
      this.#wrapped.set(listener, wrapped);
    }
    this.#socket.addEventListener(type, wrapped);
  }

  removeEventListener(type: string, listener: (event: Event) => void): void {
    this.#socket.removeEventListener(
      type,
      this.#wrapped.get(listener) ?? listener,
    );
  }
}

Deno.test("fromWebSocket sends text messages over a socket without binaryType", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const socket = new TextOnlySocket(broker.webSocketUrl!);
  const transport: WebSocketTransport<TextOnlySocket> = fromWebSocket(socket);
  assertEquals(transport.messageType, "text");
  assert(transport.socket === socket);
  // Without the text default the CONNECT went as "67,79,78,..." and the
  // client waited for a CONNECTED that never came.
  const client = await StompClient.connect(transport, {
    heartBeat: [0, 0],
    connectTimeout: 5_000,
  });
  try {
    assertEquals(client.version, "1.2");
    assert(socket.sent[0]!.startsWith("CONNECT\n"), socket.sent[0]);
  } finally {
    await client.disconnect();
  }
});

Deno.test("fromWebSocket refuses binary messages for a socket without binaryType", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const socket = new TextOnlySocket(broker.webSocketUrl!);
  try {
    const error = assertThrows(
      () => fromWebSocket(socket, { messageType: "binary" }),
      TypeError,
      'Cannot wrap WebSocket: it has no binaryType, so it sends text only (SockJS turns bytes into a string of numbers); leave messageType unset or use "text"',
    );
    assertInstanceOf(error, TypeError);
    assertEquals(fromWebSocket(socket).messageType, "text");
  } finally {
    socket.close();
  }
});

Deno.test("fromWebSocket keeps binary messages for a socket with binaryType", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const socket = new WebSocket(broker.webSocketUrl!);
  const transport = fromWebSocket(socket);
  try {
    assertEquals(transport.messageType, "binary");
    assertEquals(socket.binaryType, "arraybuffer");
    assertEquals(
      fromWebSocket(socket, { messageType: "text" }).messageType,
      "text",
    );
  } finally {
    transport.close();
  }
});

Deno.test("StompClient over a text-only socket rejects only the send whose body is not UTF-8", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const client = await StompClient.connect(
    fromWebSocket(new TextOnlySocket(broker.webSocketUrl!)),
    { heartBeat: [0, 0] },
  );
  try {
    const subscription = await client.subscribe("/queue/text-only", {
      receipt: true,
    });
    const refused =
      'Cannot send to "/queue/text-only": the body is not valid UTF-8, and the connection carries text only (a WebSocket sending text messages, as over SockJS); send text, or encode the bytes (as Base64, say)';
    await assertRejects(
      () => client.send("/queue/text-only", NOT_UTF8),
      TypeError,
      refused,
    );
    await assertRejects(
      () => client.send("/queue/text-only", NOT_UTF8, { receipt: true }),
      TypeError,
      refused,
    );
    const transaction = await client.begin();
    await assertRejects(
      () => transaction.send("/queue/text-only", NOT_UTF8),
      TypeError,
      refused,
    );
    await transaction.abort({ receipt: true });
    await assertRejects(
      () => client.request("/queue/text-only", NOT_UTF8, { timeout: 1000 }),
      TypeError,
      refused,
    );
    // UTF-8 bytes and text go, and the connection stayed.
    await client.send("/queue/text-only", new TextEncoder().encode("bytes €"));
    await client.send("/queue/text-only", "text €", { receipt: true });
    const received: string[] = [];
    for await (const message of subscription) {
      received.push(message.text);
      if (received.length === 2) break;
    }
    assertEquals(received, ["bytes €", "text €"]);
    assertEquals(client.state, "connected");
    assertEquals(broker.depth("/queue/text-only"), 0);
  } finally {
    await client.disconnect();
  }
});

Deno.test("StompClient fails a send queued for a text-only socket whose body is not UTF-8 when its turn comes", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  // Binary WebSocket first, then text only (a fallback to SockJS, say): a
  // send issued in between is checked when written, not at the call.
  let attempts = 0;
  const errors: unknown[] = [];
  const client = await StompClient.connect(
    () =>
      attempts++ === 0
        ? fromWebSocket(new WebSocket(broker.webSocketUrl!))
        : fromWebSocket(new TextOnlySocket(broker.webSocketUrl!)),
    {
      heartBeat: [0, 0],
      reconnect: { initialDelay: 50 },
      onError: (error) => errors.push(error),
    },
  );
  try {
    assertEquals(broker.dropConnections(), 1);
    await eventually(() => client.state === "reconnecting");
    const refused =
      'Cannot send to "/queue/queued": the body is not valid UTF-8, and the connection carries text only';
    // Accepted at once (nothing to wait for): it fails through onError.
    await client.send("/queue/queued", NOT_UTF8);
    // Waits for its receipt: it rejects.
    const withReceipt = client.send("/queue/queued", NOT_UTF8, {
      receipt: true,
    });
    const text = client.send("/queue/queued", "after", { receipt: true });
    await assertRejects(
      () => within(withReceipt, 5_000, "the queued binary send"),
      TypeError,
      refused,
    );
    await within(text, 5_000, "the text send behind them");
    assertEquals(attempts, 2);
    assertEquals(client.state, "connected");
    assertEquals(broker.depth("/queue/queued"), 1);
    // onError hears of both (as of every send refused), and of the loss.
    const typeErrors = errors.filter((error) => error instanceof TypeError);
    assertEquals(typeErrors.length, 2, String(errors));
    for (const error of typeErrors) {
      assert((error as Error).message.startsWith(refused));
    }
  } finally {
    await client.disconnect();
  }
});
