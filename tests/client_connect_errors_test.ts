// What a connection attempt that fails says: where it was going, and, for a
// URL of the wrong kind (a ws:// URL on a STOMP port, tcp:// on a TLS port
// or on an HTTP one), what to write instead. Against real peers: the test
// broker, TLS and HTTP servers of Deno on 127.0.0.1, a port nobody listens
// on.

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";
import { StompSyntaxError } from "@stomper/stomp";
import { StompTestBroker } from "@stomper/stomp/testing";
import { connectWebSocket } from "@stomper/stomp/transports";
import { connectFailure, failure, within } from "./_helpers.ts";
import { scriptedServer } from "./_peer.ts";

const TLS_DIR = new URL("./testdata/transports/", import.meta.url);
const CERT = await Deno.readTextFile(new URL("localhost.pem", TLS_DIR));
const KEY = await Deno.readTextFile(new URL("localhost.key", TLS_DIR));

/** A port of 127.0.0.1 that nobody listens on (it was free a moment ago). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/**
 * A TCP server that reads everything and answers nothing, as RabbitMQ's
 * STOMP port does with a WebSocket upgrade (it waits for the end of a
 * frame).
 */
function silentServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    for await (const _ of conn.readable);
  })();
  return {
    port: listener.addr.port,
    /** Settles once the client has closed the connection. */
    ended: served,
    async [Symbol.asyncDispose]() {
      listener.close();
      await served;
    },
  };
}

Deno.test("StompClient.connectUrl with a ws:// URL on a port that leaves the upgrade unanswered names the URL and suggests tcp:// (a TCP server that reads and never answers)", async () => {
  await using server = silentServer();
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const error = await failure(
    StompClient.connectUrl(url, { connectTimeout: 300 }),
  );
  assertInstanceOf(error, StompConnectionError);
  assertEquals(
    error.message,
    `Cannot connect to "${url}" within 300 ms: the transport did not open (if this port speaks STOMP over TCP rather than WebSocket, use "tcp://127.0.0.1:${server.port}")`,
  );
  // Given up, the socket is closed at once, not at the transport's own
  // timeout (10 s).
  await within(server.ended, 2000, "the client closing the socket");
});

Deno.test("connectWebSocket that times out on a port that leaves the upgrade unanswered suggests tcp:// (a TCP server that reads and never answers)", async () => {
  await using server = silentServer();
  const url = `wss://127.0.0.1:${server.port}/ws`;
  const error = await failure(connectWebSocket(url, { timeout: 300 }));
  assertEquals(
    error.message,
    `Cannot connect to "${url}": timed out after 300 ms (if this port speaks STOMP over TLS rather than WebSocket, use "tls://127.0.0.1:${server.port}")`,
  );
});

Deno.test("StompClient.connectUrl with a ws:// URL on the test broker's STOMP port suggests tcp://", async () => {
  // It answers the upgrade request with an ERROR frame, not HTTP.
  await using broker = StompTestBroker.listen();
  const url = `ws://127.0.0.1:${broker.port}/ws`;
  const error = await failure(StompClient.connectUrl(url));
  assertInstanceOf(error, StompConnectionError);
  assert(
    error.message.endsWith(
      `(if this port speaks STOMP over TCP rather than WebSocket, use "tcp://127.0.0.1:${broker.port}")`,
    ),
    error.message,
  );
  assert(error.message.includes(`"${url}"`), error.message);
});

Deno.test("StompClient.connectUrl without an answer to CONNECT names the URL (a TCP server that reads and never answers)", async () => {
  await using server = silentServer();
  const url = `tcp://127.0.0.1:${server.port}`;
  const error = await failure(
    StompClient.connectUrl(url, { connectTimeout: 300 }),
  );
  assertEquals(
    error.message,
    `No CONNECTED frame from "${url}" within 300 ms: the connection opened, and the server sent nothing`,
  );
});

Deno.test("StompClient.connectUrl that gives up says the last attempt's reason in its message", async () => {
  const url = `tcp://127.0.0.1:${freePort()}`;
  const error = await failure(
    StompClient.connectUrl(url, {
      reconnect: { retries: 2, initialDelay: 1, maxDelay: 1 },
    }),
  );
  assertInstanceOf(error, StompConnectionError);
  assertInstanceOf(error.cause, StompConnectionError);
  assert(error.cause.message.includes(url), error.cause.message);
  assertEquals(
    error.message,
    `Cannot connect: gave up after 2 retries; last error: ${error.cause.message}`,
  );
});

Deno.test("StompClient.connectUrl with tcp:// on a TLS port says the port speaks TLS and to use tls://", async () => {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: CERT,
    key: KEY,
  });
  const { error, port } = await connectFailure(listener, async (conn) => {
    // The handshake fails on the CONNECT frame: the server answers with
    // a TLS alert and closes.
    await conn.handshake().catch(() => {});
    conn.close();
  });
  assertEquals(
    error.message,
    `Cannot connect to "tcp://127.0.0.1:${port}": the port speaks TLS (it answered with a TLS record): use "tls://127.0.0.1:${port}"`,
  );
  // The decoder's own words stay in the cause.
  assertInstanceOf(error.cause, StompSyntaxError);
});

Deno.test("StompClient.connectUrl with tcp:// on an HTTP port says it speaks HTTP and to use ws://", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("not here", { status: 404 }),
  );
  const port = server.addr.port;
  const error = await failure(
    StompClient.connectUrl(`tcp://127.0.0.1:${port}`, { connectTimeout: 5000 }),
  );
  assertInstanceOf(error, StompConnectionError);
  assertEquals(
    error.message,
    `Cannot connect to "tcp://127.0.0.1:${port}": the port speaks HTTP (it answered with an HTTP response): a WebSocket endpoint takes a ws:// URL with its path, such as "ws://127.0.0.1:${port}/ws"`,
  );
});

Deno.test("StompClient says a backslash in the passcode is the likely cause when the server closes in answer to CONNECT (a scripted server closing as RabbitMQ does), and only then", async () => {
  for (const passcode of ["p\\dq", "plain"]) {
    await using server = scriptedServer(async (peer) => {
      await peer.expect("CONNECT");
    });
    const error = await StompClient.connectUrl(server.url, {
      login: "guest",
      passcode,
      heartBeat: [0, 0],
    }).then(() => undefined, (e) => e);
    assertEquals(error instanceof StompConnectionError, true, String(error));
    assertEquals(
      error.message.endsWith(
        'the login or passcode holds a backslash, which RabbitMQ and ActiveMQ read as an escape in CONNECT; use command: "STOMP"',
      ),
      passcode !== "plain",
      error.message,
    );
  }
});
