// The library under Node 20+: examples/node.mjs, run by /usr/bin/node against
// RabbitMQ over tcp://, stomp://, tls:// and stomp+ssl://, imports
// `@stomper/stomp` from a package that `deno bundle` builds into a temporary
// directory (Node cannot import the TypeScript sources).

import { assertEquals, assertMatch } from "@std/assert";
import { runUnderNode } from "./_bundle.ts";
import { assertReachable, BROKERS } from "./_codec_session.ts";

const EXAMPLE = await Deno.readTextFile(
  new URL("../../examples/node.mjs", import.meta.url),
);

/** The URL with another scheme. */
function withScheme(url: string, scheme: string): string {
  return url.replace(/^[a-z+]+:/, `${scheme}:`);
}

Deno.test("examples/node.mjs runs under Node against RabbitMQ over tcp://, stomp://, tls:// and stomp+ssl://", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  await assertReachable(BROKERS.rabbitmqTls, "RabbitMQ over TLS");
  for (
    const url of [
      BROKERS.rabbitmqTcp,
      withScheme(BROKERS.rabbitmqTcp, "stomp"),
      BROKERS.rabbitmqTls,
      withScheme(BROKERS.rabbitmqTls, "stomp+ssl"),
    ]
  ) {
    const { code, stdout, stderr } = await runUnderNode(EXAMPLE, {
      STOMP_URL: url,
      STOMP_CA: BROKERS.tlsCa,
    });
    assertEquals(code, 0, `node failed for ${url}:\n${stdout}${stderr}`);
    const lines = stdout.trim().split("\n");
    assertEquals(lines.length, 3, stdout);
    assertEquals(
      lines[0]!.replace(/RabbitMQ\/[\d.]+/, "RabbitMQ/x"),
      `connected: STOMP 1.2 (RabbitMQ/x) over ${new URL(url).protocol}`,
    );
    assertMatch(lines[1]!, /^received: hello from Node v2\d+\.\d+\.\d+$/);
    assertEquals(lines[2], "disconnected: closed");
    assertEquals(stderr, "");
  }
});
