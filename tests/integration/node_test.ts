// The library under Node 20+: examples/node.mjs, run by /usr/bin/node against
// RabbitMQ, imports `@stomper/stomp` from a package that `deno bundle` builds
// into a temporary directory (Node cannot import the TypeScript sources).

import { assertEquals, assertMatch } from "@std/assert";
import { runUnderNode } from "./_bundle.ts";
import { assertReachable, BROKERS } from "./_codec_session.ts";

Deno.test("examples/node.mjs runs under Node against RabbitMQ over node:net", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  const { code, stdout, stderr } = await runUnderNode(
    await Deno.readTextFile(
      new URL("../../examples/node.mjs", import.meta.url),
    ),
    { STOMP_URL: BROKERS.rabbitmqTcp },
  );
  assertEquals(code, 0, `node failed:\n${stdout}${stderr}`);
  const lines = stdout.trim().split("\n");
  assertEquals(lines.length, 3, stdout);
  assertMatch(lines[0]!, /^connected: STOMP 1\.2 \(RabbitMQ\/[\d.]+\)$/);
  assertMatch(lines[1]!, /^received: hello from Node v2\d+\.\d+\.\d+$/);
  assertEquals(lines[2], "disconnected: receipt bye");
});
