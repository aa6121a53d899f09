// The trace hook: exact traces of known exchanges with the test broker and
// scripted servers over loopback TCP, redaction, heart-beats both ways, a
// hook that throws; and the decoder offset it measures incoming frames by.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import {
  connected,
  type DecodeOptions,
  StompDecoder,
  StompFrame,
} from "@stomper/stomp";
import {
  formatTraceEvent,
  redactFrame,
  StompCallbackError,
  StompClient,
  type StompClientOptions,
  type StompTraceEvent,
  traceLogger,
} from "@stomper/stomp/client";
import { ManualTimers, StompTestBroker } from "@stomper/stomp/testing";
import { bytes } from "./_decode.ts";
import { eventually, prng, within } from "./_helpers.ts";
import { ChaosRelay } from "./_chaos.ts";
import { scriptedServer } from "./_peer.ts";

/** Each frame (F) or heart-beat (H) with its size by `offset`, per chunking. */
function measure(
  input: Uint8Array,
  lengths: Iterable<number>,
  options: DecodeOptions = {},
): string[] {
  const events: string[] = [];
  let mark = 0;
  const at = (kind: string) => {
    events.push(`${kind}${decoder.offset - mark}`);
    mark = decoder.offset;
  };
  const decoder = new StompDecoder({ ...options, onHeartbeat: () => at("H") });
  let from = 0;
  for (const length of lengths) {
    if (from >= input.length) break;
    decoder.decode(input.subarray(from, from + length), () => at("F"));
    from += length;
  }
  if (from < input.length) decoder.decode(input.subarray(from), () => at("F"));
  decoder.end();
  assertEquals(decoder.offset, input.length, "offset after the last chunk");
  return events;
}

function* repeat(length: number): Generator<number> {
  while (true) yield length;
}

function* random(seed: number, max: number): Generator<number> {
  const next = prng(seed);
  while (true) yield 1 + Math.floor(next() * max);
}

Deno.test("StompDecoder.offset gives each frame's and heart-beat's size whole, byte by byte and with random splits", () => {
  const input = bytes(
    "\n" + // heart-beat
      "MESSAGE\ndestination:/q\ncontent-length:5\n\nhel\0o\0" + // 47
      "\r\n" + // CR LF heart-beat
      "RECEIPT\r\nreceipt-id:7\r\n\r\n\0" + // 26, CR LF lines
      "\n\n" +
      "MESSAGE\nd:\\n\n\n" + "x".repeat(300) + "\0" + // 315, body to NUL
      "ERROR\n\n\0",
  );
  const expected = ["H1", "F47", "H2", "F26", "H1", "H1", "F315", "F8"];
  for (const options of [{}, { bodyChunks: true }]) {
    assertEquals(measure(input, [], options), expected, "whole");
    assertEquals(measure(input, repeat(1), options), expected, "byte by byte");
    for (let seed = 1; seed <= 12; seed++) {
      const max = [2, 3, 7, 16, 64, 1000][seed % 6]!;
      assertEquals(
        measure(input, random(seed, max), options),
        expected,
        `random splits, seed ${seed}, chunks of 1 to ${max} bytes`,
      );
    }
  }
});

Deno.test("StompDecoder.offset counts every byte of the stream across calls", () => {
  const decoder = new StompDecoder();
  assertEquals(decoder.offset, 0);
  decoder.push(bytes("RECEIPT\nrece"));
  assertEquals(decoder.offset, 12);
  let inside = -1;
  decoder.decode(bytes("ipt-id:1\n\n\0\n\n"), () => inside = decoder.offset);
  assertEquals(inside, 23);
  assertEquals(decoder.offset, 25);
});

/** A trace hook that keeps the events and the lines. */
function recorder(): {
  events: StompTraceEvent[];
  lines: string[];
  trace: (event: StompTraceEvent) => void;
} {
  const events: StompTraceEvent[] = [];
  const lines: string[] = [];
  const log = traceLogger((line) => lines.push(line));
  return {
    events,
    lines,
    trace: (event) => {
      events.push(event);
      log(event);
    },
  };
}

function total(events: StompTraceEvent[], direction: "in" | "out"): number {
  return events.filter((e) => e.direction === direction)
    .reduce((sum, e) => sum + e.bytes, 0);
}

Deno.test("StompClient trace of a known exchange with the test broker is exact and redacts the passcode", async () => {
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "s3cret",
    // No EOL after each frame, which the trace would show as a heart-beat.
    eolAfterFrame: false,
  });
  // The relay counts the bytes that reach the broker.
  await using relay = ChaosRelay.start({ port: broker.port });
  const { events, lines, trace } = recorder();
  const client = await StompClient.connectUrl(
    `tcp://guest:s3cret@127.0.0.1:${relay.port}`,
    { heartBeat: [0, 0], trace },
  );
  const subscription = await client.subscribe("/queue/trace", {
    ack: "client-individual",
    receipt: true,
  });
  await client.send("/queue/trace", "hello");
  for await (const message of subscription) {
    await message.ack();
    break;
  }
  await client.disconnect();
  assertEquals(lines, [
    ">>> CONNECT accept-version:1.0,1.1,1.2 host:/ login:guest passcode:*** heart-beat:0,0 (87 B)",
    "<<< CONNECTED version:1.2 heart-beat:1000,1000 session:c1 server:stomper-test-broker (83 B)",
    ">>> SUBSCRIBE id:sub-1 destination:/queue/trace ack:client-individual receipt:r-1 (80 B)",
    "<<< RECEIPT receipt-id:r-1 (25 B)",
    '>>> SEND destination:/queue/trace content-length:5 body:"hello" (54 B)',
    '<<< MESSAGE destination:/queue/trace message-id:m-1 subscription:sub-1 ack:c1-1 content-length:5 body:"hello" (100 B)',
    ">>> ACK id:c1-1 (14 B)",
    ">>> UNSUBSCRIBE id:sub-1 (23 B)",
    ">>> DISCONNECT receipt:r-2 (25 B)",
    "<<< RECEIPT receipt-id:r-2 (25 B)",
  ]);
  assert(!lines.join("\n").includes("s3cret"));
  assertEquals(events.map((e) => e.connection), events.map(() => 1));
  // 87 is what CONNECT takes with the real passcode, 6 bytes of "s3cret".
  assertEquals(
    87,
    "CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:guest\npasscode:s3cret\nheart-beat:0,0\n\n\0"
      .length,
  );
  await eventually(() => relay.bytes("toServer") === total(events, "out"));
  assertEquals(client.stats.bytesOut, total(events, "out"));
  assertEquals(client.stats.bytesIn, total(events, "in"));
});

Deno.test("StompClient trace shows the frames of one batched write one by one", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  const { events, trace } = recorder();
  const client = await StompClient.connectUrl(relay.url, {
    heartBeat: [0, 0],
    trace,
  });
  // Issued in one turn: one write of three frames.
  const sent = [1, 2, 3].map((n) => client.send("/queue/batch", `m${n}`));
  await Promise.all(sent);
  await client.disconnect();
  const sends = events.filter((e) => e.frame?.command === "SEND");
  assertEquals(sends.map((e) => e.frame?.text), ["m1", "m2", "m3"]);
  const size =
    "SEND\ndestination:/queue/batch\ncontent-length:2\n\nm1\0".length;
  assertEquals(sends.map((e) => e.bytes), [size, size, size]);
  assertEquals(client.stats.framesOut, 5);
  await eventually(() => relay.bytes("toServer") === total(events, "out"));
  assertEquals(client.stats.bytesOut, relay.bytes("toServer"));
});

Deno.test("StompClient trace redacts secret headers both ways, and sends and delivers them as they are", async () => {
  const received: StompFrame[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => received.push(frame),
  });
  const { events, lines, trace } = recorder();
  await using client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
    trace,
  });
  const subscription = await client.subscribe("/queue/secrets", {
    receipt: true,
  });
  const secrets = {
    "Authorization": "Bearer abc",
    "x-api-key": "k-1",
    "X-Auth-Token": "t-1",
    "db-password": "p-1",
    "x-kind": "plain",
  };
  await client.send("/queue/secrets", "body stays", { headers: secrets });
  let delivered: StompFrame | undefined;
  for await (const message of subscription) {
    delivered = message.frame;
    break;
  }
  const sent = received.find((frame) => frame.command === "SEND")!;
  for (const [name, value] of Object.entries(secrets)) {
    assertEquals(sent.headers.get(name), value);
    assertEquals(delivered?.headers.get(name), value);
  }
  for (const command of ["SEND", "MESSAGE"]) {
    const traced = events.find((e) => e.frame?.command === command)!.frame!;
    assertEquals(traced.headers.get("Authorization"), "***");
    assertEquals(traced.headers.get("x-api-key"), "***");
    assertEquals(traced.headers.get("X-Auth-Token"), "***");
    assertEquals(traced.headers.get("db-password"), "***");
    assertEquals(traced.headers.get("x-kind"), "plain");
    assertEquals(traced.text, "body stays");
  }
  for (const value of ["abc", "k-1", "t-1", "p-1"]) {
    assert(!lines.join("\n").includes(value), value);
  }
});

Deno.test("redactFrame keeps a frame without secrets, and copies one with them", () => {
  const plain = new StompFrame("SEND", { destination: "/q", "x-id": "1" });
  assertStrictEquals(redactFrame(plain), plain);
  const body = bytes("b");
  const secret = new StompFrame("CONNECT", {
    login: "u",
    PassCode: "p",
    "client-secret": "s",
    cookie: "c",
    "my_credentials": "x",
    apikey: "k",
  }, body);
  const shown = redactFrame(secret);
  assertEquals([...shown.headers], [
    ["login", "u"],
    ["PassCode", "***"],
    ["client-secret", "***"],
    ["cookie", "***"],
    ["my_credentials", "***"],
    ["apikey", "***"],
  ]);
  assertStrictEquals(shown.body, body);
  assertEquals(secret.headers.get("PassCode"), "p");
});

Deno.test("formatTraceEvent escapes control characters and shortens long bodies", () => {
  const frame = new StompFrame(
    "MESSAGE",
    { "x-line": "a\nb\\c" },
    "y".repeat(40),
  );
  assertEquals(
    formatTraceEvent({ direction: "in", frame, bytes: 70, connection: 2 }),
    `<<< MESSAGE x-line:a\\nb\\\\c body:"${"y".repeat(32)}"... (70 B)`,
  );
  const binary = new StompFrame("MESSAGE", {}, new Uint8Array([0, 0xff]));
  assertEquals(
    formatTraceEvent({
      direction: "in",
      frame: binary,
      bytes: 12,
      connection: 1,
    }),
    '<<< MESSAGE body:"\\u0000\ufffd" (12 B)',
  );
});

Deno.test("StompClient trace shows heart-beats in (LF, CR LF) and out with their sizes", async () => {
  const timers = new ManualTimers();
  await using server = scriptedServer(async (peer) => {
    await peer.next(); // CONNECT
    await peer.send(connected({ version: "1.2", heartBeat: [1000, 1000] }));
    await peer.send(bytes("\n"));
    await peer.send(bytes("\r\n"));
    await peer.send(bytes("RECEIPT\nreceipt-id:77\n\n\0\n"));
    // The client's heart-beat, then the end of the script.
    await eventually(() => peer.heartbeats > 0);
  });
  const { events, lines, trace } = recorder();
  const options: StompClientOptions = {
    heartBeat: [1000, 0],
    timers,
    trace,
  };
  const client = await StompClient.connectUrl(server.url, options);
  await eventually(() => lines.length >= 6);
  await timers.advance(800);
  await within(server.done, 2000, "the script");
  client.close();
  assertEquals(lines.slice(1), [
    "<<< CONNECTED version:1.2 heart-beat:1000,1000 (45 B)",
    "<<< heart-beat (1 B)",
    "<<< heart-beat (2 B)",
    "<<< RECEIPT receipt-id:77 (24 B)",
    "<<< heart-beat (1 B)",
    ">>> heart-beat (1 B)",
  ]);
  assertEquals(client.stats.bytesIn, total(events, "in"));
  assertEquals(client.stats.bytesOut, total(events, "out"));
  assertEquals(client.stats.framesIn, 2);
});

Deno.test("StompClient trace hook that throws is reported to onError and the connection goes on", async () => {
  // Anything that still went to reportError would show up here.
  const uncaught: unknown[] = [];
  const onUncaught = (event: ErrorEvent) => {
    event.preventDefault();
    uncaught.push(event.error);
  };
  globalThis.addEventListener("error", onUncaught);
  try {
    await using broker = StompTestBroker.listen();
    const reported: Error[] = [];
    const client = await StompClient.connectUrl(broker.url, {
      heartBeat: [0, 0],
      trace: () => {
        throw new Error("Broken hook");
      },
      onError: (error) => reported.push(error),
    });
    const subscription = await client.subscribe("/queue/throws", {
      receipt: true,
    });
    await client.send("/queue/throws", "still here", { receipt: true });
    let text: string | undefined;
    for await (const message of subscription) {
      text = message.text;
      break;
    }
    assertEquals(text, "still here");
    assertEquals(client.state, "connected");
    await client.disconnect();
    // CONNECT, CONNECTED, SUBSCRIBE, RECEIPT, SEND, RECEIPT, MESSAGE, ...
    assert(reported.length >= 7, `${reported.length} reported`);
    for (const error of reported) {
      assertInstanceOf(error, StompCallbackError);
      assertEquals(error.hook, "trace");
      assertEquals(error.message, "Callback trace threw: Broken hook");
      assertEquals((error.cause as Error).message, "Broken hook");
    }
    assertEquals(client.stats.callbackErrors, reported.length);
    assertEquals(uncaught, []);
  } finally {
    globalThis.removeEventListener("error", onUncaught);
  }
});

Deno.test("StompClient trace numbers each connection", async () => {
  await using broker = StompTestBroker.listen();
  const { events, trace } = recorder();
  await using client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
    reconnect: { initialDelay: 10, jitter: 0 },
    trace,
  });
  broker.dropConnections();
  await eventually(() =>
    events.some((e) => e.connection === 2 && e.direction === "in")
  );
  assertEquals(
    events.filter((e) => e.frame?.command === "CONNECT").map((e) =>
      e.connection
    ),
    [1, 2],
  );
  assertEquals(client.stats.reconnects, 1);
});

Deno.test("StompClient refuses a trace that is not a function", async () => {
  await using broker = StompTestBroker.listen();
  await assertRejects(
    () =>
      StompClient.connectUrl(broker.url, {
        trace: "yes" as unknown as () => void,
      }),
    TypeError,
    "Cannot create client: trace must be a function, got string",
  );
});
