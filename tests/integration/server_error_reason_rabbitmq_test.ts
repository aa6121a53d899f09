// The server's whole reason, from a real RabbitMQ ERROR whose body has
// several lines, in the client's error, the CLI's output and the demo's
// (both run as a user runs them, in processes of their own).

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { connected, error } from "@stomper/stomp";
import { StompServerError } from "@stomper/stomp/client";
import { scriptedServer } from "../_peer.ts";
import {
  BROKERS,
  cliArgs,
  connectTo,
  runDeno,
  START_HINT,
  withGuest,
} from "./_client.ts";

// RabbitMQ's ERROR for SUBSCRIBE to /bogus/x: header "Unknown destination",
// a body of two lines.
const UNKNOWN_DESTINATION =
  "Unknown destination: '/bogus/x' is not a valid destination. Valid destination types are: /temp-queue, /exchange, /topic, /queue, /amq/queue, /reply-queue/.";

// What RabbitMQ sends when an operator closes the connection
// (`rabbitmqctl close_all_connections "maintenance window"`).
const CHANNEL_DIED_BODY = `Reason: {shutdown,
            {connection_closing,
             {server_initiated_close,320,<<"maintenance window">>}}}
`;
const CHANNEL_DIED =
  'AMQP channel died: Reason: {shutdown, {connection_closing, {server_initiated_close,320,<<"maintenance window">>}}}';

Deno.test("StompServerError from RabbitMQ refusing a destination carries both lines of its reason", async () => {
  await using stomp = await connectTo(BROKERS.rabbitmqTcp, {
    onError: () => {},
  });
  let refused: unknown;
  try {
    await stomp.subscribe("/bogus/x", { receipt: true });
  } catch (error) {
    refused = error;
  }
  assertInstanceOf(refused, StompServerError);
  assertEquals(refused.message, UNKNOWN_DESTINATION);
  assertEquals(refused.details.trimEnd().split("\n").length, 2);
});

Deno.test("stomper cli prints the whole reason of RabbitMQ's multi-line ERROR", async () => {
  const run = await runDeno(
    cliArgs("subscribe", withGuest(BROKERS.rabbitmqTcp), "/bogus/x"),
    {},
    30000,
  );
  assertEquals(run.code, 1, `${run.stderr}\n${START_HINT}`);
  assert(run.stderr.includes(UNKNOWN_DESTINATION), run.stderr);
});

/** A scripted server: CONNECTED, then RabbitMQ's ERROR for a SUBSCRIBE. */
function channelDies() {
  return scriptedServer(async (peer) => {
    await peer.expect("CONNECT");
    await peer.send(connected({ version: "1.2" }));
    const subscribe = await peer.expect("SUBSCRIBE", 20000);
    const receiptId = subscribe.headers.get("receipt");
    await peer.send(
      error(
        "AMQP channel died",
        CHANNEL_DIED_BODY,
        receiptId === undefined ? {} : { receiptId },
      ),
    );
    await peer.end(20000);
  });
}

Deno.test("stomper cli prints the whole reason of a scripted server's AMQP channel died", async () => {
  await using server = channelDies();
  const run = await runDeno(cliArgs("subscribe", server.url, "/queue/a"));
  assertEquals(run.code, 1, run.stderr);
  assert(run.stderr.includes(CHANNEL_DIED), run.stderr);
});

Deno.test("deno task demo prints the whole reason of a scripted server's AMQP channel died", async () => {
  await using server = channelDies();
  const run = await runDeno(["task", "-q", "demo:offline"], {
    STOMP_URL: server.url,
  });
  assertEquals(run.code, 1, run.stdout + run.stderr);
  assert(
    run.stderr.includes(`demo failed: ${CHANNEL_DIED}`),
    run.stdout + run.stderr,
  );
});
