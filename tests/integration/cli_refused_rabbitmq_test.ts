// The CLI against a destination RabbitMQ refuses: the ERROR comes after the
// SEND, receipt or not, and the tool must not report a message it lost as
// sent.

import { assertEquals, assertMatch } from "@std/assert";
import { BROKERS, cliArgs, runDeno, withGuest } from "./_client.ts";
import { denoWithStdin } from "../_helpers.ts";

const refused = () => `/exchange/stomper-missing-${crypto.randomUUID()}`;

Deno.test("stomper send --no-receipt exits 1 naming the ERROR of a destination RabbitMQ refuses", async () => {
  const destination = refused();
  const run = await runDeno(
    cliArgs(
      "send",
      withGuest(BROKERS.rabbitmqTcp),
      destination,
      "hi",
      "--no-receipt",
    ),
  );
  assertEquals(run.code, 1, run.stderr);
  assertMatch(run.stderr, /stomper: .*NOT_FOUND - no exchange/);
});

Deno.test("stomper send --lines --no-receipt exits 1 naming the ERROR of a destination RabbitMQ refuses", async () => {
  const destination = refused();
  const { code, stderr: text } = await denoWithStdin(
    cliArgs(
      "send",
      withGuest(BROKERS.rabbitmqTcp),
      destination,
      "--lines",
      "--no-receipt",
    ),
    new TextEncoder().encode("one\ntwo\n"),
  );
  assertEquals(code, 1, text);
  assertMatch(text, /stomper: .*NOT_FOUND - no exchange/);
});

Deno.test("stomper send with a receipt still exits 1 naming the ERROR of a destination RabbitMQ refuses", async () => {
  const run = await runDeno(
    cliArgs("send", withGuest(BROKERS.rabbitmqTcp), refused(), "hi"),
  );
  assertEquals(run.code, 1, run.stderr);
  assertMatch(run.stderr, /stomper: .*NOT_FOUND - no exchange/);
});
