// python3-stomper's STOMP 1.0 frames (stomper.stomp_10, the module of the
// library stomper descends from) against StompTestBroker, RabbitMQ and
// ActiveMQ. They write a space after each header's colon, which STOMP 1.0
// brokers take off the front of the value: the test broker must too.

import { assertEquals } from "@std/assert";
import type { StompFrame } from "@stomper/stomp";
import { StompTestBroker } from "@stomper/stomp/testing";
import { BROKERS } from "./_client.ts";
import { eventually, uniqueQueue } from "../_helpers.ts";

const SCRIPT = new URL("./foreign/stomper10_socket.py", import.meta.url);
const PYTHON = "/usr/bin/python3";

async function stomper10(
  hostname: string,
  port: number,
  login: string,
  queue: string,
): Promise<{ version: string | null; received: unknown[] }> {
  const output = await new Deno.Command(PYTHON, {
    args: [
      SCRIPT.pathname,
      JSON.stringify({ host: hostname, port, queue, login, passcode: login }),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder();
  const stderr = text.decode(output.stderr);
  if (/No module named 'stomper'/.test(stderr)) {
    throw new Error(
      'Cannot run python3-stomper: install it with "apt-get install -y python3-stomper" or "bash scripts/brokers.sh install" (as root)',
    );
  }
  assertEquals(output.code, 0, `stomper10 failed:\n${stderr}`);
  return JSON.parse(text.decode(output.stdout).trim().split("\n").at(-1)!);
}

function expected(queue: string) {
  return [
    { body: "one", destination: queue },
    { body: "two", destination: queue },
  ];
}

Deno.test("StompTestBroker serves python3-stomper's STOMP 1.0 frames, whose header values start with a space", async () => {
  const frames: StompFrame[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => frames.push(frame),
  });
  const queue = uniqueQueue("stomper10");
  const result = await stomper10(broker.hostname, broker.port, "guest", queue);
  assertEquals(result.version, null); // a 1.0 CONNECTED has none
  assertEquals(result.received, expected(queue));
  // onFrame sees the frames as the client wrote them.
  assertEquals(
    frames.find((f) => f.command === "SUBSCRIBE")?.headers.get("destination"),
    ` ${queue}`,
  );
  await eventually(() => broker.connections === 0);
  assertEquals(broker.depth(queue), 0);
  assertEquals(broker.unacknowledged(queue), 0);
});

for (
  const [name, url, login] of [
    ["RabbitMQ", BROKERS.rabbitmqTcp, "guest"],
    ["ActiveMQ", BROKERS.activemqTcp, "admin"],
  ] as const
) {
  Deno.test(`${name} serves python3-stomper's STOMP 1.0 frames (what the test broker matches)`, async () => {
    const { hostname, port } = new URL(url.replace(/^tcp:/, "http:"));
    const queue = uniqueQueue("stomper10");
    const result = await stomper10(hostname, Number(port), login, queue);
    assertEquals(result.version, "1.0");
    assertEquals(result.received, expected(queue));
  });
}
