// One connection (src/client/_connection.ts) against the in-process test
// broker over real TCP: the attempt's timeout and abort, the handshake the
// client drives, frames handed to the handlers, the outbox written in order,
// the loss told once, and the counters and trace of its wiretap.

import { assertEquals, assertRejects } from "@std/assert";
import type { StompFrame } from "@stomper/stomp";
import {
  StompConnectionError,
  type StompTraceEvent,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { fromConn } from "@stomper/stomp/transports";
import {
  ConnectAttempt,
  Connection,
  type ConnectionHandlers,
} from "../src/client/_connection.ts";
import { Outbox } from "../src/client/_outbox.ts";
import { StompSession } from "../src/client/session.ts";
import { newStats } from "../src/client/_wiretap.ts";

const SYSTEM = {
  setTimeout: (callback: () => void, delay: number) =>
    setTimeout(callback, delay),
  clearTimeout: (handle: unknown) => clearTimeout(handle as number),
  now: () => performance.now(),
};

/** Handlers that hand CONNECTED to the connection and record the rest. */
function handlers(session: StompSession, log: string[]): ConnectionHandlers {
  return {
    frame: (connection, frame: StompFrame) => {
      const event = session.receive(frame);
      if (event.type === "connected") {
        connection.established(event.version, event.heartBeat);
      }
      log.push(event.type);
    },
    lost: (_, error) => log.push(`lost: ${error.message}`),
    mustPause: () => false,
  };
}

async function open(
  broker: StompTestBroker,
  log: string[],
  trace?: (event: StompTraceEvent) => void,
) {
  const session = new StompSession({ heartBeat: [0, 0] });
  const stats = newStats();
  const attempt = new ConnectAttempt(5000, undefined, SYSTEM);
  try {
    const connection = await attempt.open(
      async () =>
        fromConn(
          await Deno.connect({ hostname: "127.0.0.1", port: broker.port }),
        ),
      (transport) =>
        new Connection(1, transport, {
          limits: {},
          timers: SYSTEM,
          grace: 3,
          stats,
          trace,
        }, handlers(session, log)),
    );
    await connection.open(session.connectFrame());
    return { connection, session, stats };
  } finally {
    attempt.end();
  }
}

Deno.test("Connection opens, speaks the negotiated version, writes the outbox in order and tells its loss once", async () => {
  // No EOL after each frame, which the trace would show as a heart-beat.
  await using broker = StompTestBroker.listen({ eolAfterFrame: false });
  const log: string[] = [];
  const events: StompTraceEvent[] = [];
  const { connection, session, stats } = await open(
    broker,
    log,
    (event) => events.push(event),
  );
  assertEquals(connection.version, "1.2");
  assertEquals(log, ["connected"]);
  const outbox = new Outbox(1 << 20);
  for (let i = 0; i < 3; i++) {
    outbox.pushPlain(
      "SEND",
      ["destination", "/queue/c"],
      String(i),
      undefined,
      undefined,
    );
  }
  const receipt = session.send("/queue/c", "last", { receipt: true });
  outbox.push({
    frame: receipt.frame,
    epoch: undefined,
    accept: undefined,
    fail: () => {},
  });
  connection.drain(outbox);
  while (!log.includes("receipt")) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assertEquals(broker.depth("/queue/c"), 4);
  assertEquals(outbox.bufferedAmount, 0);
  assertEquals(stats.framesOut, 5);
  assertEquals(stats.framesIn, 2);
  assertEquals(
    events.map((e) => `${e.direction} ${e.frame?.command}`),
    [
      "out CONNECT",
      "in CONNECTED",
      "out SEND",
      "out SEND",
      "out SEND",
      "out SEND",
      "in RECEIPT",
    ],
  );
  // Each event counts its bytes and names the connection.
  assertEquals(events.every((e) => e.connection === 1 && e.bytes > 0), true);
  await broker.close();
  await connection.ended.promise;
  connection.lose(new StompConnectionError("again"));
  assertEquals(log.filter((line) => line.startsWith("lost")), [
    "lost: The server closed the connection",
  ]);
});

Deno.test("ConnectAttempt ends a transport that does not open within the timeout, and closes it when it comes", async () => {
  const attempt = new ConnectAttempt(20, undefined, SYSTEM);
  let closed = false;
  const late = Promise.withResolvers<void>();
  const error = await assertRejects(
    () =>
      attempt.open(
        async () => {
          await late.promise;
          const { readable, writable } = new TransformStream<
            Uint8Array,
            Uint8Array
          >();
          return { readable, writable, close: () => closed = true };
        },
        () => {
          throw new Error("never made");
        },
      ),
    StompConnectionError,
  );
  attempt.end();
  assertEquals(
    error.message,
    "Cannot connect within 20 ms: the transport did not open",
  );
  late.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(closed, true);
});

Deno.test("ConnectAttempt refuses an aborted signal, and tells open to give up when it aborts", async () => {
  const aborted = new AbortController();
  aborted.abort(new Error("stop"));
  try {
    new ConnectAttempt(0, aborted.signal, SYSTEM);
    throw new Error("expected a refusal");
  } catch (error) {
    assertEquals((error as Error).message, "Connection attempt aborted");
  }
  const stop = new AbortController();
  const attempt = new ConnectAttempt(0, stop.signal, SYSTEM);
  let told = false;
  const opening = attempt.open(
    (signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          told = true;
          reject(signal.reason);
        })
      ),
    () => {
      throw new Error("never made");
    },
  );
  stop.abort(new Error("user"));
  await assertRejects(() => opening, StompConnectionError, "aborted");
  attempt.end();
  assertEquals(told, true);
});
