// StompClient against real peers over loopback TCP: the in-process test
// broker, a relay in front of it that can fall silent, and scripted servers
// for what no broker does on purpose (protocol violations, never answering).

import {
  assert,
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertLessOrEqual,
  assertMatch,
  assertRejects,
} from "@std/assert";
import {
  connected,
  encodeFrame,
  message,
  receipt,
  send,
  type StompBody,
  StompDecoder,
  type StompFrame,
  type StompVersion,
} from "@stomper/stomp";
import {
  type ClientSendOptions,
  StompClient,
  type StompClientOptions,
  type StompClientState,
  StompConnectionError,
  type StompMessage,
  StompServerError,
  StompTimeoutError,
} from "@stomper/stomp/client";
import { connectTcp, type StompTransport } from "@stomper/stomp/transports";
import { ManualTimers, StompTestBroker } from "@stomper/stomp/testing";
import { scriptedServer } from "./_peer.ts";
import { eventually, within } from "./_helpers.ts";
import { ChaosRelay } from "./_chaos.ts";

const QUIET: StompClientOptions = { heartBeat: [0, 0] };

function client(
  broker: { url: string },
  options: StompClientOptions = {},
): Promise<StompClient> {
  return StompClient.connectUrl(broker.url, { ...QUIET, ...options });
}

/** Takes `count` messages from a subscription's iterator, with a timeout. */
async function take(
  iterator: AsyncIterator<StompMessage>,
  count: number,
  ms = 2000,
): Promise<StompMessage[]> {
  const out: StompMessage[] = [];
  while (out.length < count) {
    const next = await within(iterator.next(), ms, `message ${out.length + 1}`);
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

// --- connecting -------------------------------------------------------------

Deno.test("StompClient.connect() negotiates version and heart-beats with the test broker", async () => {
  await using broker = StompTestBroker.listen();
  const transport = await connectTcp(broker.url);
  await using stomp = await StompClient.connect(transport, {
    heartBeat: [4000, 6000],
  });
  assertEquals(stomp.state, "connected");
  assertEquals(stomp.version, "1.2");
  // Broker offers 1000,1000: each direction takes the larger value.
  assertEquals(stomp.heartBeat, { send: 4000, receive: 6000 });
  assertEquals(stomp.server, "stomper-test-broker");
  assertMatch(stomp.sessionId ?? "", /^c\d+$/);
});

Deno.test("StompClient.connect() speaks the version the broker picks from acceptVersion", async () => {
  await using broker = StompTestBroker.listen();
  for (const version of ["1.0", "1.1", "1.2"] as const) {
    await using stomp = await client(broker, { acceptVersion: [version] });
    assertEquals(stomp.version, version);
  }
});

Deno.test("StompClient.connectUrl() logs in with the URL's credentials", async () => {
  await using broker = StompTestBroker.listen({
    login: "app user",
    passcode: "p@ss:word",
  });
  const url = `tcp://${encodeURIComponent("app user")}:${
    encodeURIComponent("p@ss:word")
  }@127.0.0.1:${broker.port}`;
  await using stomp = await StompClient.connectUrl(url, QUIET);
  assertEquals(stomp.state, "connected");
});

Deno.test("StompClient.connect() rejects a bad login with StompServerError carrying the ERROR frame", async () => {
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
  });
  const errors: Error[] = [];
  const error = await assertRejects(
    () =>
      client(broker, {
        login: "guest",
        passcode: "nope",
        onError: (e) => errors.push(e),
      }),
    StompServerError,
    'Bad CONNECT: Access refused for user "guest"',
  );
  assertEquals(error.frame.command, "ERROR");
  assertEquals(error.details, 'Access refused for user "guest"');
  assertEquals(errors, [error]);
  await eventually(() => broker.connections === 0);
});

Deno.test("StompClient.connect() rejects with StompConnectionError when the transport cannot open", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `tcp://127.0.0.1:${listener.addr.port}`;
  listener.close();
  const error = await assertRejects(
    () => StompClient.connectUrl(url),
    StompConnectionError,
    // The transport's sentence, said once (not "Cannot open transport:
    // Cannot connect to ...").
    `Cannot connect to "${url}": `,
  );
  assert(!error.message.includes("Cannot open transport"), error.message);
  assert(error.cause instanceof Error);
});

Deno.test("StompClient.connect() times out when CONNECTED never comes", async () => {
  const timers = new ManualTimers();
  let asked = false;
  await using server = scriptedServer(async (peer) => {
    assertEquals((await peer.next()).command, "CONNECT");
    asked = true;
    await peer.end(); // Never answers; waits for the client to give up.
  });
  const connecting = StompClient.connectUrl(server.url, {
    timers,
    connectTimeout: 3000,
  });
  connecting.catch(() => {});
  await eventually(() => asked);
  await timers.advance(2999);
  await timers.advance(1);
  await assertRejects(
    () => connecting,
    StompConnectionError,
    `No CONNECTED frame from "${server.url}" within 3000 ms: the connection opened, and the server sent nothing`,
  );
  await server.done;
});

Deno.test("StompClient.connect() stops when its signal aborts", async () => {
  const controller = new AbortController();
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    controller.abort(new Error("user gave up"));
    await peer.end();
  });
  const error = await assertRejects(
    () => StompClient.connectUrl(server.url, { signal: controller.signal }),
    StompConnectionError,
    "Connection attempt aborted",
  );
  assertEquals((error.cause as Error).message, "user gave up");
  await server.done;
});

Deno.test("StompClient.connect() gives up on a transport that takes too long to open, and closes it when it comes (mock transport function: opens late)", async () => {
  await using broker = StompTestBroker.listen();
  const timers = new ManualTimers();
  const release = Promise.withResolvers<void>();
  let late: StompTransport | undefined;
  const connecting = StompClient.connect(async () => {
    await release.promise;
    late = await connectTcp(broker.url);
    return late;
  }, { ...QUIET, timers, connectTimeout: 1000 });
  connecting.catch(() => {});
  await timers.advance(1000);
  await assertRejects(
    () => connecting,
    StompConnectionError,
    "Cannot connect within 1000 ms: the transport did not open",
  );
  release.resolve();
  await eventually(() => late !== undefined);
  // Closed as soon as it arrived: reading it ends at once.
  assertEquals(
    await within(new Response(late!.readable).text(), 2000, "read"),
    "",
  );
});

Deno.test("StompClient.connect() stops when its signal aborts while the transport opens (mock transport function: never opens)", async () => {
  const controller = new AbortController();
  const connecting = StompClient.connect(
    () => new Promise<never>(() => {}),
    { signal: controller.signal, connectTimeout: 0 },
  );
  controller.abort(new Error("not any more"));
  const error = await assertRejects(
    () => connecting,
    StompConnectionError,
    "Connection attempt aborted",
  );
  assertEquals((error.cause as Error).message, "not any more");
});

Deno.test("StompClient.connect() reports a protocol violation by the server (mock server: MESSAGE before CONNECTED)", async () => {
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(
      message("/queue/a", "x", { messageId: "1", subscription: "1" }),
    );
    await peer.end();
  });
  await assertRejects(
    () => StompClient.connectUrl(server.url),
    StompConnectionError,
    "Protocol violation: Unexpected MESSAGE frame (connecting)",
  );
});

Deno.test("StompClient fails with StompConnectionError on malformed bytes (mock server: garbage after CONNECTED)", async () => {
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(connected({ version: "1.2" }));
    assertEquals((await peer.next()).command, "SEND");
    await peer.send(new TextEncoder().encode("HELLO\n\n\0"));
    await peer.end();
  });
  const stomp = await StompClient.connectUrl(server.url, QUIET);
  await stomp.send("/queue/a", "x");
  const error = await assertRejects(
    () => within(stomp.closed, 2000, "closed"),
    StompConnectionError,
    "Cannot decode data from the server",
  );
  assertEquals((error.cause as Error).name, "StompSyntaxError");
  assertEquals(stomp.state, "closed");
});

Deno.test("StompClient.connectUrl() refuses a URL no transport speaks at once, saying what was meant", async () => {
  const cases: [string, string][] = [
    [
      "http://127.0.0.1:61613",
      'Cannot connect: unknown scheme "http:" in "http://127.0.0.1:61613" (expected one of tcp:, tls:, stomp:, stomp+ssl:, ws:, wss:)',
    ],
    [
      "127.0.0.1:61613",
      'Cannot connect: invalid URL "127.0.0.1:61613"; to connect over TCP, write "tcp://127.0.0.1:61613"',
    ],
    [
      "localhost:61613",
      'Cannot connect: unknown scheme "localhost:" in "localhost:61613" (expected one of tcp:, tls:, stomp:, stomp+ssl:, ws:, wss:); to connect over TCP, write "tcp://localhost:61613"',
    ],
  ];
  for (const [url, message] of cases) {
    // Even with reconnect: a wrong URL is not a connection to retry.
    const error = await assertRejects(
      () => StompClient.connectUrl(url, { reconnect: true }),
      TypeError,
    );
    assertEquals(error.message, message);
  }
});

Deno.test("StompClient.send() with a body that is neither text nor bytes rejects with a TypeError that says so", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  await assertRejects(
    () => stomp.send("/queue/a", { n: 1 } as unknown as string),
    TypeError,
    "a body must be a string (sent as UTF-8) or a Uint8Array, got an object (encode it first, e.g. JSON.stringify(body))",
  );
  // A File from an <input type="file"> is a Blob: JSON.stringify gives "{}".
  await assertRejects(
    () =>
      stomp.send(
        "/queue/a",
        new File(["photo"], "a.png") as unknown as Uint8Array,
      ),
    TypeError,
    "got a Blob (read it first: new Uint8Array(await blob.arrayBuffer()))",
  );
  await stomp.send("/queue/a", "still connected", { receipt: true });
});

Deno.test("StompClient.send() refuses a body over maxSendBodyBytes, and a consumer over its limit names the option to raise", async () => {
  await using broker = StompTestBroker.listen();
  await using producer = await client(broker, { maxSendBodyBytes: 1000 });
  const refused = await assertRejects(
    () => producer.send("/queue/big", "x".repeat(1001)),
    RangeError,
    'Cannot send to "/queue/big": the body is 1001 bytes, over maxSendBodyBytes (1000)',
  );
  assertMatch(refused.message, /decodeLimits\.maxBodyBytes/);
  // Counted in UTF-8: 400 × "é" is 800 bytes, 500 is 1000.
  await producer.send("/queue/big", "é".repeat(500), { receipt: true });
  await assertRejects(
    () => producer.send("/queue/big", new Uint8Array(1001)),
    RangeError,
  );
  assertEquals(broker.depth("/queue/big"), 1);
  // A consumer whose limit is below what a broker delivers is told how to
  // raise it.
  const errors: Error[] = [];
  await using consumer = await client(broker, {
    decodeLimits: { maxBodyBytes: 100 },
    onError: (error) => errors.push(error),
  });
  const subscription = await consumer.subscribe("/queue/big");
  const failed = await assertRejects(
    () => take(subscription[Symbol.asyncIterator](), 1),
    StompConnectionError,
  );
  assertMatch(
    failed.message,
    /exceeds the limit of 100 bytes.*\(raise it with the client option decodeLimits: \{ maxBodyBytes \}; a stomper sender's maxSendBodyBytes to match\)/,
  );
});

Deno.test("StompClient refuses invalid options", async () => {
  await using broker = StompTestBroker.listen();
  const transport = await connectTcp(broker.url);
  try {
    await assertRejects(
      () => StompClient.connect(transport, { reconnect: true }),
      TypeError,
      "reconnect needs a function that opens a new transport",
    );
    await assertRejects(
      () => StompClient.connect(transport, { heartBeatGrace: 0.5 }),
      RangeError,
      "heartBeatGrace must be at least 1",
    );
    await assertRejects(
      () => StompClient.connect(transport, { highWaterMark: 0 }),
      RangeError,
      "highWaterMark must be a positive integer",
    );
    await assertRejects(
      () => StompClient.connect({} as never),
      TypeError,
      "expected a transport",
    );
  } finally {
    transport.close();
  }
});

// --- sending and receipts ---------------------------------------------------

Deno.test("StompClient.send() with receipt resolves once the broker has the message", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  await stomp.send("/queue/a", "one", { receipt: true });
  assertEquals(broker.depth("/queue/a"), 1);
  await stomp.send("/queue/a", "two");
  await eventually(() => broker.depth("/queue/a") === 2);
});

Deno.test("StompClient.send() with receipt rejects with the matching ERROR, and the connection ends", async () => {
  await using broker = StompTestBroker.listen();
  const states: StompClientState[] = [];
  const errors: Error[] = [];
  const stomp = await client(broker, {
    onStateChange: (change) => states.push(change.state),
    onError: (error) => errors.push(error),
  });
  const error = await assertRejects(
    () => stomp.send("/nowhere/a", "x", { receipt: true }),
    StompServerError,
    "Unknown destination",
  );
  assertEquals(error.receiptId !== undefined, true);
  assertEquals(errors, [error]);
  const closedError = await assertRejects(
    () => stomp.closed,
    StompConnectionError,
    "Connection ended by an ERROR from the server: Unknown destination",
  );
  assertEquals(closedError.cause, error);
  assertEquals(states, ["connected", "closed"]);
  await assertRejects(
    () => stomp.send("/queue/a", "x"),
    StompConnectionError,
    "Cannot send: the client is closed",
  );
});

Deno.test("StompClient.send() with receipt rejects when the connection drops first (mock server: closes on SEND)", async () => {
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(connected({ version: "1.2" }));
    assertEquals((await peer.next()).command, "SEND");
  });
  const stomp = await StompClient.connectUrl(server.url, QUIET);
  await assertRejects(
    () => stomp.send("/queue/a", "x", { receipt: true }),
    StompConnectionError,
    "The server closed the connection",
  );
  await assertRejects(() => stomp.closed, StompConnectionError);
});

Deno.test("StompClient carries text, binary bodies and escaped headers in every version", async () => {
  await using broker = StompTestBroker.listen();
  const binary = new Uint8Array(256).map((_, i) => i);
  for (const version of ["1.2", "1.1", "1.0"] as StompVersion[]) {
    await using stomp = await client(broker, { acceptVersion: [version] });
    const subscription = await stomp.subscribe(`/queue/${version}`);
    const tricky = version === "1.0" ? "a:b\\c" : "a:b\nc\\d";
    await stomp.send(`/queue/${version}`, "héllo", {
      contentType: "text/plain;charset=utf-8",
      headers: { tricky },
      receipt: true,
    });
    await stomp.send(`/queue/${version}`, binary, { receipt: true });
    const [text, bytes] = await take(subscription[Symbol.asyncIterator](), 2);
    assertEquals(text!.text, "héllo");
    assertEquals(text!.headers.get("tricky"), tricky, version);
    assertEquals(text!.headers.get("content-type"), "text/plain;charset=utf-8");
    assertEquals(text!.destination, `/queue/${version}`);
    assert(text!.messageId !== undefined);
    assertEquals(bytes!.body, binary);
  }
});

Deno.test("StompClient.send() refuses a header STOMP 1.0 cannot carry, and stays connected", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker, { acceptVersion: ["1.0"] });
  await assertRejects(
    () => stomp.send("/queue/a", "x", { headers: { bad: "line\nbreak" } }),
    TypeError,
    "STOMP 1.0 cannot escape",
  );
  await stomp.send("/queue/a", "x", { receipt: true });
  assertEquals(stomp.state, "connected");
});

/**
 * A real TCP transport to `url` that records the size of every chunk
 * written, and says `coalesce` as asked.
 */
async function recording(
  url: string,
  coalesce: boolean,
): Promise<{ transport: StompTransport; chunks: Uint8Array[] }> {
  const inner = await connectTcp(url);
  const writer = inner.writable.getWriter();
  const chunks: Uint8Array[] = [];
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => {
      chunks.push(chunk.slice());
      return writer.write(chunk);
    },
  });
  const transport: StompTransport = {
    readable: inner.readable,
    writable,
    close: () => inner.close(),
    ...(coalesce ? { coalesce: true } : {}),
  };
  return { transport, chunks };
}

function framesIn(chunk: Uint8Array): StompFrame[] {
  const frames: StompFrame[] = [];
  const decoder = new StompDecoder();
  decoder.decode(chunk, (frame) => frames.push(frame));
  assertEquals(decoder.buffered, 0, "a chunk ends with a whole frame");
  return frames;
}

Deno.test("StompClient gathers sends issued together into few writes on a coalescing transport (TCP)", async () => {
  await using broker = StompTestBroker.listen();
  const { transport, chunks } = await recording(broker.url, true);
  const stomp = await StompClient.connect(transport, QUIET);
  const before = chunks.length;
  for (let i = 0; i < 500; i++) stomp.send("/queue/batch", `message ${i}`);
  await stomp.disconnect();
  const written = chunks.slice(before);
  const frames = written.flatMap(framesIn);
  assertEquals(frames.length, 501);
  assertEquals(frames.at(-1)!.command, "DISCONNECT");
  assertEquals(
    frames.slice(0, 500).map((frame) => frame.text),
    Array.from({ length: 500 }, (_, i) => `message ${i}`),
  );
  // 500 frames of about 60 bytes: one or two 64 KiB batches, not 500 writes.
  assertLessOrEqual(written.length, 4, `${written.length} writes`);
  assertEquals(broker.depth("/queue/batch"), 500);
});

Deno.test("StompClient writes one frame per chunk on a transport that keeps frame boundaries (WebSocket-like)", async () => {
  await using broker = StompTestBroker.listen();
  const { transport, chunks } = await recording(broker.url, false);
  const stomp = await StompClient.connect(transport, QUIET);
  const before = chunks.length;
  for (let i = 0; i < 200; i++) stomp.send("/queue/one", `message ${i}`);
  await stomp.disconnect();
  const written = chunks.slice(before);
  assertEquals(written.length, 201);
  for (const chunk of written) assertEquals(framesIn(chunk).length, 1);
  assertEquals(broker.depth("/queue/one"), 200);
});

for (const coalesce of [true, false]) {
  Deno.test(`StompClient writes mixed sends in call order with the bytes encodeFrame gives (${coalesce ? "TCP" : "WebSocket-like"})`, async () => {
    await using broker = StompTestBroker.listen();
    const { transport, chunks } = await recording(broker.url, coalesce);
    const stomp = await StompClient.connect(transport, QUIET);
    const before = chunks.length;
    // Plain frames go straight into the outgoing batch; the others (a header
    // to escape, a receipt, a transaction) take the general path between them.
    const calls: [string, StompBody, ClientSendOptions][] = [
      ["/queue/mixed", "plain 1", {}],
      ["/queue/mixed", "naïve ✓ 😀".repeat(100), { contentType: "text/plain" }],
      ["/queue/mixed", new Uint8Array([0, 1, 0, 255]), {
        headers: { persistent: "true" },
      }],
      ["/queue/mixed", "escaped header", { headers: { "x-key": "a:b" } }],
      ["/queue/mixed", "with receipt", { receipt: true }],
      ["/queue/mixed", "plain 2", {
        headers: [["x-count", "1"], ["x", "y"]],
      }],
      ["/queue/mixed", "", {}],
    ];
    const sent = calls.map(([destination, body, options]) =>
      stomp.send(destination, body, options)
    );
    const transaction = await stomp.begin();
    const inTransaction = transaction.send("/queue/mixed", "in transaction");
    stomp.send("/queue/mixed", "plain 3");
    await transaction.commit();
    await Promise.all([...sent, inTransaction]);
    await stomp.disconnect();
    const frames = chunks.slice(before).flatMap(framesIn);
    const sends = frames.filter((frame) => frame.command === "SEND");
    assertEquals(
      sends.map((frame) => frame.text),
      [
        ...calls.map(([, body]) =>
          typeof body === "string" ? body : "\0\x01\0\ufffd"
        ),
        "in transaction",
        "plain 3",
      ],
    );
    for (const [i, [destination, body, options]] of calls.entries()) {
      const frame = sends[i]!;
      if (options.receipt) continue; // its receipt id is the client's choice
      const expected = encodeFrame(
        send(destination, body, {
          ...(options.contentType ? { contentType: options.contentType } : {}),
          ...(options.headers ? { headers: options.headers } : {}),
        }),
      );
      assertEquals(encodeFrame(frame), expected, `send ${i}`);
    }
    assertEquals(frames.map((frame) => frame.command), [
      ...calls.map(() => "SEND"),
      "BEGIN",
      "SEND",
      "SEND",
      "COMMIT",
      "DISCONNECT",
    ]);
    if (!coalesce) {
      for (const chunk of chunks.slice(before)) {
        assertEquals(framesIn(chunk).length, 1);
      }
    }
    assertEquals(broker.depth("/queue/mixed"), calls.length + 2);
  });
}

Deno.test("StompClient.send() past sendBufferSize and before CONNECTED keeps text intact, with plain or escaped headers", async () => {
  await using broker = StompTestBroker.listen();
  const { transport, chunks } = await recording(broker.url, true);
  // Issued before the handshake is done: encoded only at their turn.
  const connecting = StompClient.connect(transport, {
    ...QUIET,
    sendBufferSize: 100,
  });
  const texts = ["naïve ✓ 😀", "x".repeat(300), "lone \ud800 surrogate", ""];
  const stomp = await connecting;
  const sent: Promise<void>[] = [];
  for (const text of texts) {
    sent.push(stomp.send("/queue/text", text));
    sent.push(stomp.send("/queue/text", text, { headers: { "x-k": "a:b" } }));
  }
  assertGreater(stomp.bufferedAmount, 100);
  await Promise.all(sent);
  await stomp.disconnect();
  const frames = chunks.flatMap(framesIn).filter((frame) =>
    frame.command === "SEND"
  );
  const expected = texts.flatMap((text) => [text, text]).map((text) =>
    new TextDecoder().decode(new TextEncoder().encode(text))
  );
  assertEquals(frames.map((frame) => frame.text), expected);
  assertEquals(
    frames.filter((frame) => frame.headers.get("x-k") === "a:b").length,
    texts.length,
  );
});

Deno.test("StompClient.send() past sendBufferSize fails alone at its turn when the version cannot carry a header, and tells onError", async () => {
  await using broker = StompTestBroker.listen();
  const errors: Error[] = [];
  await using stomp = await client(broker, {
    acceptVersion: ["1.0"],
    sendBufferSize: 10,
    onError: (error) => errors.push(error),
  });
  const before = stomp.send("/queue/v10", "before");
  const refused = stomp.send("/queue/v10", "x", { headers: { "x-k": "a\nb" } });
  const after = stomp.send("/queue/v10", "after");
  const error = await assertRejects(() => refused, TypeError, "contains LF");
  await Promise.all([before, after]);
  assertEquals(errors, [error]);
  await eventually(() => broker.depth("/queue/v10") === 2, 2000, "two sends");
});

Deno.test("StompClient.send() past sendBufferSize resolves only once written; bufferedAmount counts what waits", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker, { sendBufferSize: 1000 });
  const body = new Uint8Array(400);
  const accepted: number[] = [];
  const sends = [0, 1, 2, 3].map((i) =>
    stomp.send("/queue/full", body).then(() => accepted.push(i))
  );
  // Three frames fit below 1000 bytes: accepted at once, without a write.
  assertGreater(stomp.bufferedAmount, 1200);
  await Promise.resolve();
  assertEquals(accepted, [0, 1, 2]);
  await Promise.all(sends);
  assertEquals(accepted, [0, 1, 2, 3]);
  assertEquals(stomp.bufferedAmount, 0);
});

// --- subscriptions ----------------------------------------------------------

Deno.test("StompSubscription iterates messages and unsubscribe() ends the iteration", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/a", { receipt: true });
  const received: string[] = [];
  const consumer = (async () => {
    for await (const m of subscription) received.push(m.text);
  })();
  for (const body of ["1", "2", "3"]) await stomp.send("/queue/a", body);
  await eventually(() => received.length === 3);
  await subscription.unsubscribe({ receipt: true });
  await within(consumer, 2000, "consumer loop");
  assertEquals(received, ["1", "2", "3"]);
  assertEquals(subscription.active, false);
  await stomp.send("/queue/a", "4", { receipt: true });
  assertEquals(broker.depth("/queue/a"), 1);
});

Deno.test("StompSubscription has one reader: a second loop, or readable during a loop, says so", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/one-reader");
  const first = subscription[Symbol.asyncIterator]();
  const error = (() => {
    try {
      subscription[Symbol.asyncIterator]();
    } catch (error) {
      return error;
    }
    return undefined;
  })();
  assertInstanceOf(error, TypeError);
  assertMatch(
    error.message,
    /^Cannot read subscription "sub-\d+" to "\/queue\/one-reader" in a for-await loop: a for-await loop reads it already \(a subscription has one reader; to fan out/,
  );
  await assertRejects(
    () => subscription.readable.getReader().read(),
    TypeError,
    "through readable: a for-await loop reads it already",
  );
  await stomp.send("/queue/one-reader", "still flows");
  assertEquals((await first.next()).value?.text, "still flows");
  await first.return!();
  assertEquals(subscription.active, false);
});

Deno.test("StompSubscription refuses a for-await loop while its readable is locked", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/locked");
  const reader = subscription.readable.getReader();
  const error = (() => {
    try {
      subscription[Symbol.asyncIterator]();
    } catch (error) {
      return error;
    }
    return undefined;
  })();
  assertInstanceOf(error, TypeError);
  assertMatch(
    error.message,
    /in a for-await loop: its readable reads it already/,
  );
  await stomp.send("/queue/locked", "via the stream");
  assertEquals((await reader.read()).value?.text, "via the stream");
  await reader.cancel();
});

Deno.test("StompSubscription unsubscribes when a for-await loop breaks", async () => {
  const seen: string[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => seen.push(frame.command),
  });
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/a");
  await stomp.send("/queue/a", "x");
  for await (const m of subscription) {
    assertEquals(m.text, "x");
    break;
  }
  assertEquals(subscription.active, false);
  await eventually(() => seen.includes("UNSUBSCRIBE"));
});

Deno.test("StompSubscription.readable delivers messages and cancelling it unsubscribes", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/topic/t");
  await stomp.send("/topic/t", "a");
  const reader = subscription.readable.getReader();
  const { value } = await within(reader.read(), 2000, "read");
  assertEquals(value?.text, "a");
  await reader.cancel();
  assertEquals(subscription.active, false);
});

Deno.test("StompMessage.ack() and nack() in client-individual mode: NACK redelivers, ACK settles", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/a", {
    ack: "client-individual",
  });
  const iterator = subscription[Symbol.asyncIterator]();
  await stomp.send("/queue/a", "x");
  const [first] = await take(iterator, 1);
  assertEquals(first!.needsAck, true);
  await first!.nack({ receipt: true });
  const [again] = await take(iterator, 1);
  assertEquals(again!.text, "x");
  assertEquals(again!.headers.get("redelivered"), "true");
  await again!.ack({ receipt: true });
  assertEquals(broker.unacknowledged("/queue/a"), 0);
  assertEquals(broker.depth("/queue/a"), 0);
});

Deno.test("StompMessage.ack() refuses a second acknowledgement", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/a", { ack: "client" });
  await stomp.send("/queue/a", "x");
  const [m] = await take(subscription[Symbol.asyncIterator](), 1);
  await m!.ack({ receipt: true });
  await assertRejects(() => m!.ack(), TypeError, "acknowledged already");
  await assertRejects(() => m!.nack(), TypeError, "acknowledged already");
  assertEquals(stomp.state, "connected");
});

Deno.test("StompMessage.ack() in client mode acknowledges earlier messages too", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/a", { ack: "client" });
  for (const body of ["1", "2", "3"]) await stomp.send("/queue/a", body);
  const messages = await take(subscription[Symbol.asyncIterator](), 3);
  assertEquals(broker.unacknowledged("/queue/a"), 3);
  await messages[1]!.ack({ receipt: true });
  assertEquals(broker.unacknowledged("/queue/a"), 1);
});

Deno.test("StompMessage.ack() rejects in auto mode", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/a");
  await stomp.send("/queue/a", "x");
  const [m] = await take(subscription[Symbol.asyncIterator](), 1);
  assertEquals(m!.needsAck, false);
  await assertRejects(() => m!.ack(), TypeError, 'is in "auto" mode');
});

Deno.test("StompMessage acknowledgements use the form of the negotiated version", async () => {
  for (const version of ["1.0", "1.1", "1.2"] as const) {
    const acks: StompFrame[] = [];
    await using broker = StompTestBroker.listen({
      onFrame: (frame) => {
        if (frame.command === "ACK") acks.push(frame);
      },
    });
    await using stomp = await client(broker, { acceptVersion: [version] });
    const subscription = await stomp.subscribe("/queue/a", {
      ack: "client-individual",
    });
    await stomp.send("/queue/a", "x");
    const [m] = await take(subscription[Symbol.asyncIterator](), 1);
    if (version === "1.0") {
      await assertRejects(() => m!.nack(), TypeError, "NACK needs STOMP 1.1");
    }
    await m!.ack({ receipt: true });
    assertEquals(broker.unacknowledged("/queue/a"), 0, version);
    const names = [...acks[0]!.headers].map(([name]) => name);
    assertEquals(
      names,
      {
        "1.0": ["message-id", "receipt"],
        "1.1": ["message-id", "subscription", "receipt"],
        "1.2": ["id", "receipt"],
      }[version],
    );
  }
});

Deno.test("StompMessage.ack() and nack() without a receipt escape ids with ':' and '\\' for the version (mock server: ActiveMQ-style ids)", async () => {
  for (const version of ["1.1", "1.2"] as const) {
    const id = "ID:vm-1\\x:1:1";
    await using server = scriptedServer(async (peer) => {
      assertEquals((await peer.next()).command, "CONNECT");
      peer.version = version;
      await peer.send(connected({ version, heartBeat: [0, 0] }));
      const subscribe = await peer.next();
      await peer.send(receipt(subscribe.headers.get("receipt")!));
      for (const n of [1, 2]) {
        await peer.send(message("/queue/a", "x", {
          messageId: `${id}-${n}`,
          subscription: subscribe.headers.get("id")!,
          ack: `${id}-${n}`,
        }));
      }
      const settled = [await peer.next(), await peer.next()];
      assertEquals(settled.map((frame) => frame.command), ["ACK", "NACK"]);
      const key = version === "1.2" ? "id" : "message-id";
      assertEquals(
        settled.map((frame) => frame.headers.get(key)),
        [`${id}-1`, `${id}-2`],
        version,
      );
      if (version === "1.1") {
        assertEquals(
          settled[0]!.headers.get("subscription"),
          subscribe.headers.get("id"),
        );
      }
      const disconnect = await peer.next();
      await peer.send(receipt(disconnect.headers.get("receipt")!));
    });
    const stomp = await StompClient.connectUrl(server.url, QUIET);
    const subscription = await stomp.subscribe("/queue/a", {
      ack: "client-individual",
    });
    const [first, second] = await take(subscription[Symbol.asyncIterator](), 2);
    first!.ack();
    second!.nack();
    await stomp.disconnect();
    await server.done;
  }
});

// --- transactions -----------------------------------------------------------

Deno.test("StompTransaction: commit delivers, abort does not", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/tx");
  const aborted = await stomp.begin({ receipt: true });
  await aborted.send("/queue/tx", "never");
  await aborted.abort({ receipt: true });
  assertEquals(aborted.state, "aborted");
  const committed = await stomp.begin();
  await committed.send("/queue/tx", "kept", { contentType: "text/plain" });
  await committed.commit({ receipt: true });
  assertEquals(committed.state, "committed");
  const [m] = await take(subscription[Symbol.asyncIterator](), 1);
  assertEquals(m!.text, "kept");
  await assertRejects(
    () => committed.send("/queue/tx", "late"),
    TypeError,
    'Cannot send in transaction "tx-2": it was committed already',
  );
});

Deno.test("StompTransaction.abort() undoes its acknowledgements", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/a", {
    ack: "client-individual",
  });
  await stomp.send("/queue/a", "x");
  const [m] = await take(subscription[Symbol.asyncIterator](), 1);
  {
    await using transaction = await stomp.begin();
    await transaction.ack(m!);
    // Disposed while active: aborted, the ACK undone.
  }
  await stomp.send("/queue/sync", "", { receipt: true });
  assertEquals(broker.unacknowledged("/queue/a"), 1);
  const transaction = await stomp.begin();
  await transaction.ack(m!);
  await transaction.commit({ receipt: true });
  assertEquals(broker.unacknowledged("/queue/a"), 0);
});

// --- backpressure -----------------------------------------------------------

Deno.test("StompSubscription buffers at most highWaterMark messages and TCP holds back the rest", async () => {
  await using broker = StompTestBroker.listen();
  await using producer = await client(broker);
  const total = 1500;
  const body = new Uint8Array(16 * 1024).fill(0x61);
  for (let i = 0; i < total; i++) {
    await producer.send("/queue/big", body, { headers: { n: String(i) } });
  }
  await producer.send("/queue/sync", "", { receipt: true });
  assertEquals(broker.depth("/queue/big"), total);

  await using consumer = await client(broker);
  const subscription = await consumer.subscribe("/queue/big", {
    highWaterMark: 4,
  });
  // Nobody reads: let the sockets fill up.
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Buffered: at most the mark plus one read's worth (64 KiB = 4 messages).
  assertLessOrEqual(subscription.buffered, 4 + 4);
  // Most messages are still in the broker: 24 MiB did not go anywhere.
  assertGreater(broker.depth("/queue/big"), total / 2);

  let next = 0;
  for await (const m of subscription) {
    assertEquals(m.headers.get("n"), String(next++));
    assertLessOrEqual(subscription.buffered, 8);
    if (next === total) break;
  }
  assertEquals(broker.depth("/queue/big"), 0);
});

Deno.test("StompClient keeps other subscriptions flowing when prefetch-count caps a slow one", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  const slow = await stomp.subscribe("/queue/slow", {
    ack: "client-individual",
    highWaterMark: 5,
    headers: { "prefetch-count": "4" },
  });
  const fast = await stomp.subscribe("/queue/fast");
  for (let i = 0; i < 50; i++) await stomp.send("/queue/slow", `s${i}`);
  await within(stomp.send("/queue/fast", "f", { receipt: true }), 2000, "send");
  // The slow subscription is never read, yet the fast one gets its message.
  const [m] = await take(fast[Symbol.asyncIterator](), 1);
  assertEquals(m!.text, "f");
  assertEquals(slow.buffered, 4);
  assertEquals(broker.unacknowledged("/queue/slow"), 4);
  assertEquals(broker.depth("/queue/slow"), 46);
});

// --- heart-beats ------------------------------------------------------------

Deno.test("StompClient sends heart-beats when the link is idle", async () => {
  const timers = new ManualTimers();
  await using broker = StompTestBroker.listen({ heartBeat: [0, 1000] });
  await using stomp = await client(broker, {
    heartBeat: [1000, 0],
    timers,
  });
  assertEquals(stomp.heartBeat, { send: 1000, receive: 0 });
  await timers.advance(5000);
  // Sent after 800 ms of idleness: at 800, 1600, ..., 4800 ms.
  await eventually(() => broker.heartbeatsReceived === 6);
  // A frame counts as traffic: no heart-beat is due 700 ms after it.
  await timers.advance(500);
  await stomp.send("/queue/a", "x", { receipt: true });
  await timers.advance(700);
  await stomp.send("/queue/sync", "", { receipt: true });
  assertEquals(broker.heartbeatsReceived, 6);
});

Deno.test("StompClient detects a silent server within interval × grace and fails pending work", async () => {
  const timers = new ManualTimers();
  await using broker = StompTestBroker.listen({ heartBeat: [1000, 0] });
  await using relay = ChaosRelay.start({ port: broker.port });
  const states: StompClientState[] = [];
  const stomp = await StompClient.connectUrl(relay.url, {
    heartBeat: [0, 1000],
    heartBeatGrace: 2,
    timers,
    onStateChange: (change) => states.push(change.state),
  });
  assertEquals(stomp.heartBeat, { send: 0, receive: 1000 });
  const subscription = await stomp.subscribe("/queue/a");
  relay.silence("toClient");
  const pending = stomp.send("/queue/a", "lost?", { receipt: true });
  pending.catch(() => {});
  const consumer = (async () => {
    for await (const _ of subscription) { /* nothing arrives */ }
  })();
  consumer.catch(() => {});
  await timers.advance(1999);
  assertEquals(stomp.state, "connected");
  await timers.advance(1);
  assertEquals(stomp.state, "closed");
  const error = await assertRejects(() => pending, StompConnectionError);
  assertMatch(
    error.message,
    /^Server silent for 2000 ms: heart-beats were due every 1000 ms \(grace 2, limit 2000 ms\)$/,
  );
  await assertRejects(() => consumer, StompConnectionError, "Server silent");
  await assertRejects(
    () => stomp.closed,
    StompConnectionError,
    "Server silent",
  );
  assertEquals(states, ["connected", "closed"]);
});

Deno.test("StompClient stays connected while the server's heart-beats flow, and notices when they stop (real time)", async () => {
  await using broker = StompTestBroker.listen({ heartBeat: [50, 50] });
  await using relay = ChaosRelay.start({ port: broker.port });
  const stomp = await StompClient.connectUrl(relay.url, {
    heartBeat: [50, 50],
    heartBeatGrace: 2,
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assertEquals(stomp.state, "connected");
  const silencedAt = performance.now();
  relay.silence("toClient");
  await assertRejects(
    () => within(stomp.closed, 2000, "silence detection"),
    StompConnectionError,
    "Server silent",
  );
  const detectedAfter = performance.now() - silencedAt;
  // Within 2 × 50 ms of the last byte, plus timer slack.
  assertLessOrEqual(detectedAfter, 300);
});

// --- disconnecting ----------------------------------------------------------

Deno.test("StompClient.disconnect() waits for the RECEIPT, then ends subscriptions cleanly", async () => {
  const seen: string[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => seen.push(frame.command),
  });
  const stomp = await client(broker);
  const subscription = await stomp.subscribe("/queue/a");
  const consumer = (async () => {
    let n = 0;
    for await (const _ of subscription) n++;
    return n;
  })();
  await stomp.send("/queue/a", "x");
  await stomp.disconnect();
  assertEquals(stomp.state, "closed");
  assertEquals(seen.at(-1), "DISCONNECT");
  assertEquals(await within(consumer, 2000, "consumer"), 1);
  await stomp.closed;
  await stomp.disconnect(); // Again: nothing to do.
  await eventually(() => broker.connections === 0);
});

Deno.test("StompClient.disconnect() counts a server that closes instead of answering as done (mock server, as Web-STOMP does)", async () => {
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(connected({ version: "1.2" }));
    assertEquals((await peer.next()).command, "DISCONNECT");
  });
  const stomp = await StompClient.connectUrl(server.url, QUIET);
  await within(stomp.disconnect(), 2000, "disconnect");
  assertEquals(stomp.state, "closed");
  await stomp.closed;
});

Deno.test("StompClient.disconnect() gives up after its timeout and closes anyway (mock server: never answers)", async () => {
  const timers = new ManualTimers();
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(connected({ version: "1.2" }));
    await peer.next();
    await peer.end();
  });
  const stomp = await StompClient.connectUrl(server.url, {
    ...QUIET,
    timers,
    disconnectTimeout: 1500,
  });
  const disconnecting = stomp.disconnect();
  disconnecting.catch(() => {});
  await eventually(() => timers.pending > 0);
  await timers.advance(1500);
  const timeout = await assertRejects(
    () => disconnecting,
    StompTimeoutError,
    "No RECEIPT for DISCONNECT within 1500 ms",
  );
  assertEquals(timeout.timeout, 1500);
  assertEquals(stomp.state, "closed");
});

Deno.test("StompClient.close() fails pending receipts and resolves closed", async () => {
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(connected({ version: "1.2" }));
    await peer.end();
  });
  const stomp = await StompClient.connectUrl(server.url, QUIET);
  const pending = stomp.send("/queue/a", "x", { receipt: true });
  pending.catch(() => {});
  await eventually(() => true);
  stomp.close();
  await assertRejects(
    () => pending,
    StompConnectionError,
    "The client was closed",
  );
  await stomp.closed;
});

// --- reconnecting -----------------------------------------------------------

Deno.test("StompClient reconnects after the broker drops it, restores subscriptions and loses nothing", async () => {
  await using broker = StompTestBroker.listen();
  const states: StompClientState[] = [];
  await using stomp = await client(broker, {
    reconnect: { initialDelay: 10, jitter: 0 },
    onStateChange: (change) => states.push(change.state),
  });
  const subscription = await stomp.subscribe("/queue/work", {
    ack: "client-individual",
  });
  const iterator = subscription[Symbol.asyncIterator]();
  for (const body of ["1", "2"]) {
    await stomp.send("/queue/work", body, { receipt: true });
  }
  const [one] = await take(iterator, 1);
  await one!.ack({ receipt: true });
  const [two] = await take(iterator, 1);
  assertEquals(two!.text, "2");

  assertEquals(broker.dropConnections(), 1);
  await eventually(() => states.includes("reconnecting"));
  // Sent while reconnecting: waits for the new connection.
  await within(stomp.send("/queue/work", "3", { receipt: true }), 3000, "send");
  assertEquals(states, ["connected", "reconnecting", "connected"]);
  // "2" was never acknowledged: the broker delivers it again.
  await assertRejects(
    () => two!.ack(),
    StompConnectionError,
    "arrived on a connection that was lost",
  );
  const after = await take(iterator, 2);
  assertEquals(after.map((m) => m.text), ["2", "3"]);
  assertEquals(after[0]!.headers.get("redelivered"), "true");
  for (const m of after) await m.ack({ receipt: true });
  assertEquals(broker.unacknowledged("/queue/work"), 0);
  assertEquals(broker.depth("/queue/work"), 0);
});

Deno.test("StompClient gives up reconnecting after its retries and fails subscriptions", async () => {
  const broker = StompTestBroker.listen();
  const attempts: number[] = [];
  const stomp = await client(broker, {
    reconnect: {
      retries: 2,
      initialDelay: 5,
      onFailedAttempt: (_, attempt) => attempts.push(attempt),
    },
  });
  const subscription = await stomp.subscribe("/queue/a");
  const consumer = (async () => {
    for await (const _ of subscription) { /* none */ }
  })();
  consumer.catch(() => {});
  await broker.close();
  const error = await assertRejects(
    () => within(stomp.closed, 3000, "closed"),
    StompConnectionError,
    "Cannot reconnect: gave up after 2 retries",
  );
  assertInstanceOf(error.cause, StompConnectionError);
  assertEquals(attempts, [1, 2]);
  await assertRejects(() => consumer, StompConnectionError, "gave up");
});

Deno.test("StompClient backs off exponentially with jitter between reconnection attempts", async () => {
  await using broker = StompTestBroker.listen();
  const timers = new ManualTimers();
  const opened: number[] = [];
  let first = true;
  const stomp = await StompClient.connect(() => {
    opened.push(timers.now());
    if (first) {
      first = false;
      return connectTcp(broker.url);
    }
    throw new Error("broker unreachable");
  }, {
    ...QUIET,
    timers,
    reconnect: {
      retries: 4,
      initialDelay: 100,
      factor: 3,
      maxDelay: 1000,
      jitter: 0.5,
      random: () => 1,
    },
  });
  broker.dropConnections();
  await eventually(() => stomp.state === "reconnecting");
  await timers.advance(5000);
  // Waits of 100, 300, 900, 1000 (capped), each halved by the jitter.
  assertEquals(opened, [0, 50, 200, 650, 1150]);
  await assertRejects(
    () => stomp.closed,
    StompConnectionError,
    "gave up after 4",
  );
});

Deno.test("StompClient reconnects after a server ERROR", async () => {
  await using broker = StompTestBroker.listen();
  const errors: string[] = [];
  await using stomp = await client(broker, {
    reconnect: { initialDelay: 5 },
    onError: (error) => errors.push(error.message),
  });
  const subscription = await stomp.subscribe("/topic/t");
  await assertRejects(
    () => stomp.send("/bad/x", "x", { receipt: true }),
    StompServerError,
  );
  await stomp.send("/topic/t", "after", { receipt: true });
  const [m] = await take(subscription[Symbol.asyncIterator](), 1);
  assertEquals(m!.text, "after");
  assertEquals(errors, [
    'Unknown destination: Destinations start with /queue/, /temp-queue/ or /topic/, got "/bad/x"',
  ]);
});

// --- WebSocket ---------------------------------------------------------------

Deno.test("StompClient works over WebSocket with the test broker", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  await using stomp = await StompClient.connectUrl(broker.webSocketUrl!, QUIET);
  const subscription = await stomp.subscribe("/queue/ws");
  const bytes = new Uint8Array([0, 1, 2, 0, 255]);
  await stomp.send("/queue/ws", bytes, { receipt: true });
  const [m] = await take(subscription[Symbol.asyncIterator](), 1);
  assertEquals(m!.body, bytes);
});

Deno.test("StompClient drops messages for a subscription it already cancelled (mock server: MESSAGE after UNSUBSCRIBE)", async () => {
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(connected({ version: "1.2" }));
    const sub = await peer.next();
    const unsub = await peer.next();
    assertEquals(unsub.command, "UNSUBSCRIBE");
    await peer.send(message("/queue/a", "late", {
      messageId: "1",
      subscription: sub.headers.get("id")!,
    }));
    const sent = await peer.next();
    await peer.send(receipt(sent.headers.get("receipt")!));
    await peer.next();
  });
  const stomp = await StompClient.connectUrl(server.url, QUIET);
  const subscription = await stomp.subscribe("/queue/a");
  await subscription.unsubscribe();
  await stomp.send("/queue/b", "x", { receipt: true });
  assertEquals(subscription.buffered, 0);
  assertEquals(stomp.state, "connected");
  stomp.close();
  await stomp.closed;
});

Deno.test("StompSubscription refuses a bad highWaterMark", async () => {
  await using broker = StompTestBroker.listen();
  await using stomp = await client(broker);
  await assertRejects(
    () => stomp.subscribe("/queue/a", { highWaterMark: 1.5 }),
    RangeError,
    "highWaterMark must be a positive integer",
  );
});

Deno.test("StompClient says when the server closed the connection in the middle of a frame", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  const client = await StompClient.connectUrl(
    `tcp://127.0.0.1:${relay.port}`,
    QUIET,
  );
  const inbox = await client.subscribe("/queue/cut", { receipt: true });
  const cut = relay.cutAfter(100);
  await using sender = await StompClient.connectUrl(broker.url, QUIET);
  await sender.send("/queue/cut", "x".repeat(5000), { receipt: true });
  await within(cut, 5000, "cut");
  await assertRejects(
    () => within(client.closed, 5000, "closed"),
    StompConnectionError,
    "The server closed the connection in the middle of a frame",
  );
  assertEquals(inbox.active, false);
});

Deno.test("StompClient's state tells the loss already where an operation it failed resumes", async () => {
  await using broker = StompTestBroker.listen();
  // The state seen by the first callback of the rejected operation.
  const stateWhenRejected = (client: StompClient, destination: string) =>
    client.send(destination, "x", { receipt: true }).then(
      () => "resolved",
      (error) => `${error.name} ${client.state}`,
    );
  const once = await StompClient.connectUrl(broker.url, QUIET);
  assertEquals(
    await stateWhenRejected(once, "/bad/x"),
    "StompServerError closed",
  );
  await assertRejects(() => once.closed, StompConnectionError);
  await once.disconnect(); // nothing left to do, and no rejection

  const again = await StompClient.connectUrl(broker.url, {
    ...QUIET,
    reconnect: { initialDelay: 10 },
  });
  assertEquals(
    await stateWhenRejected(again, "/bad/y"),
    "StompServerError reconnecting",
  );
  await again.disconnect();
});
