// The error of a lost connection says what is known of its cause: RabbitMQ
// 3.10's Web-STOMP resets WebSocket connections that carry client
// heart-beats during bursts of sends (tests/integration/
// webstomp_heartbeat_test.ts meets it for real). A scripted WebSocket server
// (a raw TCP socket doing the handshake itself) answers CONNECTED as a given
// server, then resets the connection: it closes with the client's frames
// unread, so the kernel sends RST.

import { assert, assertEquals } from "@std/assert";
import {
  StompClient,
  type StompClientOptions,
  StompConnectionError,
} from "@stomper/stomp/client";
import { sleep } from "./_helpers.ts";

const HINT =
  "RabbitMQ's Web-STOMP is known to reset connections that carry client heart-beats during bursts of sends; use heartBeat: [0, N]";

function assertStringIncludes(actual: string, expected: string): void {
  assert(
    actual.includes(expected),
    `${JSON.stringify(actual)} lacks ${JSON.stringify(expected)}`,
  );
}

/** One unmasked WebSocket message holding `bytes`, binary unless `text`. */
function binaryMessage(bytes: Uint8Array, text = false): Uint8Array {
  const length = bytes.length;
  const opcode = text ? 0x81 : 0x82;
  const head = length < 126
    ? [opcode, length]
    : [opcode, 126, length >> 8, length & 0xff];
  const out = new Uint8Array(head.length + length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

/**
 * A scripted WebSocket server: takes the upgrade, answers the CONNECT with
 * a CONNECTED naming `server` (heart-beats 100,100), waits `resetAfter` ms
 * reading nothing more, writes `last` (raw bytes) if given, then closes
 * with the client's frames unread (a reset).
 */
function resettingServer(
  server: string,
  resetAfter: number,
  last?: Uint8Array,
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(64 * 1024);
    let request = "";
    while (!request.includes("\r\n\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) return;
      request += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const key = /sec-websocket-key: *(\S+)/i.exec(request)![1]!;
    const digest = await crypto.subtle.digest(
      "SHA-1",
      new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
    );
    const accept = btoa(String.fromCharCode(...new Uint8Array(digest)));
    await conn.write(
      new TextEncoder().encode(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
          `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
          "Sec-WebSocket-Protocol: v12.stomp\r\n\r\n",
      ),
    );
    // The CONNECT frame (one message; its content does not matter here).
    await conn.read(buffer);
    await conn.write(
      binaryMessage(
        new TextEncoder().encode(
          `CONNECTED\nversion:1.2\nheart-beat:100,100\nserver:${server}\n\n\0`,
        ),
      ),
    );
    await sleep(resetAfter);
    if (last !== undefined) await conn.write(last).catch(() => 0);
    conn.close();
  })();
  return {
    url: `ws://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/ws`,
    async [Symbol.asyncDispose]() {
      listener.close();
      await served;
    },
  };
}

/** Connects, sends a burst, and returns the error the connection ended with. */
async function lostWith(
  server: string,
  options: StompClientOptions,
  last?: Uint8Array,
): Promise<StompConnectionError> {
  await using scripted = resettingServer(server, 200, last);
  const reported: Error[] = [];
  const client = await StompClient.connectUrl(scripted.url, {
    ...options,
    onError: (error) => reported.push(error),
  });
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < 100; i++) {
    sends.push(client.send("/queue/burst", "x".repeat(100)).catch((e) => e));
  }
  const error = await client.closed.then(() => undefined, (e) => e);
  assert(error instanceof StompConnectionError, String(error));
  // onError had the same error, once.
  assertEquals(reported, [error]);
  return error;
}

Deno.test("StompClient says how to avoid RabbitMQ's Web-STOMP reset when a scripted RabbitMQ WebSocket server resets a connection with client heart-beats", async () => {
  const error = await lostWith("RabbitMQ/3.10.8", { heartBeat: [50, 0] });
  assertStringIncludes(error.message, "WebSocket closed with code");
  assertStringIncludes(error.message, HINT);
  assertEquals((error.cause as Error).name, "WebSocketClosedError");
});

Deno.test("StompClient gives no Web-STOMP hint without client heart-beats, or for another server (scripted WebSocket server)", async () => {
  const quiet = await lostWith("RabbitMQ/3.10.8", { heartBeat: [0, 1000] });
  assertStringIncludes(quiet.message, "WebSocket closed with code");
  assert(!quiet.message.includes("Web-STOMP"), quiet.message);
  const other = await lostWith("ActiveMQ/5.17.6", { heartBeat: [50, 0] });
  assertStringIncludes(other.message, "WebSocket closed with code");
  assert(!other.message.includes("Web-STOMP"), other.message);
});

Deno.test("StompClient says a text message that is not UTF-8 comes from a binary body on a text-mode endpoint, not from heart-beats (scripted RabbitMQ WebSocket server)", async () => {
  // A MESSAGE whose body is not UTF-8, in a text WebSocket message: what
  // RabbitMQ's Web-STOMP with ws_frame = text delivers for a binary body.
  const message = new Uint8Array([
    ...new TextEncoder().encode(
      "MESSAGE\ndestination:/queue/a\nmessage-id:1\nsubscription:0\n\n",
    ),
    0xff,
    0xfe,
    0x00,
  ]);
  const error = await lostWith(
    "RabbitMQ/3.10.8",
    { heartBeat: [50, 0] },
    binaryMessage(message, true),
  );
  assertStringIncludes(error.message, "WebSocket closed with code");
  assertStringIncludes(
    error.message,
    "(Invalid UTF-8): the server sent a text message that is not UTF-8: a binary body published to a text-mode endpoint (such as RabbitMQ's Web-STOMP with ws_frame = text) reaches its consumers so; publish binary bodies over TCP or a binary-mode endpoint",
  );
  assert(!error.message.includes(HINT), error.message);
});
