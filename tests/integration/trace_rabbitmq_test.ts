// The trace hook and the counters against RabbitMQ over TCP: the trace of a
// known exchange is exact (RabbitMQ's session ids, version and message ids
// normalised) and redacts the passcode; sizes and counters match the bytes.

import { assert, assertEquals } from "@std/assert";
import { encodeFrame } from "@stomper/stomp";
import { type StompTraceEvent, traceLogger } from "@stomper/stomp/client";
import { BROKERS, connectTo } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";

/** The line without what differs from run to run. */
function normalise(line: string, queue: string): string {
  return line
    .replaceAll(queue, "/queue/Q")
    .replaceAll(/session-[A-Za-z0-9_-]+/g, "session-S")
    .replace(/server:RabbitMQ\/\S+/, "server:RabbitMQ/V")
    .replace(/ \(\d+ B\)$/, "");
}

Deno.test("StompClient trace of a known exchange with RabbitMQ is exact and redacts the passcode", async () => {
  const queue = uniqueQueue("trace");
  const events: StompTraceEvent[] = [];
  const lines: string[] = [];
  const log = traceLogger((line) => lines.push(line));
  const client = await connectTo(BROKERS.rabbitmqTcp, {
    heartBeat: [0, 0],
    trace: (event) => {
      events.push(event);
      log(event);
    },
  });
  const subscription = await client.subscribe(queue, {
    ack: "client-individual",
    receipt: true,
    headers: { "auto-delete": "true" },
  });
  await client.send(queue, "hello", { receipt: true });
  for await (const message of subscription) {
    await message.ack({ receipt: true });
    break;
  }
  await client.disconnect();
  // RabbitMQ ends every frame with an EOL: a heart-beat of 1 B after it. The
  // MESSAGE and the RECEIPT of the SEND come in either order.
  const id = "T_sub-1@@session-S@@1";
  const got = lines.map((line) => normalise(line, queue));
  const message =
    `<<< MESSAGE subscription:sub-1 destination:/queue/Q message-id:${id} redelivered:false ack:${id} receipt:r-2 content-length:5 body:"hello"`;
  const receipt = "<<< RECEIPT receipt-id:r-2";
  const [first, second] = got[7] === message
    ? [message, receipt]
    : [receipt, message];
  assertEquals(got, [
    ">>> CONNECT accept-version:1.0,1.1,1.2 host:/ login:guest passcode:*** heart-beat:0,0",
    "<<< CONNECTED server:RabbitMQ/V session:session-S heart-beat:0,0 version:1.2",
    "<<< heart-beat",
    ">>> SUBSCRIBE id:sub-1 destination:/queue/Q ack:client-individual receipt:r-1 auto-delete:true",
    "<<< RECEIPT receipt-id:r-1",
    "<<< heart-beat",
    '>>> SEND destination:/queue/Q receipt:r-2 content-length:5 body:"hello"',
    first,
    "<<< heart-beat",
    second,
    "<<< heart-beat",
    `>>> ACK id:${id} receipt:r-3`,
    "<<< RECEIPT receipt-id:r-3",
    "<<< heart-beat",
    ">>> UNSUBSCRIBE id:sub-1",
    ">>> DISCONNECT receipt:r-4",
    "<<< RECEIPT receipt-id:r-4",
    "<<< heart-beat",
  ]);
  assert(!lines.join("\n").includes("passcode:guest"));
  // Each size is that of the frame as encoded (with the real passcode,
  // "guest", as long as "***" plus 2); heart-beats are one LF.
  for (const event of events) {
    const frame = event.frame;
    const expected = frame === undefined ? 1 : encodeFrame(frame).length +
      (frame.command === "CONNECT" ? "guest".length - "***".length : 0);
    assertEquals(event.bytes, expected, frame?.command ?? "heart-beat");
  }
  const sum = (direction: "in" | "out") =>
    events.filter((e) => e.direction === direction)
      .reduce((total, e) => total + e.bytes, 0);
  const stats = client.stats;
  assertEquals(stats.bytesOut, sum("out"));
  assertEquals(stats.bytesIn, sum("in"));
  assertEquals(stats.framesOut, 6);
  assertEquals(stats.framesIn, 6);
  assertEquals(stats.messages, 1);
  assertEquals(stats.acks, 1);
  assertEquals(stats.nacks, 0);
  assertEquals(stats.reconnects, 0);
  assert(stats.lastReceivedAt !== undefined);
  assert(Math.abs(Date.now() - stats.lastReceivedAt) < 10000);
});

Deno.test("StompClient trace over RabbitMQ Web-STOMP lists each frame written, its sizes adding up to the counters", async () => {
  const queue = uniqueQueue("trace-ws");
  const events: StompTraceEvent[] = [];
  const client = await connectTo(BROKERS.rabbitmqWs, {
    heartBeat: [0, 0],
    trace: (event) => events.push(event),
  });
  const sends = [1, 2, 3].map((n) =>
    client.send(queue, `m${n}`, { headers: { "x-n": String(n) } })
  );
  await Promise.all(sends);
  await client.send(queue, "last", { receipt: true });
  await client.disconnect();
  const out = events.filter((e) => e.direction === "out");
  assertEquals(
    out.map((e) => e.frame?.command),
    ["CONNECT", "SEND", "SEND", "SEND", "SEND", "DISCONNECT"],
  );
  assertEquals(
    out.filter((e) => e.frame?.command === "SEND").map((e) => e.frame?.text),
    ["m1", "m2", "m3", "last"],
  );
  const stats = client.stats;
  assertEquals(stats.framesOut, 6);
  assertEquals(stats.bytesOut, out.reduce((sum, e) => sum + e.bytes, 0));
  assertEquals(
    stats.bytesIn,
    events.filter((e) => e.direction === "in").reduce((s, e) => s + e.bytes, 0),
  );
});
