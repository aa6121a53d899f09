// StompClient never loses, reorders or strands what a user asked of it.
// Bursts of un-awaited operations reach the server whole and in call
// order, DISCONNECT last; operations issued while reconnecting wait for the
// new connection; receipts, timeouts and signals end every wait; the first
// connection is retried; a failure never becomes an unhandled rejection; a
// subscription the server refuses ends instead of reconnecting for ever.
// Against the in-process test broker, a relay and scripted servers.

import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertInstanceOf,
  AssertionError,
  assertLessOrEqual,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import {
  connected,
  error as errorFrame,
  type StompFrame,
} from "@stomper/stomp";
import {
  StompClient,
  type StompClientOptions,
  StompConnectionError,
  StompServerError,
  StompTimeoutError,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { ChaosRelay } from "./_chaos.ts";
import { RawPeer, type ScriptedServer, scriptedServer } from "./_peer.ts";
import { eventually, sleep, within } from "./_helpers.ts";
import { assertSequence, readBodies } from "./_sequence.ts";

const QUIET: StompClientOptions = { heartBeat: [0, 0] };
const BURST = 10_000;

function client(
  server: { url: string },
  options: StompClientOptions = {},
): Promise<StompClient> {
  return StompClient.connectUrl(server.url, { ...QUIET, ...options });
}

/** A loopback port nothing listens on (free a moment ago). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/**
 * Collects unhandled rejections from its creation until disposed, and keeps
 * them from failing the run: a test asserts there were none, and says what
 * they were.
 */
function watchUnhandledRejections(): Disposable & {
  settle(): Promise<unknown[]>;
} {
  const reasons: unknown[] = [];
  const listener = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    reasons.push(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", listener);
  return {
    async settle() {
      // Unhandled rejections are reported once the microtasks have run.
      await sleep(50);
      return reasons;
    },
    [Symbol.dispose]() {
      globalThis.removeEventListener("unhandledrejection", listener);
    },
  };
}

function assertNoUnhandled(reasons: unknown[]): void {
  if (reasons.length === 0) return;
  const first = reasons[0];
  throw new AssertionError(
    `${reasons.length} unhandled rejections; the first: ${
      first instanceof Error ? `${first.name}: ${first.message}` : String(first)
    }`,
  );
}

/** Reads what reached `queue` with a second client. */
async function queued(
  broker: StompTestBroker,
  queue: string,
  count: number,
): Promise<string[]> {
  await using reader = await client(broker);
  return await readBodies(await reader.subscribe(queue), count, 1000);
}

/** Sends "0" to "count - 1" without awaiting, then ends the session. */
async function burst(
  url: string,
  queue: string,
  count: number,
  mode: "disconnect" | "using",
): Promise<void> {
  if (mode === "disconnect") {
    const stomp = await client({ url });
    for (let i = 0; i < count; i++) stomp.send(queue, String(i));
    await stomp.disconnect();
  } else {
    await using stomp = await client({ url });
    for (let i = 0; i < count; i++) stomp.send(queue, String(i));
  }
}

// --- call order is wire order ------------------------------------------------

for (const mode of ["disconnect", "using"] as const) {
  const how = mode === "disconnect"
    ? "disconnect()"
    : "[Symbol.asyncDispose]()";
  Deno.test(`StompClient.${how} writes ${BURST} un-awaited sends first, in order`, async () => {
    await using broker = StompTestBroker.listen();
    using unhandled = watchUnhandledRejections();
    const queue = `/queue/burst-${mode}`;
    await within(burst(broker.url, queue, BURST, mode), 10000, how);
    const reasons = await unhandled.settle();
    console.log(
      `${
        broker.depth(queue)
      } of ${BURST} reached the broker; ${reasons.length} unhandled rejections`,
    );
    assertSequence(await queued(broker, queue, BURST), BURST);
    assertNoUnhandled(reasons);
  });
}

Deno.test("StompClient puts un-awaited operations on the wire in call order", async () => {
  const seen: string[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => {
      const destination = frame.headers.get("destination");
      seen.push(
        [frame.command, destination, frame.text].filter(Boolean).join(" "),
      );
    },
  });
  using unhandled = watchUnhandledRejections();
  const stomp = await client(broker);
  try {
    const jobs = await stomp.subscribe("/queue/in", {
      ack: "client-individual",
    });
    await stomp.send("/queue/in", "job", { receipt: true });
    const iterator = jobs[Symbol.asyncIterator]();
    const message = (await within(iterator.next(), 2000, "job")).value!;
    const transaction = await stomp.begin({ receipt: true });
    const other = await stomp.subscribe("/topic/other", { receipt: true });
    seen.length = 0;

    stomp.send("/queue/out", "1");
    message.ack();
    stomp.send("/queue/out", "2");
    other.unsubscribe();
    transaction.send("/queue/out", "3");
    transaction.commit();
    stomp.send("/queue/out", "4");
    await within(stomp.disconnect(), 5000, "disconnect");
  } finally {
    stomp.close();
  }
  assertEquals(seen, [
    "SEND /queue/out 1",
    "ACK",
    "SEND /queue/out 2",
    "UNSUBSCRIBE",
    "SEND /queue/out 3",
    "COMMIT",
    "SEND /queue/out 4",
    "DISCONNECT",
  ]);
  assertNoUnhandled(await unhandled.settle());
});

// --- while reconnecting ------------------------------------------------------

Deno.test("StompClient sends issued while reconnecting wait and go out on the new connection, in order", async () => {
  const count = 1000;
  await using broker = StompTestBroker.listen();
  using unhandled = watchUnhandledRejections();
  const stomp = await client(broker, {
    reconnect: { initialDelay: 50, maxDelay: 100 },
  });
  try {
    broker.dropConnections();
    await eventually(
      () => stomp.state === "reconnecting",
      2000,
      "reconnecting",
    );
    const sent = Array.from(
      { length: count },
      (_, i) => stomp.send("/queue/later", String(i)),
    );
    await within(Promise.all(sent), 5000, "sends");
    // Out on the new connection, not at DISCONNECT (see the next test).
    await eventually(
      () => broker.depth("/queue/later") === count,
      5000,
      `${count} messages at the broker`,
    ).finally(() =>
      console.log(`${broker.depth("/queue/later")} of ${count} arrived`)
    );
    await within(stomp.disconnect(), 5000, "disconnect");
  } finally {
    stomp.close();
  }
  assertSequence(await queued(broker, "/queue/later", count), count);
  assertNoUnhandled(await unhandled.settle());
});

Deno.test("StompClient.disconnect() while reconnecting first writes what was issued before it, on the new connection", async () => {
  const count = 1000;
  await using broker = StompTestBroker.listen();
  using unhandled = watchUnhandledRejections();
  const stomp = await client(broker, {
    reconnect: { initialDelay: 50, maxDelay: 100 },
  });
  try {
    broker.dropConnections();
    await eventually(
      () => stomp.state === "reconnecting",
      2000,
      "reconnecting",
    );
    for (let i = 0; i < count; i++) stomp.send("/queue/later", String(i));
    await within(stomp.disconnect(), 5000, "disconnect");
    assertEquals(stomp.state, "closed");
  } finally {
    stomp.close();
  }
  const reasons = await unhandled.settle();
  console.log(
    `${
      broker.depth("/queue/later")
    } of ${count} reached the broker; ${reasons.length} unhandled rejections`,
  );
  assertSequence(await queued(broker, "/queue/later", count), count);
  assertNoUnhandled(reasons);
});

// --- nothing waits for ever --------------------------------------------------

/**
 * A server that answers CONNECT and then nothing, not even DISCONNECT;
 * `frames` gets what it receives.
 */
function silentServer(frames: StompFrame[]): ScriptedServer {
  return scriptedServer(async (peer) => {
    assertEquals((await peer.next()).command, "CONNECT");
    await peer.send(connected({ version: "1.2" }));
    while (true) {
      try {
        frames.push(await peer.next(60000));
      } catch {
        return; // The client closed the connection.
      }
    }
  });
}

/**
 * The client still ends: DISCONNECT gets no RECEIPT from a silent server, so
 * `disconnectTimeout` (300 ms) closes it, and nothing is left pending (the
 * test sanitizers catch a timer or an operation left behind).
 */
async function assertEnds(stomp: StompClient): Promise<void> {
  const start = performance.now();
  const failure = await within(stomp.disconnect(), 2000, "disconnect").then(
    () => undefined,
    (error: unknown) => error,
  );
  const ms = performance.now() - start;
  assertInstanceOf(failure, StompTimeoutError);
  assertEquals(failure.timeout, 300);
  assertEquals(stomp.state, "closed");
  assertLessOrEqual(ms, 1500);
}

function silentOptions(extra: StompClientOptions = {}): StompClientOptions {
  return { ...QUIET, disconnectTimeout: 300, ...extra };
}

Deno.test("StompClient rejects a send whose RECEIPT does not come within receiptTimeout with StompTimeoutError", async () => {
  const frames: StompFrame[] = [];
  await using server = silentServer(frames);
  const stomp = await client(server, silentOptions({ receiptTimeout: 200 }));
  try {
    const start = performance.now();
    const error = await assertRejects(
      () =>
        within(stomp.send("/queue/a", "x", { receipt: true }), 3000, "send"),
      StompTimeoutError,
    );
    const ms = performance.now() - start;
    console.log(`rejected after ${Math.round(ms)} ms`);
    assertEquals(error.name, "StompTimeoutError");
    assertEquals(error.timeout, 200);
    assertGreaterOrEqual(ms, 150);
    assertLessOrEqual(ms, 1500);
    await assertEnds(stomp);
  } finally {
    stomp.close();
  }
  await server.done;
});

Deno.test("StompClient.send() rejects with StompTimeoutError after its own timeout", async () => {
  const frames: StompFrame[] = [];
  await using server = silentServer(frames);
  const stomp = await client(server, silentOptions());
  try {
    const start = performance.now();
    const error = await assertRejects(
      () =>
        within(
          stomp.send("/queue/a", "x", { receipt: true, timeout: 100 }),
          3000,
          "send",
        ),
      StompTimeoutError,
    );
    const ms = performance.now() - start;
    console.log(`rejected after ${Math.round(ms)} ms`);
    assertEquals(error.timeout, 100);
    assertGreaterOrEqual(ms, 50);
    assertLessOrEqual(ms, 1500);
    await assertEnds(stomp);
  } finally {
    stomp.close();
  }
  await server.done;
});

Deno.test("StompClient.send() with an aborted signal rejects at once with its reason and writes nothing", async () => {
  const frames: StompFrame[] = [];
  await using server = silentServer(frames);
  const stomp = await client(server, silentOptions());
  const reason = new Error("not wanted any more");
  try {
    const start = performance.now();
    const failure = await within(
      stomp.send("/queue/aborted", "x", { signal: AbortSignal.abort(reason) }),
      2000,
      "send",
    ).then(() => undefined, (error: unknown) => error);
    const ms = performance.now() - start;
    assertStrictEquals(failure, reason);
    assertLessOrEqual(ms, 100);
    await assertEnds(stomp);
  } finally {
    stomp.close();
  }
  await server.done;
  assertEquals(
    frames.filter((frame) => frame.command === "SEND").length,
    0,
    "a SEND went out",
  );
});

Deno.test("StompClient.send() rejects at once with the reason when its signal aborts while the RECEIPT is awaited", async () => {
  const frames: StompFrame[] = [];
  await using server = silentServer(frames);
  const stomp = await client(server, silentOptions());
  const controller = new AbortController();
  const reason = new Error("user gave up");
  try {
    const sending = stomp.send("/queue/a", "x", {
      receipt: true,
      signal: controller.signal,
    });
    sending.catch(() => {});
    await sleep(100);
    const abortedAt = performance.now();
    controller.abort(reason);
    const failure = await within(sending, 2000, "send").then(
      () => undefined,
      (error: unknown) => error,
    );
    const ms = performance.now() - abortedAt;
    console.log(`rejected ${Math.round(ms)} ms after the abort`);
    assertStrictEquals(failure, reason);
    assertLessOrEqual(ms, 100);
    await assertEnds(stomp);
  } finally {
    stomp.close();
  }
  await server.done;
});

// --- the first connection ----------------------------------------------------

Deno.test("StompClient.connectUrl() with reconnect retries the first connection until the broker is up", async () => {
  const port = freePort();
  const start = performance.now();
  let settled = "pending";
  const connecting = StompClient.connectUrl(`tcp://127.0.0.1:${port}`, {
    ...QUIET,
    reconnect: { initialDelay: 100, maxDelay: 200 },
  });
  connecting.then(
    () =>
      settled = `resolved after ${Math.round(performance.now() - start)} ms`,
    (error: Error) =>
      settled = `rejected after ${
        Math.round(performance.now() - start)
      } ms: ${error.message}`,
  );
  await sleep(1000);
  console.log(`connect() 1 s in: ${settled}`);
  await using _broker = StompTestBroker.listen({ port });
  const stomp = await within(connecting, 3000, "connect");
  try {
    assertEquals(stomp.state, "connected");
    console.log(`connect() ${settled}`);
  } finally {
    await stomp.disconnect();
  }
});

Deno.test("StompClient.connectUrl() with reconnect gives up on the first connection after its retries", async () => {
  const port = freePort();
  const start = performance.now();
  await assertRejects(
    () =>
      within(
        StompClient.connectUrl(`tcp://127.0.0.1:${port}`, {
          ...QUIET,
          reconnect: { retries: 3, initialDelay: 50, maxDelay: 50, jitter: 0 },
        }),
        5000,
        "connect",
      ),
    StompConnectionError,
  );
  const ms = performance.now() - start;
  console.log(`rejected after ${Math.round(ms)} ms`);
  // Waits of 50 ms between the attempts: three, or two if the first attempt
  // counts as one of the retries.
  assertGreaterOrEqual(ms, 90);
});

Deno.test("StompClient.connectUrl() with reconnect.retryFirstConnect false fails the first connection at once", async () => {
  const port = freePort();
  const start = performance.now();
  await assertRejects(
    () =>
      within(
        StompClient.connectUrl(`tcp://127.0.0.1:${port}`, {
          ...QUIET,
          reconnect: { initialDelay: 100, retryFirstConnect: false },
        }),
        2000,
        "connect",
      ),
    StompConnectionError,
    `Cannot connect to "tcp://127.0.0.1:${port}"`,
  );
  assertLessOrEqual(performance.now() - start, 500);
});

// --- failures are reported, never unhandled ----------------------------------

Deno.test("StompClient reports failed un-awaited operations to onError, never as unhandled rejections (mock server: ERROR, then closes)", async () => {
  using unhandled = watchUnhandledRejections();
  const errors: Error[] = [];
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    await peer.send(connected({ version: "1.2" }));
    for (let i = 0; i < 11; i++) {
      assertEquals((await peer.next()).command, "SEND");
    }
    // Never answers the receipts; goes away as RabbitMQ does, once the
    // first send has timed out.
    await sleep(300);
    await peer.send(errorFrame("Going away", "Closed by the test"));
  });
  const stomp = await client(server, {
    onError: (error: Error) => errors.push(error),
  });
  // Kept to be inspected at the end; nobody awaits them meanwhile.
  const operations: Promise<void>[] = [];
  try {
    operations.push(
      stomp.send("/queue/a", "timed", { receipt: true, timeout: 50 }),
    );
    for (let i = 0; i < 10; i++) {
      operations.push(stomp.send("/queue/a", String(i), { receipt: true }));
    }
    await assertRejects(
      () => within(stomp.closed, 2000, "closed"),
      StompConnectionError,
    );
    // Issued once the client is closed: these fail too.
    for (let i = 0; i < 5; i++) operations.push(stomp.send("/queue/a", "late"));
    const reasons = await unhandled.settle();
    const outcomes = await Promise.allSettled(operations);
    const count = (type: new (...args: never[]) => Error) =>
      errors.filter((e) => e instanceof type).length;
    console.log(
      `${reasons.length} unhandled rejections; ${
        outcomes.filter((o) => o.status === "rejected").length
      } of ${outcomes.length} operations rejected; onError: ${
        count(StompServerError)
      } StompServerError, ${count(StompTimeoutError)} StompTimeoutError, ${
        count(StompConnectionError)
      } StompConnectionError`,
    );
    assertNoUnhandled(reasons);
    const [timed, ...ended] = outcomes;
    assertEquals(timed?.status, "rejected");
    assertInstanceOf(
      (timed as PromiseRejectedResult).reason,
      StompTimeoutError,
    );
    for (const outcome of ended) {
      assertEquals(outcome.status, "rejected");
      assertInstanceOf(
        (outcome as PromiseRejectedResult).reason,
        StompConnectionError,
      );
    }
    // The ERROR, and the timeout (a failure of that send's own). Failures
    // that share one cause (the lost connection) may be reported once.
    assertEquals(count(StompServerError), 1);
    assertGreaterOrEqual(count(StompTimeoutError), 1);
  } finally {
    stomp.close();
  }
  await server.done;
});

// --- refused subscriptions and endless ERRORs --------------------------------

for (const receipt of [false, true]) {
  Deno.test(
    `StompClient ends a subscription the server refuses (ERROR ${
      receipt ? "with" : "without"
    } receipt-id) instead of restoring it on every reconnection`,
    async () => {
      await using broker = StompTestBroker.listen();
      await using relay = ChaosRelay.start({ port: broker.port });
      const stomp = await client(relay, {
        reconnect: { retries: 3, initialDelay: 50, maxDelay: 100 },
      });
      try {
        const refused = (async () => {
          const subscription = await stomp.subscribe("/foo/bar", { receipt });
          for await (const _ of subscription) { /* nothing comes */ }
        })();
        const error = await assertRejects(
          () => within(refused, 5000, "refused subscription"),
          StompServerError,
        );
        assertEquals(error.frame.headers.get("message"), "Unknown destination");
        // Whatever it still does, give it the time to.
        await sleep(1000);
        console.log(`${relay.connections} connections`);
        assertLessOrEqual(relay.connections, 2);
        // What was refused is gone; the rest works.
        await within(
          stomp.send("/queue/ok", "x", { receipt: true }),
          2000,
          "send",
        );
        assertEquals(broker.depth("/queue/ok"), 1);
      } finally {
        console.log(`${relay.connections} connections in all`);
        stomp.close();
      }
    },
  );
}

Deno.test("StompClient gives up after reconnect.retries connections that each end in an ERROR (mock server)", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const serving = (async () => {
    const peers: Promise<void>[] = [];
    for await (const conn of listener) {
      connections++;
      peers.push((async () => {
        await using peer = RawPeer.fromConn(conn);
        await peer.next().catch(() => {});
        await peer.send(connected({ version: "1.2" })).catch(() => {});
        // Connected for a moment, far less than reconnect.stableAfter.
        await sleep(100);
        await peer.send(errorFrame("Go away", "Every time")).catch(() => {});
      })());
    }
    await Promise.all(peers);
  })();
  const stomp = await client({ url: `tcp://127.0.0.1:${listener.addr.port}` }, {
    reconnect: { retries: 3, initialDelay: 20, maxDelay: 50 },
  });
  try {
    const start = performance.now();
    const closed = await within(stomp.closed, 5000, "closed").then(
      () => "resolved",
      (error: Error) => `${error.name}: ${error.message}`,
    );
    console.log(
      `${connections} connections in ${
        Math.round(performance.now() - start)
      } ms; closed: ${closed}`,
    );
    assert(closed.startsWith("StompConnectionError"), closed);
    assertLessOrEqual(connections, 4);
  } finally {
    stomp.close();
    listener.close();
    await serving;
  }
});
