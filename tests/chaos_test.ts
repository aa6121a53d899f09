// ChaosRelay (tests/_chaos.ts) against plain loopback servers and the
// in-repo StompTestBroker: each fault is shown to happen, by byte counts and
// by timings whose bounds leave room for a busy machine (a delay or a
// throttle is checked from below, where no scheduler can help it, and
// against the same transfer without the fault).

import {
  assertEquals,
  assertGreater,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertMatch,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  connect,
  encodeFrame,
  send,
  StompDecoder,
  StompSyntaxError,
  subscribe,
} from "../mod.ts";
import { StompClient, type StompClientState } from "../src/client/mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { ChaosRelay } from "./_chaos.ts";
import { RawPeer } from "./_peer.ts";
import { eventually, sleep, within } from "./_helpers.ts";

/** Reads a socket in the background, keeping every byte and the end. */
class ByteReader implements AsyncDisposable {
  readonly #conn: Deno.Conn;
  readonly #chunks: Uint8Array[] = [];
  readonly #reading: Promise<void>;
  total = 0;
  ended = false;
  /** When each byte count was reached: [ms since start, total]. */
  readonly times: [number, number][] = [];
  readonly #start = performance.now();

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reading = this.#read();
  }

  get bytes(): Uint8Array {
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /** Waits until `count` bytes came (or the end); fails after `ms`. */
  async until(count: number, ms = 5000): Promise<void> {
    await eventually(
      () => this.total >= count || this.ended,
      ms,
      `${count} bytes`,
    );
  }

  async end(ms = 5000): Promise<void> {
    await eventually(() => this.ended, ms, "end of the connection");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
    await this.#reading;
  }

  async #read(): Promise<void> {
    try {
      while (true) {
        const buffer = new Uint8Array(64 * 1024);
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        this.#chunks.push(buffer.subarray(0, n));
        this.total += n;
        this.times.push([performance.now() - this.#start, this.total]);
      }
    } catch {
      // Reset, or closed here.
    } finally {
      this.ended = true;
    }
  }
}

/** A loopback server that hands each connection to `handle`. */
class PlainServer implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #tasks: Promise<void>[] = [];
  readonly #conns: Deno.Conn[] = [];
  readonly #accepting: Promise<void>;
  /** Connections whose handler ended (the connection is then closed). */
  closes = 0;

  constructor(handle: (conn: Deno.TcpConn) => Promise<void>) {
    this.#accepting = (async () => {
      try {
        for await (const conn of this.#listener) {
          this.#conns.push(conn);
          this.#tasks.push(
            handle(conn).catch(() => {}).finally(() => {
              this.closes++;
              try {
                conn.close();
              } catch {
                // Closed already.
              }
            }),
          );
        }
      } catch {
        // Closed.
      }
    })();
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  get accepted(): number {
    return this.#conns.length;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
    await Promise.all(this.#tasks);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/** Echoes everything back until EOF. */
function echoServer(): PlainServer {
  return new PlainServer(async (conn) => {
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      await writeAll(conn, buffer.subarray(0, n));
    }
  });
}

/** Sends `size` bytes of a pattern on connect, then reads until EOF. */
function sourceServer(size: number): PlainServer {
  return new PlainServer(async (conn) => {
    await writeAll(conn, pattern(size));
    const buffer = new Uint8Array(1024);
    while ((await conn.read(buffer)) !== null) { /* until EOF */ }
  });
}

/** Counts what it receives, per connection, until EOF. */
function sinkServer(received: number[]): PlainServer {
  return new PlainServer(async (conn) => {
    const index = received.push(0) - 1;
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      received[index]! += n;
    }
  });
}

function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  return bytes;
}

function dial(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

/** The commands of the complete frames in `bytes`. */
function commands(bytes: Uint8Array): string[] {
  return new StompDecoder().push(bytes).map((frame) => frame.command);
}

Deno.test("ChaosRelay forwards both ways byte for byte, counts the bytes and shows them to onForward", async () => {
  await using server = echoServer();
  const seen = { toClient: [] as number[], toServer: [] as number[] };
  await using relay = ChaosRelay.start({ port: server.port }, {
    onForward(bytes, direction, connection) {
      assertEquals(connection, 1);
      seen[direction].push(...bytes);
    },
  });
  const conn = await dial(relay.port);
  await using reader = new ByteReader(conn);
  const data = crypto.getRandomValues(new Uint8Array(60000));
  const more = pattern(200 * 1024);
  await writeAll(conn, data);
  await writeAll(conn, more);
  await reader.until(data.length + more.length);
  assertEquals(reader.bytes, new Uint8Array([...data, ...more]));
  assertEquals(relay.bytes("toServer"), data.length + more.length);
  assertEquals(relay.bytes("toClient"), data.length + more.length);
  assertEquals(new Uint8Array(seen.toServer), reader.bytes);
  assertEquals(new Uint8Array(seen.toClient), reader.bytes);
  assertEquals(relay.connections, 1);
  assertEquals(relay.open, 1);
  assertEquals(relay.cuts, 0);
  conn.closeWrite();
  // The client's end goes through, the echo server closes, and so do we.
  await reader.end();
  await eventually(() => relay.open === 0, 2000, "relay pair closed");
  assertEquals(relay.cuts, 0);
});

Deno.test("ChaosRelay.cut closes both sockets now, and new connections still get through", async () => {
  await using server = echoServer();
  await using relay = ChaosRelay.start({ port: server.port });
  const conn = await dial(relay.port);
  await using reader = new ByteReader(conn);
  await writeAll(conn, new Uint8Array([1, 2, 3]));
  await reader.until(3);
  assertEquals(relay.cut(), 1);
  await reader.end(2000);
  // The server side saw its end too.
  await eventually(() => server.closes === 1, 2000, "server side closed");
  assertEquals(relay.cuts, 1);
  await eventually(() => relay.open === 0, 2000, "no pair open");
  const again = await dial(relay.port);
  await using second = new ByteReader(again);
  await writeAll(again, new Uint8Array([4, 5]));
  await second.until(2);
  assertEquals(second.bytes, new Uint8Array([4, 5]));
  assertEquals(relay.connections, 2);
});

Deno.test("ChaosRelay.silence holds the bytes both ways with the sockets open; resume delivers them in order", async () => {
  await using server = echoServer();
  await using relay = ChaosRelay.start({ port: server.port });
  const conn = await dial(relay.port);
  await using reader = new ByteReader(conn);
  await writeAll(conn, new Uint8Array([0]));
  await reader.until(1);
  relay.silence();
  for (let i = 1; i <= 5; i++) {
    await writeAll(conn, pattern(1000 * i));
  }
  await sleep(400);
  assertEquals(reader.total, 1, "bytes came through a silent relay");
  assertEquals(relay.bytes("toServer"), 1);
  assertEquals(reader.ended, false);
  assertEquals(server.closes, 0);
  assertEquals(relay.open, 1);
  relay.resume();
  await reader.until(1 + 15000);
  const expected = [0];
  for (let i = 1; i <= 5; i++) expected.push(...pattern(1000 * i));
  assertEquals(reader.bytes, new Uint8Array(expected));
  assertEquals(relay.cuts, 0);
});

Deno.test("ChaosRelay.silence of one direction lets the other through, and a close waits for resume", async () => {
  const received: number[] = [];
  await using server = sinkServer(received);
  await using relay = ChaosRelay.start({ port: server.port });
  relay.silence("toClient");
  const conn = await dial(relay.port);
  await using reader = new ByteReader(conn);
  await writeAll(conn, pattern(5000));
  await eventually(() => received[0] === 5000, 2000, "bytes to the server");
  assertEquals(relay.bytes("toServer"), 5000);
  // The sink closes when we do; we close our write side only, and the
  // relay must keep our socket open while towards us is silent.
  conn.closeWrite();
  await eventually(() => server.closes === 1, 2000, "server side closed");
  await sleep(300);
  assertEquals(reader.ended, false, "the close went through a silent relay");
  relay.resume("toClient");
  await reader.end(2000);
  assertEquals(reader.total, 0);
});

Deno.test("ChaosRelay.delay adds its latency in each direction, and 0 takes it away", async () => {
  await using server = echoServer();
  await using relay = ChaosRelay.start({ port: server.port });
  const conn = await dial(relay.port);
  await using reader = new ByteReader(conn);
  const echo = async () => {
    const started = performance.now();
    const target = reader.total + 10;
    await writeAll(conn, pattern(10));
    await reader.until(target, 10000);
    return performance.now() - started;
  };
  await echo(); // Warm up: the relay's connection to the server is open.
  const fast = Math.min(await echo(), await echo(), await echo());
  relay.delay(200, "toServer");
  const one = await echo();
  relay.delay(200);
  const both = await echo();
  relay.delay(0);
  const after = Math.min(await echo(), await echo());
  // Timers do not fire early: the bounds from below are firm.
  assertGreaterOrEqual(one, 195);
  assertGreaterOrEqual(both, 395);
  assertLessOrEqual(one, 3000);
  assertLessOrEqual(both, 3000);
  assertGreater(both - one, 100, `one way ${one} ms, both ${both} ms`);
  assertLessOrEqual(
    after,
    200,
    `undelayed ${fast} ms, after delay(0) ${after} ms`,
  );
  assertEquals(reader.total, 80);
});

Deno.test("ChaosRelay.throttle caps the rate of its direction, the other runs free, and Infinity lifts it", async () => {
  const size = 48000;
  const rate = 32000;
  await using source = sourceServer(size);
  await using relay = ChaosRelay.start({ port: source.port });
  // Unthrottled first, to compare with.
  let started = performance.now();
  {
    await using reader = new ByteReader(await dial(relay.port));
    await reader.until(size);
  }
  const free = performance.now() - started;
  relay.throttle(rate, "toClient");
  started = performance.now();
  {
    await using reader = new ByteReader(await dial(relay.port));
    await reader.until(size, 20000);
    assertEquals(reader.bytes, pattern(size));
    // Rate over the second half: at most the throttle, with a margin for a
    // reader that was not scheduled on time; at least a third of it.
    const [t1, b1] = reader.times.find(([, total]) => total >= size / 2)!;
    const [t2, b2] = reader.times.at(-1)!;
    const measured = ((b2 - b1) / (t2 - t1)) * 1000;
    assertLessOrEqual(measured, rate * 1.5, `measured ${measured} bytes/s`);
    assertGreater(measured, rate / 3, `measured ${measured} bytes/s`);
  }
  const throttled = performance.now() - started;
  // The first slice goes at once; the rest takes (size - slice) / rate.
  assertGreaterOrEqual(throttled, ((size - rate / 50) / rate) * 1000 * 0.95);
  assertGreater(throttled, free * 3, `free ${free} ms, throttled ${throttled}`);

  // The other direction is not throttled.
  const received: number[] = [];
  await using sink = sinkServer(received);
  await using upward = ChaosRelay.start({ port: sink.port });
  upward.throttle(rate, "toClient");
  started = performance.now();
  const conn = await dial(upward.port);
  await writeAll(conn, pattern(size));
  await eventually(() => received[0] === size, 5000, "sink got it all");
  assertLessOrEqual(performance.now() - started, 1000);
  conn.close();

  // Lifting the throttle mid-transfer finishes it at once.
  relay.throttle(2000, "both");
  started = performance.now();
  await using reader = new ByteReader(await dial(relay.port));
  await reader.until(4000, 10000);
  assertLessOrEqual(reader.total, size);
  relay.throttle(Infinity);
  await reader.until(size, 2000);
  assertEquals(reader.total, size);
  assertLessOrEqual(performance.now() - started, size / 2000 * 1000 / 2);
});

Deno.test("ChaosRelay.cutAfter cuts after exactly N more bytes towards the client, once", async () => {
  await using source = sourceServer(10000);
  await using relay = ChaosRelay.start({ port: source.port });
  const cut = relay.cutAfter(1234);
  {
    await using reader = new ByteReader(await dial(relay.port));
    await within(cut, 5000, "cut");
    await reader.end();
    assertEquals(reader.bytes, pattern(10000).subarray(0, 1234));
  }
  assertEquals(relay.cuts, 1);
  assertEquals(relay.bytes("toClient"), 1234);
  // Later connections are not cut.
  await using whole = new ByteReader(await dial(relay.port));
  await whole.until(10000);
  assertEquals(whole.total, 10000);
  assertEquals(relay.cuts, 1);
});

Deno.test("ChaosRelay.cutAfter towards the server lets exactly N bytes reach it", async () => {
  const received: number[] = [];
  await using sink = sinkServer(received);
  await using relay = ChaosRelay.start({ port: sink.port });
  const conn = await dial(relay.port);
  await using reader = new ByteReader(conn);
  await writeAll(conn, pattern(100));
  await eventually(() => received[0] === 100, 2000, "first bytes");
  const cut = relay.cutAfter(777, "toServer");
  await writeAll(conn, pattern(5000)).catch(() => {});
  await within(cut, 5000, "cut");
  await reader.end();
  await eventually(() => sink.closes === 1, 2000, "sink saw the end");
  assertEquals(received, [877]);
  assertEquals(relay.cuts, 1);
});

Deno.test("ChaosRelay.cutAfter ends a StompTestBroker MESSAGE in the middle: the decoder reports a frame cut short", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  const conn = await dial(relay.port);
  await using reader = new ByteReader(conn);
  await writeAll(
    conn,
    encodeFrame(
      connect({ host: "/", acceptVersion: ["1.2"], heartBeat: [0, 0] }),
    ),
  );
  await writeAll(
    conn,
    encodeFrame(subscribe("0", "/queue/cut", { receipt: "s" })),
  );
  await eventually(
    () => commands(reader.bytes).includes("RECEIPT"),
    5000,
    "RECEIPT",
  );
  const before = reader.total;
  const cut = relay.cutAfter(300);
  // A direct connection sends the message, so that only the MESSAGE
  // travels towards the subscriber from here on.
  await using sender = await RawPeer.connected(broker);
  await sender.send(send("/queue/cut", "x".repeat(5000), { receipt: "r" }));
  assertEquals((await sender.next()).command, "RECEIPT");
  await within(cut, 5000, "cut");
  await reader.end();
  assertEquals(reader.total - before, 300);
  const bytes = reader.bytes;
  assertEquals(
    new TextDecoder().decode(bytes.subarray(before, before + 8)),
    "MESSAGE\n",
  );
  const decoder = new StompDecoder();
  assertEquals(decoder.push(bytes).map((frame) => frame.command), [
    "CONNECTED",
    "RECEIPT",
  ]);
  const error = assertThrows(
    () => decoder.end(),
    StompSyntaxError,
    "Input ended inside a frame that started",
  );
  assertEquals(error.offset, before);
});

Deno.test("ChaosRelay.refuse refuses new connections on its port, open ones carry on, accept takes them again", async () => {
  await using server = echoServer();
  await using relay = ChaosRelay.start({ port: server.port });
  const port = relay.port;
  const conn = await dial(port);
  await using reader = new ByteReader(conn);
  await relay.refuse();
  assertEquals(relay.accepting, false);
  await assertRejects(() => dial(port), Deno.errors.ConnectionRefused);
  await writeAll(conn, new Uint8Array([9, 9]));
  await reader.until(2);
  assertEquals(reader.total, 2);
  relay.accept();
  assertEquals(relay.port, port);
  const again = await dial(port);
  await using second = new ByteReader(again);
  await writeAll(again, new Uint8Array([7]));
  await second.until(1);
  assertEquals(relay.connections, 2);
});

Deno.test("ChaosRelay refuses a non-loopback upstream and bad arguments", async () => {
  assertThrows(
    () => ChaosRelay.start({ hostname: "example.com", port: 80 }),
    TypeError,
    'Cannot start relay: upstream must be a loopback host, got "example.com"',
  );
  await using relay = ChaosRelay.start({ port: 9 });
  assertThrows(() => relay.delay(-1), RangeError, "Invalid delay");
  assertThrows(() => relay.throttle(0), RangeError, "Invalid throttle");
  assertThrows(() => relay.cutAfter(1.5), RangeError, "Invalid byte count");
  assertThrows(
    // @ts-expect-error: a wrong direction, as JavaScript could pass it.
    () => relay.silence("up"),
    TypeError,
    'Invalid direction: expected "toClient", "toServer" or "both", got "up"',
  );
  // Nothing listens on port 9: the client is closed at once.
  await using reader = new ByteReader(await dial(relay.port));
  await reader.end();
  assertEquals(relay.upstreamFailures, 1);
});

Deno.test("ChaosRelay with StompClient and StompTestBroker: reconnects after a cut, waits out a refusal, detects silence", async () => {
  await using broker = StompTestBroker.listen({ heartBeat: [1000, 1000] });
  await using relay = ChaosRelay.start({ port: broker.port });
  const states: StompClientState[] = [];
  const errors: string[] = [];
  let failedAttempts = 0;
  await using client = await StompClient.connectUrl(relay.url, {
    heartBeat: [1000, 1000],
    heartBeatGrace: 2,
    reconnect: {
      initialDelay: 50,
      maxDelay: 200,
      retries: 100,
      onFailedAttempt: () => failedAttempts++,
    },
    onStateChange: (change) => {
      states.push(change.state);
      if (change.error) errors.push(change.error.message);
    },
  });
  const reconnected = async (what: string) => {
    await eventually(
      () => states.at(-1) === "connected" && states.length > 1,
      10000,
      what,
    );
    await client.send("/queue/chaos", what, { receipt: true });
  };

  relay.cut();
  await reconnected("after a cut");
  assertEquals(states, ["connected", "reconnecting", "connected"]);
  assertEquals(relay.connections, 2);

  await relay.refuse();
  relay.cut();
  await eventually(() => failedAttempts >= 2, 5000, "refused attempts");
  assertEquals(relay.connections, 2);
  relay.accept();
  await reconnected("after a refusal");
  assertEquals(relay.connections, 3);

  states.length = 0;
  relay.silence();
  const silenced = performance.now();
  await eventually(() => states.includes("reconnecting"), 10000, "silence");
  const detected = performance.now() - silenced;
  relay.resume();
  await reconnected("after silence");
  assertMatch(errors.at(-1) ?? "", /silent/i);
  // Interval 1000 ms × grace 2, counted from the last byte before it.
  assertGreater(detected, 900);
  assertLessOrEqual(detected, 6000);
  assertEquals(broker.depth("/queue/chaos"), 3);
  // cut() twice; the silent connection the client closed itself.
  assertEquals(relay.cuts, 2);
});
