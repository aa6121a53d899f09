// The transport examples in examples/ run as documented (same permissions)
// against the brokers, so that they cannot rot.

import { assertEquals, assertMatch } from "@std/assert";
import { importMapArgs } from "./_bundle.ts";
import { BROKERS, START_HINT } from "./_codec_session.ts";

const ROOT = new URL("../../", import.meta.url);

async function runExample(
  file: string,
  permissions: string[],
  env: Record<string, string> = {},
) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...importMapArgs(), ...permissions, file],
    cwd: ROOT.pathname,
    env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  if (output.code !== 0) {
    throw new Error(
      `${file} exited with ${output.code} (if a broker is down, ${START_HINT}):\n${stdout}${stderr}`,
    );
  }
  return stdout;
}

/** What examples/_hello.ts prints for a broker that answers DISCONNECT. */
function assertHello(stdout: string, url: string, server: RegExp) {
  const lines = stdout.trim().split("\n");
  assertEquals(lines[0], "CONNECTED (the answer to CONNECT)");
  assertMatch(lines[1]!, server);
  assertEquals(lines[2], "RECEIPT (the SUBSCRIBE went through)");
  assertEquals(lines[3], "MESSAGE (our message, back from the broker)");
  assertEquals(lines[4], `  body: hello over ${url}`);
  return lines.slice(5);
}

Deno.test("examples/tcp.ts says hello through RabbitMQ and ActiveMQ", async () => {
  for (
    const [url, server] of [
      [BROKERS.rabbitmqTcp, /^ {2}version 1\.2, server RabbitMQ\//],
      [BROKERS.activemqTcp, /^ {2}version 1\.2, server ActiveMQ\//],
    ] as const
  ) {
    const stdout = await runExample(
      "examples/tcp.ts",
      ["--allow-net=127.0.0.1", "--allow-env=STOMP_URL"],
      { STOMP_URL: url },
    );
    assertEquals(assertHello(stdout, url, server), [
      "RECEIPT (the broker's goodbye)",
    ]);
  }
});

Deno.test("examples/tls.ts says hello through RabbitMQ over TLS", async () => {
  const stdout = await runExample(
    "examples/tls.ts",
    ["--allow-net=localhost", "--allow-read", "--allow-env=STOMP_URL,STOMP_CA"],
    { STOMP_URL: BROKERS.rabbitmqTls, STOMP_CA: BROKERS.tlsCa },
  );
  assertEquals(
    assertHello(stdout, BROKERS.rabbitmqTls, /server RabbitMQ\//),
    ["RECEIPT (the broker's goodbye)"],
  );
});

Deno.test("examples/websocket.ts says hello through RabbitMQ Web-STOMP", async () => {
  const stdout = await runExample(
    "examples/websocket.ts",
    ["--allow-net=127.0.0.1", "--allow-env=STOMP_URL"],
    { STOMP_URL: BROKERS.rabbitmqWs },
  );
  const [first, ...rest] = stdout.split("\n");
  assertEquals(first, "subprotocol v12.stomp");
  // Web-STOMP answers DISCONNECT by closing the socket, without a RECEIPT.
  assertEquals(
    assertHello(rest.join("\n"), BROKERS.rabbitmqWs, /server RabbitMQ\//),
    ["closed by the broker"],
  );
});

Deno.test("examples/fetch.ts streams frames through an HTTP request and response", async () => {
  const stdout = await runExample("examples/fetch.ts", [
    "--allow-net=127.0.0.1",
  ]);
  assertEquals(stdout.trim().split("\n"), [
    "MESSAGE 1: [102, 105, 114, 115, 116]",
    "MESSAGE 2: [0, 1, 2, 255]",
    "RECEIPT r-2: []",
  ]);
});
