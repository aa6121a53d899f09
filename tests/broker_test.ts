// StompTestBroker over real loopback sockets, driven frame by frame with the
// codec only (no client), so each protocol rule is checked on the wire.

import {
  assert,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
  assertMatch,
} from "@std/assert";
import {
  abort,
  ack,
  begin,
  commit,
  connect,
  disconnect,
  encodeFrame,
  HEARTBEAT,
  nack,
  send,
  StompDecoder,
  StompFrame,
  subscribe,
  unsubscribe,
} from "@stomper/stomp";
import { StompTestBroker } from "@stomper/stomp/testing";
import { RawPeer } from "./_peer.ts";
import { eventually } from "./_helpers.ts";

async function expectError(
  client: RawPeer,
  message: string,
): Promise<StompFrame> {
  const frame = await client.next();
  assertEquals(frame.command, "ERROR", `expected ERROR, got ${frame.command}`);
  assertEquals(frame.headers.get("message"), message, frame.text);
  await client.end();
  return frame;
}

async function receiveMessage(client: RawPeer): Promise<StompFrame> {
  const frame = await client.next();
  assertEquals(frame.command, "MESSAGE", frame.text);
  return frame;
}

Deno.test("StompTestBroker answers CONNECT with CONNECTED, version, heart-beat, session and server", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.open(broker.port);
  await client.send(connect({ host: "/", heartBeat: [0, 0] }));
  const frame = await client.next();
  assertEquals(frame.command, "CONNECTED");
  assertEquals(frame.headers.get("version"), "1.2");
  assertEquals(frame.headers.get("heart-beat"), "1000,1000");
  assertEquals(frame.headers.get("server"), "stomper-test-broker");
  assertMatch(frame.headers.get("session") ?? "", /^c\d+$/);
  assertEquals(broker.connections, 1);
});

Deno.test("StompTestBroker negotiates the highest common version", async () => {
  await using broker = StompTestBroker.listen({ versions: ["1.0", "1.1"] });
  await using client = await RawPeer.open(broker.port);
  await client.send(connect({ host: "/", acceptVersion: ["1.1", "1.2"] }));
  assertEquals((await client.next()).headers.get("version"), "1.1");

  // No accept-version header: STOMP 1.0, and CONNECTED carries no version.
  await using old = await RawPeer.open(broker.port);
  await old.send(new StompFrame("CONNECT", { host: "/" }));
  const frame = await old.next();
  assertEquals(frame.command, "CONNECTED");
  assertEquals(frame.headers.get("version"), undefined);
});

Deno.test("StompTestBroker refuses a version it does not speak with ERROR and closes", async () => {
  await using broker = StompTestBroker.listen({ versions: ["1.2"] });
  await using client = await RawPeer.open(broker.port);
  await client.send(connect({ host: "/", acceptVersion: ["1.0", "1.1"] }));
  const frame = await expectError(
    client,
    "Supported protocol versions are 1.2",
  );
  assertEquals(frame.headers.get("version"), "1.2");
});

Deno.test("StompTestBroker refuses a bad login with ERROR and closes", async () => {
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
  });
  await using client = await RawPeer.open(broker.port);
  await client.send(
    connect({ host: "/", login: "guest", passcode: "wrong" }),
  );
  const frame = await expectError(client, "Bad CONNECT");
  assertEquals(frame.text, 'Access refused for user "guest"');

  await using good = await RawPeer.open(broker.port);
  await good.send(connect({ host: "/", login: "guest", passcode: "guest" }));
  assertEquals((await good.next()).command, "CONNECTED");
});

Deno.test("StompTestBroker refuses frames before CONNECT with ERROR and closes", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.open(broker.port);
  await client.send(send("/queue/a", "too early"));
  await expectError(client, "Expected CONNECT");
  assertEquals(broker.depth("/queue/a"), 0);
});

Deno.test("StompTestBroker refuses an unknown destination with ERROR naming the receipt", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.connected(broker);
  await client.send(send("/exchange/x", "?", { receipt: "r-9" }));
  const frame = await expectError(client, "Unknown destination");
  assertEquals(frame.headers.get("receipt-id"), "r-9");
});

Deno.test("StompTestBroker refuses malformed input with ERROR and closes", async () => {
  await using broker = StompTestBroker.listen();
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: broker.port });
  await conn.write(encodeFrame(connect({ host: "/", heartBeat: [0, 0] })));
  await conn.write(new TextEncoder().encode("SEND\nno colon here\n\n\0"));
  // The broker closes after the ERROR, so reading to the end cannot hang.
  const text = await new Response(conn.readable).text();
  assertMatch(text, /^CONNECTED\n/);
  assertMatch(text, /ERROR\nmessage:Malformed frame\n/);
  assertMatch(text, /has no ':'/);
});

Deno.test("StompTestBroker keeps queue messages until a subscriber comes", async () => {
  await using broker = StompTestBroker.listen();
  await using producer = await RawPeer.connected(broker);
  await producer.send(
    send("/queue/a", "kept", {
      receipt: "r-1",
      contentType: "text/plain",
      headers: { custom: "v:1" },
    }),
  );
  assertEquals((await producer.next()).headers.get("receipt-id"), "r-1");
  assertEquals(broker.depth("/queue/a"), 1);

  await using consumer = await RawPeer.connected(broker);
  await consumer.send(subscribe("s1", "/queue/a"));
  const frame = await receiveMessage(consumer);
  assertEquals(frame.text, "kept");
  assertEquals(frame.headers.get("destination"), "/queue/a");
  assertEquals(frame.headers.get("subscription"), "s1");
  assertEquals(frame.headers.get("content-type"), "text/plain");
  assertEquals(frame.headers.get("custom"), "v:1");
  assertEquals(frame.headers.get("receipt"), undefined);
  assertEquals(broker.depth("/queue/a"), 0);
});

Deno.test("StompTestBroker hands queue messages round-robin to its subscribers", async () => {
  await using broker = StompTestBroker.listen();
  await using a = await RawPeer.connected(broker);
  await using b = await RawPeer.connected(broker);
  await a.send(subscribe("s", "/queue/work", { receipt: "ra" }));
  await a.next();
  await b.send(subscribe("s", "/queue/work", { receipt: "rb" }));
  await b.next();
  for (let i = 0; i < 4; i++) await a.send(send("/queue/work", `job ${i}`));
  const forA = [(await receiveMessage(a)).text, (await receiveMessage(a)).text];
  const forB = [(await receiveMessage(b)).text, (await receiveMessage(b)).text];
  assertEquals(forA, ["job 0", "job 2"]);
  assertEquals(forB, ["job 1", "job 3"]);
});

Deno.test("StompTestBroker fans topic messages out to every subscriber and keeps none", async () => {
  await using broker = StompTestBroker.listen();
  await using a = await RawPeer.connected(broker);
  await using b = await RawPeer.connected(broker);
  await a.send(send("/topic/news", "nobody listens", { receipt: "r0" }));
  await a.next();
  await a.send(subscribe("1", "/topic/news", { receipt: "ra" }));
  await a.next();
  await b.send(subscribe("2", "/topic/news", { receipt: "rb" }));
  await b.next();
  await a.send(send("/topic/news", "hello all"));
  assertEquals((await receiveMessage(a)).text, "hello all");
  const atB = await receiveMessage(b);
  assertEquals(atB.text, "hello all");
  assertEquals(atB.headers.get("subscription"), "2");
  assert(await a.quiet(100), "the message sent before subscribing came");
});

Deno.test("StompTestBroker redelivers unacknowledged messages when the connection ends", async () => {
  await using broker = StompTestBroker.listen();
  {
    await using first = await RawPeer.connected(broker);
    await first.send(subscribe("s", "/queue/a", { ack: "client-individual" }));
    await first.send(send("/queue/a", "one"));
    const frame = await receiveMessage(first);
    assert(frame.headers.get("ack") !== undefined);
    assertEquals(frame.headers.get("redelivered"), undefined);
    assertEquals(broker.unacknowledged("/queue/a"), 1);
  }
  // The socket is closed; the broker notices and puts the message back.
  await using second = await RawPeer.connected(broker);
  await second.send(subscribe("s", "/queue/a", { ack: "auto" }));
  const again = await receiveMessage(second);
  assertEquals(again.text, "one");
  assertEquals(again.headers.get("redelivered"), "true");
});

Deno.test("StompTestBroker redelivers a NACKed message and forgets an ACKed one", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.connected(broker);
  await client.send(subscribe("s", "/queue/a", { ack: "client-individual" }));
  await client.send(send("/queue/a", "x"));
  const first = await receiveMessage(client);
  await client.send(nack(first.headers.get("ack")!));
  const second = await receiveMessage(client);
  assertEquals(second.text, "x");
  assertEquals(second.headers.get("redelivered"), "true");
  await client.send(ack(second.headers.get("ack")!, { receipt: "done" }));
  assertEquals((await client.next()).headers.get("receipt-id"), "done");
  assertEquals(broker.unacknowledged("/queue/a"), 0);
  assertEquals(broker.depth("/queue/a"), 0);
});

Deno.test("StompTestBroker treats an ACK in client mode as cumulative", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.connected(broker);
  await client.send(subscribe("s", "/queue/a", { ack: "client" }));
  for (const body of ["1", "2", "3"]) await client.send(send("/queue/a", body));
  const frames = [
    await receiveMessage(client),
    await receiveMessage(client),
    await receiveMessage(client),
  ];
  await client.send(ack(frames[1]!.headers.get("ack")!, { receipt: "r" }));
  await client.next();
  assertEquals(broker.unacknowledged("/queue/a"), 1);
});

Deno.test("StompTestBroker accepts STOMP 1.1 and 1.0 acknowledgements by message-id", async () => {
  await using broker = StompTestBroker.listen();
  for (const version of ["1.1", "1.0"] as const) {
    await using client = await RawPeer.connected(broker, {}, version);
    await client.send(subscribe("s", "/queue/old", { ack: "client" }));
    await client.send(send("/queue/old", version));
    const frame = await receiveMessage(client);
    assertEquals(frame.headers.get("ack"), undefined);
    const messageId = frame.headers.get("message-id")!;
    await client.send(
      ack(
        version === "1.1" ? { messageId, subscription: "s" } : { messageId },
        { receipt: "r" },
      ),
    );
    assertEquals((await client.next()).command, "RECEIPT");
    assertEquals(broker.unacknowledged("/queue/old"), 0);
  }
});

Deno.test("StompTestBroker refuses an ACK for an unknown message with ERROR", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.connected(broker);
  await client.send(ack("nope"));
  await expectError(client, "Unknown message");
});

Deno.test("StompTestBroker caps unacknowledged messages with prefetch-count", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.connected(broker);
  await client.send(
    subscribe("s", "/queue/a", {
      ack: "client-individual",
      headers: { "prefetch-count": "2" },
    }),
  );
  for (let i = 0; i < 5; i++) await client.send(send("/queue/a", `${i}`));
  const first = await receiveMessage(client);
  await receiveMessage(client);
  assert(await client.quiet(100), "a third message came past prefetch-count 2");
  assertEquals(broker.unacknowledged("/queue/a"), 2);
  assertEquals(broker.depth("/queue/a"), 3);
  await client.send(ack(first.headers.get("ack")!));
  assertEquals((await receiveMessage(client)).text, "2");
});

Deno.test("StompTestBroker runs transactions: COMMIT applies sends and acks, ABORT drops them", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.connected(broker);
  await client.send(begin("t1"));
  await client.send(send("/queue/a", "dropped", { transaction: "t1" }));
  await client.send(abort("t1", { receipt: "r1" }));
  await client.next();
  assertEquals(broker.depth("/queue/a"), 0);

  await client.send(begin("t2"));
  await client.send(send("/queue/a", "kept", { transaction: "t2" }));
  assertEquals(broker.depth("/queue/a"), 0);
  await client.send(commit("t2", { receipt: "r2" }));
  await client.next();
  assertEquals(broker.depth("/queue/a"), 1);

  await client.send(subscribe("s", "/queue/a", { ack: "client-individual" }));
  const frame = await receiveMessage(client);
  await client.send(begin("t3"));
  await client.send(ack(frame.headers.get("ack")!, { transaction: "t3" }));
  await client.send(abort("t3", { receipt: "r3" }));
  await client.next();
  assertEquals(broker.unacknowledged("/queue/a"), 1);
  await client.send(begin("t4"));
  await client.send(ack(frame.headers.get("ack")!, { transaction: "t4" }));
  await client.send(commit("t4", { receipt: "r4" }));
  await client.next();
  assertEquals(broker.unacknowledged("/queue/a"), 0);

  await client.send(commit("t4"));
  await expectError(client, "Unknown transaction");
});

Deno.test("StompTestBroker stops delivering after UNSUBSCRIBE and gives back what was unacknowledged", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.connected(broker);
  await client.send(subscribe("s", "/queue/a", { ack: "client-individual" }));
  await client.send(send("/queue/a", "1"));
  await receiveMessage(client);
  await client.send(unsubscribe("s", { receipt: "r" }));
  assertEquals((await client.next()).command, "RECEIPT");
  assertEquals(broker.depth("/queue/a"), 1);
  await client.send(send("/queue/a", "2"));
  assert(await client.quiet(100));
  assertEquals(broker.depth("/queue/a"), 2);
});

Deno.test("StompTestBroker answers DISCONNECT with its RECEIPT, then closes", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawPeer.connected(broker);
  await client.send(disconnect({ receipt: "bye" }));
  assertEquals((await client.next()).headers.get("receipt-id"), "bye");
  await client.end();
  assertEquals(broker.connections, 0);
});

Deno.test("StompTestBroker sends heart-beats and drops a client that falls silent", async () => {
  await using broker = StompTestBroker.listen({ heartBeat: [50, 50] });
  await using client = await RawPeer.open(broker.port);
  // Client: sends every 50 ms (it will not), wants every 50 ms.
  await client.send(connect({ host: "/", heartBeat: [50, 50] }));
  assertEquals((await client.next()).headers.get("heart-beat"), "50,50");
  const started = Date.now();
  await client.end(2000);
  const silentFor = Date.now() - started;
  // Dropped after 50 ms × grace 2, plus timer slack.
  assertGreater(silentFor, 90);
  assertLessOrEqual(silentFor, 600);
  assertGreater(client.heartbeats, 0);
});

Deno.test("StompTestBroker keeps a client that sends heart-beats, and counts them", async () => {
  await using broker = StompTestBroker.listen({ heartBeat: [0, 40] });
  await using client = await RawPeer.open(broker.port);
  await client.send(connect({ host: "/", heartBeat: [40, 0] }));
  await client.next();
  for (let i = 0; i < 8; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    await client.send(HEARTBEAT);
  }
  await eventually(() => broker.heartbeatsReceived === 8);
  assertEquals(broker.heartbeatsReceived, 8);
  assertEquals(client.ended, false);
});

Deno.test("StompTestBroker.dropConnections() closes every connection and requeues", async () => {
  await using broker = StompTestBroker.listen();
  await using a = await RawPeer.connected(broker);
  await using b = await RawPeer.connected(broker);
  await a.send(subscribe("s", "/queue/a", { ack: "client" }));
  await a.send(send("/queue/a", "in flight"));
  await receiveMessage(a);
  assertEquals(broker.dropConnections(), 2);
  await a.end();
  await b.end();
  assertEquals(broker.connections, 0);
  assertEquals(broker.depth("/queue/a"), 1);
});

Deno.test("StompTestBroker serves STOMP over WebSocket with the v12.stomp subprotocol", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const socket = new WebSocket(broker.webSocketUrl!, [
    "v12.stomp",
    "v11.stomp",
  ]);
  socket.binaryType = "arraybuffer";
  const frames: StompFrame[] = [];
  const decoder = new StompDecoder();
  const received = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<void>();
  const endings: string[] = [];
  socket.onmessage = (event) => {
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    endings.push(new TextDecoder().decode(bytes.subarray(-2)));
    decoder.decode(bytes, (frame) => {
      frames.push(frame);
      if (frame.command === "MESSAGE") received.resolve();
    });
  };
  socket.onclose = () => closed.resolve();
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  assertEquals(socket.protocol, "v12.stomp");
  socket.send(encodeFrame(connect({ host: "/", heartBeat: [0, 0] })));
  socket.send(encodeFrame(subscribe("s", "/queue/ws")));
  // A text WebSocket message works too.
  socket.send(
    new TextDecoder().decode(encodeFrame(send("/queue/ws", "héllo"))),
  );
  const timer = setTimeout(
    () => received.reject(new Error("no MESSAGE")),
    2000,
  );
  await received.promise.finally(() => clearTimeout(timer));
  assertEquals(frames.map((f) => f.command), ["CONNECTED", "MESSAGE"]);
  assertEquals(frames[1]!.text, "héllo");
  // One frame a message, each ended as RabbitMQ's Web-STOMP ends them.
  assertEquals(endings, ["\0\n", "\0\n"]);
  socket.close();
  await closed.promise;
});

/**
 * Reads from a raw socket until `done(text so far)`, or to its end when
 * `done` is left out; fails after 5 s.
 */
async function readUntil(
  conn: Deno.Conn,
  done?: (text: string) => boolean,
): Promise<string> {
  const buffer = new Uint8Array(4096);
  const decoder = new TextDecoder();
  let text = "";
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, 5000);
  try {
    while (done === undefined || !done(text)) {
      const n = await conn.read(buffer);
      if (n === null && done === undefined) break;
      if (n === null) {
        throw new Error(`Connection ended after ${JSON.stringify(text)}`);
      }
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } catch (error) {
    if (timedOut) throw new Error(`No end after ${JSON.stringify(text)}`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return text;
}

/** Everything the broker writes for CONNECT, a SEND and a DISCONNECT. */
async function transcript(
  options: Parameters<typeof StompTestBroker.listen>[0],
): Promise<string> {
  await using broker = StompTestBroker.listen(options);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: broker.port });
  await conn.write(encodeFrame(connect({ host: "/", heartBeat: [0, 0] })));
  await conn.write(encodeFrame(send("/queue/eol", "x", { receipt: "r" })));
  await conn.write(encodeFrame(disconnect({ receipt: "bye" })));
  try {
    return await readUntil(conn);
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the timeout.
    }
  }
}

Deno.test("StompTestBroker ends every frame with NUL and EOL, as RabbitMQ and ActiveMQ do", async () => {
  assertMatch(
    await transcript({}),
    /^CONNECTED\n[^\0]*\n\n\0\nRECEIPT\nreceipt-id:r\n\n\0\nRECEIPT\nreceipt-id:bye\n\n\0\n$/,
  );
});

Deno.test("StompTestBroker ends frames at their NUL when eolAfterFrame is false", async () => {
  assertMatch(
    await transcript({ eolAfterFrame: false }),
    /^CONNECTED\n[^\0]*\n\n\0RECEIPT\nreceipt-id:r\n\n\0RECEIPT\nreceipt-id:bye\n\n\0$/,
  );
});

/** A WebSocket opening handshake by hand; returns the response head. */
async function upgradeWith(
  broker: StompTestBroker,
  protocols: string | undefined,
): Promise<string> {
  const url = new URL(broker.webSocketUrl!);
  using conn = await Deno.connect({
    hostname: url.hostname,
    port: Number(url.port),
  });
  const lines = [
    `GET ${url.pathname} HTTP/1.1`,
    `Host: ${url.host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...(protocols === undefined
      ? []
      : [`Sec-WebSocket-Protocol: ${protocols}`]),
  ];
  await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
  const head = await readUntil(conn, (text) => text.includes("\r\n\r\n"));
  return head.slice(0, head.indexOf("\r\n\r\n")).toLowerCase();
}

function answered(head: string): string | undefined {
  return /^sec-websocket-protocol: *(.*)$/m.exec(head)?.[1];
}

Deno.test("StompTestBroker accepts a subprotocol list without spaces (as Node's ws sends it) and picks the highest version", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const head = await upgradeWith(broker, "v10.stomp,v11.stomp,v12.stomp");
  assertMatch(head, /^http\/1\.1 101 /);
  assertEquals(answered(head), "v12.stomp");
});

Deno.test("StompTestBroker accepts a subprotocol list with spaces and tabs", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const head = await upgradeWith(broker, "v11.stomp ,\tv10.stomp");
  assertMatch(head, /^http\/1\.1 101 /);
  assertEquals(answered(head), "v11.stomp");
});

Deno.test("StompTestBroker answers the highest subprotocol among the versions it speaks", async () => {
  await using broker = StompTestBroker.listen({
    webSocket: true,
    versions: ["1.0", "1.1"],
  });
  const head = await upgradeWith(broker, "v12.stomp, v11.stomp, v10.stomp");
  assertEquals(answered(head), "v11.stomp");
});

Deno.test("StompTestBroker upgrades without a subprotocol when none offered is STOMP", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  for (const offer of [undefined, "mqtt"]) {
    const head = await upgradeWith(broker, offer);
    assertMatch(head, /^http\/1\.1 101 /);
    assertEquals(answered(head), undefined);
  }
});

Deno.test("StompTestBroker.close() stops listening", async () => {
  const broker = StompTestBroker.listen();
  const port = broker.port;
  await broker.close();
  await broker.close();
  let refused = false;
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
  } catch (error) {
    refused = error instanceof Deno.errors.ConnectionRefused;
  }
  assert(refused, "the port still accepts connections");
});
