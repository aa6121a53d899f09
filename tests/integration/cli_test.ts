// The stomper command-line tool as a user runs it, in its own process,
// against RabbitMQ over TCP and TLS and ActiveMQ.

import { assertEquals, assertMatch } from "@std/assert";
import {
  BROKERS,
  cliArgs,
  type DenoRun,
  runDeno,
  START_HINT,
  withGuest,
} from "./_client.ts";

function cli(...args: string[]): Promise<DenoRun> {
  return runDeno(
    cliArgs(...args),
    {},
    30000,
  );
}

for (
  const [name, url, extra] of [
    ["RabbitMQ over TCP", BROKERS.rabbitmqTcp, []],
    ["RabbitMQ over TLS", BROKERS.rabbitmqTls, ["--ca", BROKERS.tlsCa]],
    ["ActiveMQ over TCP", BROKERS.activemqTcp, []],
  ] as const
) {
  Deno.test(`stomper cli sends and receives through ${name}`, async () => {
    const queue = `/queue/stomper-cli-${crypto.randomUUID().slice(0, 8)}`;
    const sent = await cli(
      "send",
      withGuest(url),
      queue,
      "from the command line",
      ...extra,
    );
    assertEquals(sent.code, 0, `${sent.stderr}\n${START_HINT}`);
    assertMatch(sent.stderr, /Sent 21 bytes to .* \(receipt confirmed\)/);
    const got = await cli(
      "subscribe",
      withGuest(url),
      queue,
      "--count",
      "1",
      "--ack",
      "client",
      ...extra,
    );
    assertEquals(got.code, 0, got.stderr);
    assertEquals(got.stdout, "from the command line\n");
  });
}

Deno.test("stomper cli exits 1 with the broker's refusal on a bad login", async () => {
  const url = new URL(BROKERS.rabbitmqTcp);
  url.username = "guest";
  url.password = "wrong";
  const run = await cli("send", url.href, "/queue/x", "x");
  assertEquals(run.code, 1);
  assertMatch(run.stderr, /^stomper: /);
  assertMatch(run.stderr, /Access refused/);
});
