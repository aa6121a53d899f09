// The CLI against a destination RabbitMQ refuses: the ERROR comes after the
// SEND, receipt or not, and the tool must not report a message it lost as
// sent. Without receipts, RabbitMQ's refusal of a lone SEND can come after
// DISCONNECT's RECEIPT (1 run in 6 under load), and is then not seen, as
// docs/cli.md says; 20 SENDs ahead of DISCONNECT put it before.

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
      "--count",
      "20",
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
    new TextEncoder().encode("line\n".repeat(20)),
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
