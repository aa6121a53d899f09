// Transports against real loopback peers: Deno.listen / Deno.listenTls servers
// and Deno.serve WebSocket and HTTP servers on 127.0.0.1, port 0.

import {
  assert,
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertLessOrEqual,
  assertMatch,
  assertRejects,
} from "@std/assert";
import { concat } from "@std/bytes";
import { randomBytes, within } from "./_helpers.ts";
import {
  encodeFrame,
  HEARTBEAT,
  receipt,
  send,
  StompDecoder,
  StompDecoderStream,
  StompSyntaxError,
} from "@stomper/stomp";
import {
  type CloudflareSocket,
  connectCloudflareTcp,
  connectTcp,
  connectWebSocket,
  decodeBody,
  encodeBody,
  fromCloudflareSocket,
  fromConn,
  fromWebSocket,
  openTransport,
  STOMP_SUBPROTOCOLS,
  TransportConnectError,
  WebSocketClosedError,
} from "@stomper/stomp/transports";

const utf8 = new TextEncoder();
const TLS_DIR = new URL("./testdata/transports/", import.meta.url);
const CA = await Deno.readTextFile(new URL("ca.pem", TLS_DIR));
const WRONG_CA = await Deno.readTextFile(new URL("wrong-ca.pem", TLS_DIR));
const SERVER_CERT = await Deno.readTextFile(new URL("localhost.pem", TLS_DIR));
const SERVER_KEY = await Deno.readTextFile(new URL("localhost.key", TLS_DIR));

/** Whether the promise is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number) {
  const pending = Symbol("pending");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    promise.then(() => undefined, () => undefined),
    new Promise((resolve) => timer = setTimeout(() => resolve(pending), ms)),
  ]);
  clearTimeout(timer);
  return result === pending;
}

/** Reads a stream to its end and returns every chunk. */
async function readAll<T>(readable: ReadableStream<T>, ms = 5000) {
  return await within(Array.fromAsync(readable), ms, "reading to the end");
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

// ---------------------------------------------------------------------------
// Deno TCP and TLS

Deno.test("fromConn yields bytes sent in any chunking, decodable to frames", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const body = randomBytes(100_000);
  const wire = concat([
    encodeFrame(receipt("1")),
    encodeFrame(HEARTBEAT),
    encodeFrame(send("/queue/a", body)),
    encodeFrame(receipt("2")),
  ]);
  let writes = 0;
  const server = (async () => {
    using conn = await listener.accept();
    // Uneven pieces, written separately, so the client sees many reads.
    for (let at = 0, step = 1; at < wire.length; step = step * 7 % 9973) {
      const piece = wire.subarray(at, at + step);
      await conn.write(piece);
      at += piece.length;
      writes++;
    }
  })();
  const transport = fromConn(
    await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  );
  let heartbeats = 0;
  const frames = await readAll(
    transport.readable.pipeThrough(
      new StompDecoderStream({ onHeartbeat: () => heartbeats++ }),
    ),
  );
  await server;
  transport.close();
  assertGreater(writes, 20);
  assertEquals(frames.map((f) => f.command), ["RECEIPT", "SEND", "RECEIPT"]);
  assertEquals(frames[1]!.body, body);
  assertEquals(heartbeats, 1);
});

Deno.test("fromConn writes each chunk whole, however large", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const big = randomBytes(4 * 1024 * 1024);
  const received = (async () => {
    using conn = await listener.accept();
    return concat(await Array.fromAsync(conn.readable));
  })();
  const transport = fromConn(
    await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  );
  const writer = transport.writable.getWriter();
  await within(writer.write(big.subarray(1)), 5000, "writing 4 MiB");
  await writer.write(big.subarray(0, 1));
  await writer.close();
  const bytes = await within(received, 5000, "the server reading");
  assertEquals(bytes.length, big.length);
  assertEquals(bytes.subarray(0, -1), big.subarray(1));
  assertEquals(bytes.at(-1), big[0]);
  transport.close();
});

Deno.test("fromConn copies small reads out so they do not pin the read buffer", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = (async () => {
    using conn = await listener.accept();
    await conn.write(utf8.encode("RECEIPT\nreceipt-id:1\n\n\0"));
  })();
  const transport = fromConn(
    await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    { readBufferSize: 1024 },
  );
  const chunks = await readAll(transport.readable);
  await server;
  transport.close();
  assertEquals(chunks.length, 1);
  assertEquals(chunks[0]!.buffer.byteLength, chunks[0]!.length);
});

Deno.test("fromConn close() ends a pending read normally and releases the connection", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const transport = fromConn(
    await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  );
  using server = await accepted;
  const reader = transport.readable.getReader();
  const read = reader.read();
  assert(await pendingAfter(read, 50), "the read should wait for data");
  transport.close();
  assertEquals((await within(read, 2000, "the read ending")).done, true);
  // The peer sees the connection closed.
  assertEquals(await within(server.read(new Uint8Array(8)), 2000, "EOF"), null);
  await assertRejects(
    () => transport.writable.getWriter().write(new Uint8Array([1])),
    Deno.errors.BadResource,
    "connection is closed",
  );
});

Deno.test("fromConn closing the writable half-closes: the peer sees EOF and can still answer", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = (async () => {
    using conn = await listener.accept();
    // Raw reads: Deno closes a connection whose readable stream ends.
    const pieces: Uint8Array[] = [];
    const buffer = new Uint8Array(1024);
    for (let n; (n = await conn.read(buffer)) !== null;) {
      pieces.push(buffer.slice(0, n));
    }
    const got = new StompDecoder().push(concat(pieces));
    // The request has ended (EOF) and the answer still goes through.
    await conn.write(encodeFrame(receipt(String(got.length))));
  })();
  const transport = fromConn(
    await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  );
  const writer = transport.writable.getWriter();
  await writer.write(encodeFrame(send("/queue/a", "one")));
  await writer.write(encodeFrame(send("/queue/a", "two")));
  await writer.close();
  const frames = await readAll(
    transport.readable.pipeThrough(new StompDecoderStream()),
  );
  await within(server, 2000, "the server");
  assertEquals(frames.map((f) => f.headers.get("receipt-id")), ["2"]);
  transport.close();
});

Deno.test("fromConn readable errors when the input ends inside a frame", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = (async () => {
    using conn = await listener.accept();
    const frame = encodeFrame(send("/queue/a", "cut short"));
    await conn.write(frame.subarray(0, frame.length - 4));
  })();
  const transport = fromConn(
    await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  );
  await assertRejects(
    () => readAll(transport.readable.pipeThrough(new StompDecoderStream())),
    StompSyntaxError,
    "Input ended inside a frame",
  );
  await server;
  transport.close();
});

Deno.test("connectTcp rejects quickly with TransportConnectError when refused", async () => {
  const url = `tcp://127.0.0.1:${closedPort()}`;
  const started = performance.now();
  const error = await assertRejects(
    () => connectTcp(url),
    TransportConnectError,
    `Cannot connect to "${url}"`,
  );
  assertLessOrEqual(performance.now() - started, 1000);
  assertEquals(error.url, url);
  assertInstanceOf(error.cause, Deno.errors.ConnectionRefused);
});

Deno.test("connectTcp rejects unsupported schemes and bad URLs with TypeError", async () => {
  await assertRejects(
    () => connectTcp("http://127.0.0.1:1"),
    TypeError,
    'unsupported scheme "http:"',
  );
  await assertRejects(() => connectTcp("not a url"), TypeError, "invalid URL");
  await assertRejects(
    () => connectTcp("tcp://127.0.0.1:1", { timeout: -1 }),
    RangeError,
    "timeout",
  );
});

Deno.test("connectTcp uses port 61613 for tcp: URLs without a port", async () => {
  // A broker may or may not be listening there: either way the port shows.
  try {
    const transport = await connectTcp("tcp://127.0.0.1", { timeout: 2000 });
    assertEquals((transport.conn.remoteAddr as Deno.NetAddr).port, 61613);
    transport.close();
  } catch (error) {
    assertInstanceOf(error, TransportConnectError);
    assertMatch(error.message, /"tcp:\/\/127\.0\.0\.1:61613"/);
  }
});

/** A TLS server on localhost with the test certificate; echoes what it reads. */
function tlsEchoServer() {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: SERVER_CERT,
    key: SERVER_KEY,
  });
  const done = (async () => {
    for await (const conn of listener) {
      try {
        await conn.readable.pipeTo(conn.writable);
      } catch {
        // A client that failed verification aborts the handshake.
      }
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await done;
    },
  };
}

Deno.test("connectTcp speaks TLS verified against the given CA (tls: and stomp+ssl:)", async () => {
  await using server = tlsEchoServer();
  for (const scheme of ["tls", "stomp+ssl"]) {
    const transport = await connectTcp(
      `${scheme}://localhost:${server.port}`,
      { caCerts: [CA] },
    );
    const writer = transport.writable.getWriter();
    const frame = encodeFrame(send("/queue/a", "over TLS"));
    await writer.write(frame);
    await writer.close();
    const echoed = concat(await readAll(transport.readable));
    assertEquals(echoed, frame);
    transport.close();
  }
});

Deno.test("connectTcp passes a client certificate through for mutual TLS", async () => {
  // Deno's TLS server does not ask for client certificates, so this shows
  // the connectTls path works end to end, not that the server checked it.
  await using server = tlsEchoServer();
  const transport = await connectTcp(`tls://localhost:${server.port}`, {
    caCerts: [CA],
    cert: SERVER_CERT,
    key: SERVER_KEY,
  });
  const writer = transport.writable.getWriter();
  await writer.write(utf8.encode("\n"));
  await writer.close();
  assertEquals(concat(await readAll(transport.readable)), utf8.encode("\n"));
  transport.close();
});

Deno.test("connectTcp refuses a TLS server whose certificate the CA did not sign", async () => {
  await using server = tlsEchoServer();
  const error = await assertRejects(
    () =>
      connectTcp(`tls://localhost:${server.port}`, {
        caCerts: [WRONG_CA],
        timeout: 5000,
      }),
    TransportConnectError,
    "Cannot connect",
  );
  assertMatch(error.message, /certificate|UnknownIssuer/i);
});

Deno.test("connectTcp times out when a TLS handshake gets no answer", async () => {
  // A plain TCP server that never speaks TLS: the handshake waits for ever.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const started = performance.now();
  await assertRejects(
    () => connectTcp(`tls://127.0.0.1:${listener.addr.port}`, { timeout: 200 }),
    TransportConnectError,
    "timed out after 200 ms",
  );
  assertLessOrEqual(performance.now() - started, 2000);
  using _conn = await accepted;
});

Deno.test("connectTcp gives up when its signal aborts", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const controller = new AbortController();
  const connecting = connectTcp(`tls://127.0.0.1:${listener.addr.port}`, {
    signal: controller.signal,
    timeout: 0,
  });
  using _conn = await accepted;
  controller.abort(new Error("user gave up"));
  await assertRejects(
    () => connecting,
    TransportConnectError,
    "aborted (user gave up)",
  );
});

// ---------------------------------------------------------------------------
// WebSocket

interface WsServer extends AsyncDisposable {
  url: string;
  /** The last upgrade request's Sec-WebSocket-Protocol header. */
  offered: () => string | null;
}

/** A Deno.serve WebSocket server that picks the first offered subprotocol. */
function wsServer(onSocket: (socket: WebSocket) => void): WsServer {
  let offered: string | null = null;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      offered = request.headers.get("sec-websocket-protocol");
      const protocol = offered?.split(",")[0]?.trim();
      const { socket, response } = Deno.upgradeWebSocket(
        request,
        protocol === undefined ? {} : { protocol },
      );
      socket.binaryType = "arraybuffer";
      onSocket(socket);
      return response;
    },
  );
  return {
    url: `ws://127.0.0.1:${server.addr.port}/ws`,
    offered: () => offered,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** Collects what a server socket receives until it closes. */
function recorder() {
  const messages: (string | Uint8Array)[] = [];
  let resolveClosed!: (event: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    resolveClosed = resolve
  );
  return {
    messages,
    closed,
    attach(socket: WebSocket) {
      socket.onmessage = (event) =>
        messages.push(
          typeof event.data === "string"
            ? event.data
            : new Uint8Array(event.data),
        );
      socket.onclose = (event) =>
        resolveClosed({ code: event.code, reason: event.reason });
    },
  };
}

Deno.test("connectWebSocket offers the STOMP subprotocols by default", async () => {
  await using server = wsServer((socket) =>
    socket.onopen = () => socket.close()
  );
  const transport = await connectWebSocket(server.url);
  assertEquals(server.offered(), STOMP_SUBPROTOCOLS.join(", "));
  assertEquals(server.offered(), "v12.stomp, v11.stomp, v10.stomp");
  assertEquals(transport.socket.protocol, "v12.stomp");
  assertEquals(transport.socket.binaryType, "arraybuffer");
  await readAll(transport.readable);
});

Deno.test("fromWebSocket sends one binary message per written chunk", async () => {
  const record = recorder();
  await using server = wsServer(record.attach);
  const transport = await connectWebSocket(server.url);
  const chunks = [
    encodeFrame(send("/queue/a", "first")),
    encodeFrame(HEARTBEAT),
    encodeFrame(send("/queue/a", randomBytes(200_000))),
  ];
  const writer = transport.writable.getWriter();
  for (const chunk of chunks) await writer.write(chunk);
  await within(writer.close(), 2000, "the socket closing");
  await within(record.closed, 2000, "the server seeing the close");
  assertEquals(record.messages, chunks);
  await readAll(transport.readable);
});

Deno.test("fromWebSocket sends only the view of a subarray, not its whole buffer", async () => {
  const record = recorder();
  await using server = wsServer(record.attach);
  const transport = await connectWebSocket(server.url);
  const backing = utf8.encode("xxxxSEND\ndestination:/q\n\n\0yyyy");
  const writer = transport.writable.getWriter();
  await writer.write(backing.subarray(4, backing.length - 4));
  await writer.close();
  await within(record.closed, 2000, "the server seeing the close");
  assertEquals(record.messages, [utf8.encode("SEND\ndestination:/q\n\n\0")]);
  await readAll(transport.readable);
});

Deno.test("fromWebSocket sends text messages when messageType is text", async () => {
  const record = recorder();
  await using server = wsServer(record.attach);
  const transport = await connectWebSocket(server.url, { messageType: "text" });
  const writer = transport.writable.getWriter();
  await writer.write(encodeFrame(send("/queue/a", "héllo")));
  await assertRejects(
    () => writer.write(encodeFrame(send("/queue/a", new Uint8Array([0xff])))),
    TypeError,
    "not valid UTF-8",
  );
  transport.close();
  await within(record.closed, 2000, "the server seeing the close");
  assertEquals(record.messages, [
    "SEND\ndestination:/queue/a\ncontent-length:6\n\nhéllo\0",
  ]);
  await readAll(transport.readable);
});

Deno.test("fromWebSocket accepts text and binary messages as bytes", async () => {
  await using server = wsServer((socket) => {
    socket.onopen = () => {
      socket.send("MESSAGE\ndestination:/q\n\nt\u00e9xt\0");
      socket.send(utf8.encode("MESSAGE\ndestination:/q\n\nbin\0"));
      socket.send(new Uint8Array([0x0a]));
      socket.close(1000);
    };
  });
  const transport = await connectWebSocket(server.url);
  let heartbeats = 0;
  const frames = await readAll(
    transport.readable.pipeThrough(
      new StompDecoderStream({ onHeartbeat: () => heartbeats++ }),
    ),
  );
  assertEquals(frames.map((f) => f.text), ["téxt", "bin"]);
  assertEquals(heartbeats, 1);
});

Deno.test("fromWebSocket wraps a socket that is still connecting", async () => {
  const record = recorder();
  await using server = wsServer(record.attach);
  const socket = new WebSocket(server.url);
  assertEquals(socket.readyState, WebSocket.CONNECTING);
  const transport = fromWebSocket(socket);
  const writer = transport.writable.getWriter();
  await within(writer.write(utf8.encode("x")), 2000, "the write");
  await writer.close();
  await within(record.closed, 2000, "the server seeing the close");
  assertEquals(record.messages, [utf8.encode("x")]);
  await readAll(transport.readable);
});

Deno.test("fromWebSocket surfaces an abnormal close code and reason in WebSocketClosedError", async () => {
  await using server = wsServer((socket) => {
    socket.onopen = () => {
      socket.send("RECEIPT\nreceipt-id:1\n\n\0");
      socket.close(4001, "go away");
    };
  });
  const transport = await connectWebSocket(server.url);
  const reader = transport.readable.getReader();
  assertEquals((await within(reader.read(), 2000, "a message")).done, false);
  const error = await assertRejects(
    () => within(reader.read(), 2000, "the close"),
    WebSocketClosedError,
    'WebSocket closed with code 4001: "go away"',
  );
  assertEquals(error.code, 4001);
  assertEquals(error.reason, "go away");
  assertEquals(error.wasClean, true);
  const writeError = await assertRejects(
    () => transport.writable.getWriter().write(new Uint8Array([0x0a])),
    WebSocketClosedError,
    "Cannot send frame",
  );
  assertEquals(writeError.code, 4001);
});

Deno.test("fromWebSocket ends the readable normally on close code 1000, reporting it in closed", async () => {
  await using server = wsServer((socket) => {
    socket.onopen = () => socket.close(1000, "bye");
  });
  const transport = await connectWebSocket(server.url);
  assertEquals(await readAll(transport.readable), []);
  // The reason is not lost: closed tells how the socket closed.
  assertEquals(await transport.closed, {
    code: 1000,
    reason: "bye",
    wasClean: true,
  });
});

Deno.test("fromWebSocket rejects bad options", () => {
  const socket = { readyState: 1 } as WebSocket;
  assertThrowsType(
    () => fromWebSocket(socket, { messageType: "json" as "text" }),
    TypeError,
  );
  assertThrowsType(
    () => fromWebSocket(socket, { highWaterMark: -1 }),
    RangeError,
  );
});

function assertThrowsType(fn: () => unknown, type: ErrorConstructor) {
  try {
    fn();
  } catch (error) {
    assertInstanceOf(error, type);
    return;
  }
  throw new Error("Expected a throw");
}

/**
 * A WebSocket server written on a raw TCP listener, so the test controls
 * reading: after the handshake it reads nothing until `drain()`, and the
 * client's bufferedAmount has to grow.
 */
function stallingWsServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let draining: Promise<number> | undefined;
  let conn: Deno.Conn | undefined;
  let disposed = false;
  const ready = (async () => {
    conn = await listener.accept();
    const buffer = new Uint8Array(4096);
    let request = "";
    while (!request.includes("\r\n\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("Client left during the handshake");
      request += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const key = /sec-websocket-key: *(\S+)/i.exec(request)?.[1];
    const digest = await crypto.subtle.digest(
      "SHA-1",
      utf8.encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
    );
    const accept = btoa(String.fromCharCode(...new Uint8Array(digest)));
    await conn.write(utf8.encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
        `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
        "Sec-WebSocket-Protocol: v12.stomp\r\n\r\n",
    ));
  })();
  return {
    url: `ws://127.0.0.1:${listener.addr.port}/ws`,
    ready,
    /** Starts reading (and discarding) everything; resolves with the byte count at EOF. */
    drain() {
      draining ??= (async () => {
        let total = 0;
        const buffer = new Uint8Array(1 << 16);
        while (true) {
          const n = await conn!.read(buffer).catch(() => null);
          if (n === null) return total;
          total += n;
        }
      })();
      return draining;
    },
    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      listener.close();
      try {
        // A close frame, so the client's closing handshake completes.
        await conn?.write(new Uint8Array([0x88, 0x00]));
      } catch {
        // The client has gone already.
      }
      conn?.close();
      await draining;
    },
  };
}

Deno.test("fromWebSocket waits while bufferedAmount is above the high-water mark", async () => {
  await using server = stallingWsServer();
  const highWaterMark = 256 * 1024;
  const transport = await connectWebSocket(server.url, { highWaterMark });
  await server.ready;
  const writer = transport.writable.getWriter();
  const chunk = randomBytes(128 * 1024);
  // The peer reads nothing: once the kernel buffers fill, a write must wait.
  let stalled: Promise<void> | undefined;
  let written = 0;
  for (let i = 0; i < 1024 && stalled === undefined; i++) {
    const write = writer.write(chunk);
    if (await pendingAfter(write, 100)) stalled = write;
    else {
      written += chunk.length;
      assertLessOrEqual(transport.socket.bufferedAmount, highWaterMark);
    }
  }
  assert(stalled !== undefined, `no write waited after ${written} bytes`);
  assertGreater(transport.socket.bufferedAmount, highWaterMark);
  // Once the peer reads, the write completes with the queue at the mark.
  const drained = server.drain();
  await within(stalled, 5000, "the stalled write");
  assertLessOrEqual(transport.socket.bufferedAmount, highWaterMark);
  transport.close();
  await server[Symbol.asyncDispose]();
  assertGreater(await drained, written);
  await readAll(transport.readable);
});

Deno.test("fromWebSocket without backpressure lets bufferedAmount grow past the mark", async () => {
  // The control for the test above: the same stalled peer, a mark too high
  // to reach, and the queue does grow.
  await using server = stallingWsServer();
  const transport = await connectWebSocket(server.url, {
    highWaterMark: 1 << 30,
  });
  await server.ready;
  const writer = transport.writable.getWriter();
  const chunk = randomBytes(128 * 1024);
  for (let i = 0; i < 128; i++) {
    await within(writer.write(chunk), 1000, "an unthrottled write");
  }
  assertGreater(transport.socket.bufferedAmount, 256 * 1024);
  server.drain();
  transport.close();
  await server[Symbol.asyncDispose]();
  await readAll(transport.readable);
});

Deno.test("connectWebSocket rejects quickly with TransportConnectError when refused", async () => {
  const url = `ws://127.0.0.1:${closedPort()}/ws`;
  const started = performance.now();
  const error = await assertRejects(
    () => connectWebSocket(url),
    TransportConnectError,
    `Cannot connect to "${url}": the connection failed`,
  );
  assertLessOrEqual(performance.now() - started, 1000);
  assertEquals(error.url, url);
});

Deno.test("connectWebSocket rejects when the server refuses the upgrade", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("no", { status: 404 }),
  );
  await assertRejects(
    () => connectWebSocket(`ws://127.0.0.1:${server.addr.port}/ws`),
    TransportConnectError,
    "the connection failed",
  );
});

Deno.test("connectWebSocket times out when the upgrade gets no answer", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const started = performance.now();
  await assertRejects(
    () =>
      connectWebSocket(`ws://127.0.0.1:${listener.addr.port}/ws`, {
        timeout: 200,
      }),
    TransportConnectError,
    "timed out after 200 ms",
  );
  assertLessOrEqual(performance.now() - started, 2000);
  using conn = await accepted;
  // Let the abandoned socket see its connection go before the test ends.
  conn.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
});

Deno.test("connectWebSocket rejects non-WebSocket URLs with TypeError", async () => {
  await assertRejects(
    () => connectWebSocket("http://127.0.0.1/ws"),
    TypeError,
    'unsupported scheme "http:"',
  );
});

// ---------------------------------------------------------------------------
// openTransport

Deno.test("openTransport picks the transport from the URL scheme", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const tcp = await openTransport(`tcp://127.0.0.1:${listener.addr.port}`);
  using _conn = await accepted;
  assert("conn" in tcp);
  tcp.close();

  await using server = wsServer((socket) =>
    socket.onopen = () => socket.close()
  );
  const ws = await openTransport(server.url);
  assert("socket" in ws);
  await readAll(ws.readable);
});

Deno.test("openTransport rejects unknown schemes with TypeError", async () => {
  for (const url of ["http://127.0.0.1:61613", "amqp://127.0.0.1", "x:y"]) {
    await assertRejects(
      () => openTransport(url),
      TypeError,
      "Cannot open transport: unknown scheme",
    );
  }
  await assertRejects(() => openTransport("::"), TypeError, "invalid URL");
  // host:port without a scheme: say what was meant.
  await assertRejects(
    () => openTransport("127.0.0.1:61613"),
    TypeError,
    'invalid URL "127.0.0.1:61613"; to connect over TCP, write "tcp://127.0.0.1:61613"',
  );
  await assertRejects(
    () => openTransport("localhost:61613"),
    TypeError,
    '; to connect over TCP, write "tcp://localhost:61613"',
  );
});

// ---------------------------------------------------------------------------
// fetch bodies

Deno.test("decodeBody decodes the frames of a streamed fetch response", async () => {
  const frames = [
    send("/queue/a", "one"),
    send("/queue/a", randomBytes(300_000)),
    receipt("r"),
  ];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(encodeBody(frames)),
  );
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  const decoded = await readAll(decodeBody(response));
  assertEquals(decoded.map((f) => f.command), ["SEND", "SEND", "RECEIPT"]);
  assertEquals(decoded[1]!.body, frames[1]!.body);
});

Deno.test("encodeBody streams frames as a fetch request body", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const got = await Array.fromAsync(decodeBody(request));
      return Response.json(got.map((f) => [f.command, f.text]));
    },
  );
  async function* frames() {
    yield send("/queue/a", "one");
    yield HEARTBEAT;
    yield send("/queue/a", "two");
  }
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
    method: "POST",
    body: encodeBody(frames()),
  });
  assertEquals(await response.json(), [["SEND", "one"], ["SEND", "two"]]);
});

Deno.test("decodeBody rejects a missing or used body with TypeError", async () => {
  assertThrowsType(() => decodeBody(new Response(null)), TypeError);
  const used = new Response("x");
  await used.text();
  assertThrowsType(() => decodeBody(used), TypeError);
  const locked = new Response("x").body!;
  locked.getReader();
  assertThrowsType(() => decodeBody(locked), TypeError);
});

Deno.test("decodeBody errors when the body ends inside a frame", async () => {
  await assertRejects(
    () =>
      readAll(decodeBody(new Response("MESSAGE\ndestination:/q\n\nno end"))),
    StompSyntaxError,
    "Input ended inside a frame",
  );
});

// ---------------------------------------------------------------------------
// The stomp: alias, and connectNodeTcp over plain TCP run here through Deno's
// node:net; its TLS, and all of it under Node itself, are in
// tests/integration/client_node_test.ts

import { connectNodeTcp, TRANSPORT_SCHEMES } from "@stomper/stomp/transports";

/** A TCP server on 127.0.0.1 that echoes what it reads until the peer ends. */
function tcpEchoServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    for await (const conn of listener) {
      try {
        await conn.readable.pipeTo(conn.writable);
      } catch {
        // A client that went away mid-echo.
      }
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await done;
    },
  };
}

/** Writes a frame, half-closes, and returns what came back. */
async function echoThrough(transport: {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}) {
  const frame = encodeFrame(send("/queue/a", randomBytes(200_000)));
  const writer = transport.writable.getWriter();
  await writer.write(frame);
  await writer.close();
  assertEquals(concat(await readAll(transport.readable)), frame);
}

Deno.test("TRANSPORT_SCHEMES has stomp: and stomp+ssl: as aliases of tcp: and tls:", () => {
  for (const scheme of ["tcp:", "stomp:", "tls:", "stomp+ssl:", "ws:"]) {
    assert(TRANSPORT_SCHEMES.includes(scheme), scheme);
  }
});

Deno.test("openTransport and connectTcp open stomp: URLs over TCP in Deno", async () => {
  await using server = tcpEchoServer();
  const opened = await openTransport(`stomp://127.0.0.1:${server.port}`);
  assert("conn" in opened, "the Deno transport");
  await echoThrough(opened);
  opened.close();
  const direct = await connectTcp(`stomp://127.0.0.1:${server.port}`);
  await echoThrough(direct);
  direct.close();
});

Deno.test("connectNodeTcp echoes over tcp: and stomp:", async () => {
  await using server = tcpEchoServer();
  for (const scheme of ["tcp", "stomp"]) {
    const transport = await connectNodeTcp(
      `${scheme}://127.0.0.1:${server.port}`,
    );
    assertEquals(transport.coalesce, true);
    await echoThrough(transport);
    transport.close();
  }
});

Deno.test("connectNodeTcp reports a refused connection as TransportConnectError", async () => {
  const port = closedPort();
  const error = await assertRejects(
    () => connectNodeTcp(`tcp://127.0.0.1:${port}`),
    TransportConnectError,
    `Cannot connect to "tcp://127.0.0.1:${port}": connection refused (ECONNREFUSED)`,
  );
  assertEquals(error.url, `tcp://127.0.0.1:${port}`);
  assertInstanceOf(error.cause, Error);
});

Deno.test("connectNodeTcp times out or aborts when a TLS handshake gets no answer", async () => {
  // A plain TCP server that never speaks TLS: the handshake waits for ever.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) conns.push(conn);
  })();
  const url = `tls://127.0.0.1:${listener.addr.port}`;
  const started = performance.now();
  await assertRejects(
    () => connectNodeTcp(url, { timeout: 200 }),
    TransportConnectError,
    "timed out after 200 ms",
  );
  assertLessOrEqual(performance.now() - started, 2000);
  const controller = new AbortController();
  const connecting = connectNodeTcp(url, {
    signal: controller.signal,
    timeout: 0,
  });
  setTimeout(() => controller.abort(new Error("user gave up")), 50);
  await assertRejects(
    () => connecting,
    TransportConnectError,
    "aborted (user gave up)",
  );
  listener.close();
  await accepting;
  for (const conn of conns) conn.close();
});

Deno.test("connectNodeTcp rejects other schemes and bad options with TypeError and RangeError", async () => {
  await assertRejects(
    () => connectNodeTcp("ws://127.0.0.1:15674/ws"),
    TypeError,
    'unsupported scheme "ws:" in "ws://127.0.0.1:15674/ws" (expected tcp:, stomp:, tls: or stomp+ssl:)',
  );
  await assertRejects(() => connectNodeTcp("::"), TypeError, "invalid URL");
  await assertRejects(
    () => connectNodeTcp("tcp://127.0.0.1:1", { timeout: -1 }),
    RangeError,
    "timeout must be a non-negative number",
  );
});

Deno.test("connectNodeTcp pauses the socket while the reader falls behind", async () => {
  const total = 32 * 1024 * 1024;
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let written = 0;
  const serving = (async () => {
    using conn = await listener.accept();
    const chunk = new Uint8Array(64 * 1024);
    while (written < total) {
      written += await conn.write(
        chunk.subarray(0, Math.min(chunk.length, total - written)),
      );
    }
  })();
  const transport = await connectNodeTcp(
    `tcp://127.0.0.1:${listener.addr.port}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Kernel buffers and the 64 KiB queue hold a few MiB at most.
  assertLessOrEqual(written, 16 * 1024 * 1024);
  let received = 0;
  const reader = transport.readable.getReader();
  while (received < total) {
    const { value, done } = await within(reader.read(), 5000, "a read");
    if (done) break;
    received += value.length;
  }
  assertEquals(received, total);
  await serving;
  transport.close();
});

Deno.test("connectNodeTcp holds a write back while the peer does not read", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const transport = await connectNodeTcp(
    `tcp://127.0.0.1:${listener.addr.port}`,
  );
  using conn = await accepted;
  const writer = transport.writable.getWriter();
  const big = new Uint8Array(32 * 1024 * 1024);
  const writing = writer.write(big);
  assert(await pendingAfter(writing, 300), "the write waits for the peer");
  let read = 0;
  const buffer = new Uint8Array(1024 * 1024);
  while (read < big.length) {
    const n = await conn.read(buffer);
    if (n === null) break;
    read += n;
  }
  assertEquals(read, big.length);
  await within(writing, 5000, "the write");
  transport.close();
});

Deno.test("connectNodeTcp close() ends the readable normally and fails later writes", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const transport = await connectNodeTcp(
    `tcp://127.0.0.1:${listener.addr.port}`,
  );
  using _conn = await accepted;
  const reader = transport.readable.getReader();
  const reading = reader.read();
  transport.close();
  assertEquals((await within(reading, 5000, "the read")).done, true);
  await assertRejects(
    () => transport.writable.getWriter().write(utf8.encode("\n")),
    Error,
    "the connection is closed",
  );
});

Deno.test("connectNodeTcp ends the readable when the peer closes", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const transport = await connectNodeTcp(
    `tcp://127.0.0.1:${listener.addr.port}`,
  );
  const conn = await accepted;
  await conn.write(utf8.encode("CONNECTED\n\n\0"));
  const reader = transport.readable.getReader();
  assertEquals((await reader.read()).value, utf8.encode("CONNECTED\n\n\0"));
  // A peer that closes normally ends the readable.
  conn.close();
  assertEquals((await within(reader.read(), 5000, "the end")).done, true);
  transport.close();
});

// TLS settings for a plain URL: the caller most likely meant TLS.

Deno.test("connectTcp, connectNodeTcp and connectWebSocket refuse TLS settings for a plain tcp: or ws: URL with TypeError", async () => {
  // Something listens, so a transport that ignored the settings would
  // connect instead of refusing them.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => Deno.upgradeWebSocket(request).response,
  );
  const tcp = `tcp://127.0.0.1:${listener.addr.port}`;
  const ws = `ws://127.0.0.1:${server.addr.port}`;
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ["connectTcp", () => connectTcp(tcp, { caCerts: [CA] }), /tls:/],
    ["connectNodeTcp", () => connectNodeTcp(tcp, { caCerts: [CA] }), /tls:/],
    ["connectWebSocket", () => connectWebSocket(ws, { caCerts: [CA] }), /wss:/],
  ];
  for (const [name, call, scheme] of cases) {
    const error = await assertRejects(call, TypeError, undefined, name);
    assertMatch(error.message, /caCerts, cert and key are TLS settings/, name);
    assertMatch(error.message, scheme, name);
  }
});

Deno.test("openTransport leaves TLS settings out for tcp: and ws: URLs, so one set of options serves a failover list", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const transport = await openTransport(
    `tcp://127.0.0.1:${listener.addr.port}`,
    { caCerts: [CA] },
  );
  using _conn = await accepted;
  transport.close();
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onopen = () => socket.close(1000);
      return response;
    },
  );
  const ws = await openTransport(`ws://127.0.0.1:${server.addr.port}`, {
    caCerts: [CA],
  });
  assertEquals(await new Response(ws.readable).text(), "");
});

// ---------------------------------------------------------------------------
// Cloudflare sockets: workerd itself runs in tests/integration/workerd_test.ts;
// here a Deno connection stands in for the socket, in its shape.

/** A `cloudflare:sockets` socket in shape, over a Deno connection. */
function cloudflareShaped(conn: Deno.Conn): CloudflareSocket {
  return {
    readable: conn.readable,
    writable: conn.writable,
    close() {
      try {
        conn.close();
      } catch {
        // Already closed, by Deno at the readable's end.
      }
      return Promise.resolve();
    },
  };
}

Deno.test("fromCloudflareSocket carries frames both ways and lets the client gather them (coalesce)", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const transport = fromCloudflareSocket(
    cloudflareShaped(
      await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    ),
  );
  assertEquals(transport.coalesce, true);
  using server = await accepted;
  // Two frames in one write, as the client sends frames issued together.
  const frames = concat([
    encodeFrame(send("/queue/a", "one")),
    encodeFrame(send("/queue/a", "two")),
  ]);
  const writer = transport.writable.getWriter();
  await writer.write(frames);
  const got = new Uint8Array(frames.length);
  let n = 0;
  while (n < got.length) n += (await server.read(got.subarray(n)))!;
  assertEquals(got, frames);
  await server.write(encodeFrame(receipt("7")));
  server.closeWrite();
  const received = new StompDecoder().push(
    concat(await readAll(transport.readable)),
  );
  assertEquals(received.map((f) => f.headers.get("receipt-id")), ["7"]);
  transport.close();
});

Deno.test("fromCloudflareSocket close() ends a pending read normally and fails later writes", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const transport = fromCloudflareSocket(
    cloudflareShaped(
      await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    ),
  );
  using server = await accepted;
  const reading = transport.readable.getReader().read();
  assert(await pendingAfter(reading, 50), "the read should wait for data");
  transport.close();
  assertEquals((await within(reading, 2000, "the read ending")).done, true);
  assertEquals(await within(server.read(new Uint8Array(8)), 2000, "EOF"), null);
  await assertRejects(
    () => transport.writable.getWriter().write(new Uint8Array([10])),
    Error,
    "Cannot write frame: the connection is closed",
  );
});

Deno.test("fromCloudflareSocket errors the readable when the connection fails", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.addr.port,
  });
  const transport = fromCloudflareSocket({
    ...cloudflareShaped(conn),
    // A read that fails the way a reset one does.
    readable: conn.readable.pipeThrough(
      new TransformStream({
        flush() {
          throw new Error("Connection reset by peer");
        },
      }),
    ),
  });
  (await accepted).close();
  await assertRejects(
    () => readAll(transport.readable),
    Error,
    "Connection reset by peer",
  );
});

Deno.test("fromCloudflareSocket says to use a Durable Object when another request uses the socket (scripted socket: only workerd raises this)", async () => {
  const otherRequest = () =>
    new Error(
      "Cannot perform I/O on behalf of a different request. I/O objects (such as streams, request/response bodies, and others) created in the context of one request handler cannot be accessed from a different request's handler.",
    );
  const transport = fromCloudflareSocket({
    readable: new ReadableStream({
      pull() {
        throw otherRequest();
      },
    }),
    writable: new WritableStream({
      write() {
        throw otherRequest();
      },
    }),
    close: () => Promise.resolve(),
  });
  const hint =
    "Cannot use the connection: it was opened while handling another request, and a Worker's sockets belong to the request that opened them; connect in each request, or keep the client in a Durable Object";
  const written = await assertRejects(
    () => transport.writable.getWriter().write(new Uint8Array([10])),
    Error,
  );
  assertEquals(written.message, hint);
  assertMatch(String((written.cause as Error).message), /different request/);
  const read = await assertRejects(
    () => transport.readable.getReader().read(),
    Error,
  );
  assertEquals(read.message, hint);
});

Deno.test("connectCloudflareTcp outside Workers rejects with TypeError naming the transports to use", async () => {
  const error = await assertRejects(
    () => connectCloudflareTcp(`tcp://127.0.0.1:${closedPort()}`),
    TypeError,
  );
  assertEquals(
    error.message,
    "Cannot connect over TCP: this runtime has no cloudflare:sockets module (Cloudflare Workers and workerd have it); use connectTcp in Deno and connectNodeTcp in Node or Bun, or openTransport, which picks the one that fits",
  );
});

Deno.test("connectCloudflareTcp rejects other schemes and TLS settings with TypeError, and a bad timeout with RangeError, before opening anything", async () => {
  await assertRejects(
    () => connectCloudflareTcp("ws://127.0.0.1:15674/ws"),
    TypeError,
    'Cannot connect over TCP: unsupported scheme "ws:"',
  );
  await assertRejects(
    () =>
      connectCloudflareTcp(
        "tls://localhost:61614",
        { caCerts: [CA] } as Parameters<typeof connectCloudflareTcp>[1],
      ),
    TypeError,
    "caCerts, cert and key cannot be used with Cloudflare sockets",
  );
  await assertRejects(
    () => connectCloudflareTcp("tcp://127.0.0.1:61613", { timeout: -1 }),
    RangeError,
    "timeout must be a non-negative number",
  );
});
