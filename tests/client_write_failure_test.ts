// A write that fails because the server has gone (EPIPE, ECONNRESET) must
// not hide why it went: the ERROR the server sent before it closed is still
// on the socket, and the connection ends with it (src/client/_connection.ts).
// The servers are scripted: a real broker (RabbitMQ refusing a destination)
// races its ERROR against our next write in about a third of runs only;
// here the write always fails first.

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import {
  StompClient,
  StompConnectionError,
  StompServerError,
} from "@stomper/stomp/client";
import { fromConn } from "@stomper/stomp/transports";
import { Connection } from "../src/client/_connection.ts";
import { Outbox } from "../src/client/_outbox.ts";
import { StompSession } from "../src/client/session.ts";

const SYSTEM = {
  setTimeout: (callback: () => void, delay: number) =>
    setTimeout(callback, delay),
  clearTimeout: (handle: unknown) => clearTimeout(handle as number),
  now: () => performance.now(),
};

const encoder = new TextEncoder();
const CONNECTED = encoder.encode(
  "CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0",
);
const ERROR = encoder.encode("ERROR\nmessage:no exchange 'x'\n\n\0");

/** Reads from `conn` until the end of a frame (a NUL) has come. */
async function readFrame(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("The client closed before a whole frame");
    if (buffer.subarray(0, n).includes(0)) return;
  }
}

/**
 * Writes `last` (if any), then closes `conn` with a reset (RST), not an end
 * (FIN): one byte of what the client sent was read, the rest is left
 * unread when it closes.
 */
async function reset(conn: Deno.Conn, last?: Uint8Array): Promise<void> {
  assertEquals(await conn.read(new Uint8Array(1)), 1);
  if (last !== undefined) await conn.write(last);
  conn.close();
}

Deno.test("StompClient ends with the server's ERROR, not the write that failed on the reset after it (scripted server: ERROR then a reset, 200 runs)", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `tcp://127.0.0.1:${listener.addr.port}`;
  for (let run = 0; run < 200; run++) {
    const accepted = listener.accept();
    const connecting = StompClient.connectUrl(url, { onError: () => {} });
    const conn = await accepted;
    await readFrame(conn);
    await conn.write(CONNECTED);
    const client = await connecting;
    client.send("/queue/a", "first").catch(() => {});
    await reset(conn, ERROR);
    // Written at once, before the client has read the ERROR: the write
    // fails on the reset.
    assertEquals(client.state, "connected", `run ${run}`);
    const refused = await client.send("/queue/a", "second", { receipt: true })
      .then(() => undefined, (error: unknown) => error);
    const closed = await client.closed.then(
      () => undefined,
      (error: unknown) => error,
    );
    for (const error of [refused, closed]) {
      assertInstanceOf(error, StompConnectionError, `run ${run}`);
      assertEquals(
        error.message,
        "Connection ended by an ERROR from the server: no exchange 'x'",
        `run ${run}`,
      );
      assertInstanceOf(error.cause, StompServerError);
    }
  }
});

Deno.test("Connection whose write failed and whose reader is paused is lost within a bounded time, with the write's failure (scripted server: a reset)", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const transport = fromConn(
    await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  );
  const conn = await accepted;
  const session = new StompSession({ heartBeat: [0, 0] });
  const lost: string[] = [];
  let paused = false;
  const connection = new Connection(1, transport, {
    limits: {},
    timers: SYSTEM,
    grace: 3,
  }, {
    frame: (connection, frame) => {
      const event = session.receive(frame);
      if (event.type === "connected") {
        connection.established(event.version, event.heartBeat);
        // A subscription's buffer is full: nothing more is read.
        paused = true;
      }
    },
    lost: (_, error) => lost.push(error.message),
    mustPause: () => paused,
  });
  const opening = connection.open(session.connectFrame());
  await readFrame(conn);
  await conn.write(CONNECTED);
  await opening;
  const outbox = new Outbox(1 << 20);
  connection.drain(outbox);
  outbox.pushPlain("SEND", ["destination", "/q"], "1", undefined, undefined);
  connection.kick();
  await reset(conn);
  const start = performance.now();
  outbox.pushPlain("SEND", ["destination", "/q"], "2", undefined, undefined);
  connection.kick();
  await connection.ended.promise;
  const waited = performance.now() - start;
  assertEquals(lost.length, 1);
  assert(lost[0]!.startsWith("Connection lost while sending: "), lost[0]);
  // The read side had its while (200 ms), and no more.
  assert(waited >= 150 && waited < 2000, `${waited} ms`);
  await connection.reading;
});
