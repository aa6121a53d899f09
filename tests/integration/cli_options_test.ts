// The stomper command-line tool in its own process: usage errors for a bad URL scheme and an unreadable CA file,
// `send --count`, STOMP_CA, `subscribe --raw`, and the prefetch that
// `subscribe --count N` asks for with a client ack mode.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import {
  BROKERS,
  cliArgs,
  type DenoRun,
  runDeno,
  START_HINT,
  withGuest,
} from "./_client.ts";
import { denoWithStdin, uniqueQueue } from "../_helpers.ts";

function cli(env: Record<string, string>, ...args: string[]): Promise<DenoRun> {
  return runDeno(cliArgs(...args), env, 30000);
}

/** Runs the CLI with this standard input; its standard output as bytes. */
function cliBytes(
  stdin: Uint8Array,
  ...args: string[]
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  return denoWithStdin(cliArgs(...args), stdin, 30000);
}

Deno.test("stomper cli exits 2 for a URL scheme it cannot open, naming the accepted ones", async () => {
  const run = await cli({}, "send", "http://127.0.0.1:61613", "/queue/a", "x");
  assertEquals(run.code, 2, run.stderr);
  assertMatch(
    run.stderr,
    /^stomper: Unsupported URL scheme "http": expected tcp, tls, stomp, stomp\+ssl, ws or wss\n/,
  );
});

Deno.test("stomper cli exits 2 naming a --ca file that does not exist, or STOMP_CA's", async () => {
  const path = "/nonexistent/stomper-ca.pem";
  const flag = await cli(
    {},
    "send",
    "tls://127.0.0.1:61614",
    "/queue/a",
    "x",
    "--ca",
    path,
  );
  assertEquals(flag.code, 2, flag.stderr);
  assertMatch(
    flag.stderr,
    /^stomper: Cannot read the CA file "\/nonexistent\/stomper-ca\.pem": /,
  );
  const env = await cli(
    { STOMP_CA: path },
    "send",
    "tls://127.0.0.1:61614",
    "/queue/a",
    "x",
  );
  assertEquals(env.code, 2, env.stderr);
  assertMatch(
    env.stderr,
    /^stomper: Cannot read the CA file "\/nonexistent\/stomper-ca\.pem" \(from STOMP_CA\): /,
  );
});

Deno.test("stomper cli --help documents --raw, STOMP_CA, the prefetch of --count and send --count", async () => {
  const run = await cli({}, "--help");
  assertEquals(run.code, 0);
  for (
    const text of [
      "--raw",
      "STOMP_CA",
      "prefetch-count",
      "send the message N times",
    ]
  ) {
    assert(run.stdout.includes(text), text);
  }
});

Deno.test("stomper cli send --count sends standard input N times; subscribe --raw writes the bytes", async () => {
  await using broker = StompTestBroker.listen();
  const body = new Uint8Array([0, 255, 10, 0x80, 13, 10]);
  const sent = await cliBytes(
    body,
    "send",
    broker.url,
    "/queue/raw",
    "--count",
    "3",
  );
  assertEquals(sent.code, 0, sent.stderr);
  assertEquals(
    sent.stderr,
    "Sent 3 messages of 6 bytes each to /queue/raw (receipts confirmed)\n",
  );
  assertEquals(broker.depth("/queue/raw"), 3);
  const got = await cliBytes(
    new Uint8Array(),
    "subscribe",
    broker.url,
    "/queue/raw",
    "--raw",
    "--count",
    "1",
  );
  assertEquals(got.code, 0, got.stderr);
  assertEquals(got.stdout, body);
});

Deno.test("stomper cli uses STOMP_CA for a tls:// URL, and --ca wins over it", async () => {
  const queue = uniqueQueue("cli-stomp-ca");
  const url = withGuest(BROKERS.rabbitmqTls);
  const sent = await cli({ STOMP_CA: BROKERS.tlsCa }, "send", url, queue, "x");
  assertEquals(sent.code, 0, `${sent.stderr}\n${START_HINT}`);
  const wins = await cli(
    { STOMP_CA: "/nonexistent/ca.pem" },
    "subscribe",
    url,
    queue,
    "--count",
    "1",
    "--ca",
    BROKERS.tlsCa,
  );
  assertEquals(wins.code, 0, wins.stderr);
  assertEquals(wins.stdout, "x\n");
});

for (
  const [name, url] of [
    ["RabbitMQ", BROKERS.rabbitmqTcp],
    ["ActiveMQ", BROKERS.activemqTcp],
  ] as const
) {
  Deno.test(`stomper cli subscribe --count 1 --ack client does not take the whole queue on ${name}`, async () => {
    const queue = uniqueQueue("cli-prefetch");
    const sent = await cli(
      {},
      "send",
      withGuest(url),
      queue,
      "m",
      "--count",
      "3",
    );
    assertEquals(sent.code, 0, `${sent.stderr}\n${START_HINT}`);
    const first = await cli(
      {},
      "subscribe",
      withGuest(url),
      queue,
      "--count",
      "1",
      "--ack",
      "client",
    );
    assertEquals(first.code, 0, first.stderr);
    assertEquals(first.stdout, "m\n");
    await using client = await StompClient.connectUrl(withGuest(url));
    const subscription = await client.subscribe(queue, { receipt: true });
    const redelivered: (string | undefined)[] = [];
    for await (const message of subscription) {
      redelivered.push(message.headers.get("redelivered"));
      if (redelivered.length === 2) break;
    }
    // Without a prefetch both come back redelivered. With one, the broker
    // may still refill the window after the last ACK, before the UNSUBSCRIBE
    // arrives: that one message comes back redelivered.
    const again = redelivered.filter((value) => value === "true").length;
    assert(again <= 1, String(redelivered));
  });
}
