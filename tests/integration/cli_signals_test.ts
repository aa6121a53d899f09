// The stomper command-line tool in its own process, stopped by SIGINT or
// SIGTERM while it waits for a RECEIPT, while it is subscribed and while it
// reads standard input: it must exit 130 (143 for SIGTERM) within a second
// and leave nothing half done.

import { assert, assertEquals } from "@std/assert";
import { connected } from "@stomper/stomp";
import { StompTestBroker } from "@stomper/stomp/testing";
import { scriptedServer } from "../_peer.ts";
import {
  BROKERS,
  CliProcess,
  connectTo,
  Inbox,
  START_HINT,
  withGuest,
} from "./_client.ts";
import { eventually, uniqueQueue } from "../_helpers.ts";

/** Asserts the CLI exited by itself with `code`, in time. */
function assertExited(
  { status, ms }: { status: Deno.CommandStatus; ms: number },
  code: number,
  cli: CliProcess,
): void {
  assertEquals(status.code, code, cli.stderr);
  // Exited with the status, not killed by the signal.
  assertEquals(status.signal, null);
  assert(ms < 1000, `exited after ${ms} ms`);
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`stomper cli exits ${code} on ${signal} while waiting for a RECEIPT`, async () => {
    let sent = false;
    let disconnected = false;
    await using server = scriptedServer(async (peer) => {
      assertEquals((await peer.next(10000)).command, "CONNECT");
      await peer.send(connected({ version: "1.2" }));
      assertEquals((await peer.next()).command, "SEND");
      sent = true;
      // Never answers the RECEIPT, nor the DISCONNECT.
      disconnected = (await peer.next(1500)).command === "DISCONNECT";
      await peer.end();
    });
    await using cli = new CliProcess("send", server.url, "/queue/a", "body");
    await eventually(() => sent, 10000, "SEND received");
    assertExited(await cli.stop(signal), code, cli);
    await server.done;
    assertEquals(disconnected, true);
    assertEquals(cli.stderr, "");
  });
}

Deno.test("stomper cli exits 130 on SIGINT while subscribed to the test broker", async () => {
  await using broker = StompTestBroker.listen();
  const queue = "/queue/cli-signals";
  await using cli = new CliProcess(
    "subscribe",
    broker.url,
    queue,
    "--ack",
    "client",
  );
  await using client = await connectTo(broker.url);
  await client.send(queue, "first", { receipt: true });
  await eventually(() => cli.stdout === "first\n", 10000, "first printed");
  assertExited(await cli.stop("SIGINT"), 130, cli);
  await eventually(() => broker.connections === 1, 1000, "CLI disconnected");
  // Nobody subscribes any more: the next message stays in the queue.
  await client.send(queue, "second", { receipt: true });
  assertEquals(broker.depth(queue), 1);
  assertEquals(broker.unacknowledged(queue), 0);
});

Deno.test("stomper cli exits 130 on SIGINT while subscribed to RabbitMQ", async () => {
  const queue = uniqueQueue("cli-signals");
  await using client = await connectTo(BROKERS.rabbitmqTcp);
  await using cli = new CliProcess(
    "subscribe",
    withGuest(BROKERS.rabbitmqTcp),
    queue,
  );
  await client.send(queue, "first", { receipt: true });
  await eventually(
    () => cli.stdout === "first\n",
    10000,
    `first printed (${START_HINT})`,
  );
  assertExited(await cli.stop("SIGINT"), 130, cli);
  // The CLI's subscription is gone: the next message comes to this one.
  await client.send(queue, "second", { receipt: true });
  const subscription = await client.subscribe(queue, { receipt: true });
  const inbox = new Inbox(subscription);
  assertEquals((await inbox.take(1))[0]?.text, "second");
  await subscription.unsubscribe();
});

Deno.test("stomper cli exits 130 on SIGINT while reading stdin, sending nothing", async () => {
  await using broker = StompTestBroker.listen();
  const queue = "/queue/cli-stdin";
  await using cli = new CliProcess("send", broker.url, queue);
  await eventually(() => broker.connections === 1, 10000, "CLI connected");
  await cli.stdin.write(new TextEncoder().encode("half a bo"));
  // Let the CLI read the part; standard input stays open.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assertExited(await cli.stop("SIGINT"), 130, cli);
  await eventually(() => broker.connections === 0, 1000, "CLI disconnected");
  assertEquals(broker.depth(queue), 0);
  assertEquals(cli.stderr, "");
});
