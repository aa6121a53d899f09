// The stomper command-line tool in shell pipelines, each run as its own
// process against RabbitMQ (and ActiveMQ where the broker matters): lines
// piped into send --lines, subscribe --reconnect through a relay that cuts
// and refuses connections, subscribe --wait, and --json bodies.

import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  BROKERS,
  cliCommandLine as stomper,
  CliProcess,
  connectTo,
  Inbox,
  START_HINT,
  withGuest,
} from "./_client.ts";
import { ChaosRelay } from "../_chaos.ts";
import { bash, eventually, uniqueQueue } from "../_helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const lines of [20, 10000]) {
  Deno.test(`stomper cli send --lines sends ${lines} lines piped from seq to RabbitMQ over one connection, in order`, async () => {
    const queue = uniqueQueue("cli-lines");
    const url = withGuest(BROKERS.rabbitmqTcp);
    // The trace shows every CONNECT; with 10,000 lines it is left out.
    const trace = lines <= 20 ? ["--trace"] : [];
    const run = await bash(
      `seq ${lines} | ${stomper("send", url, queue, "--lines", ...trace)}`,
    );
    assertEquals(run.code, 0, `${run.stderr}\n${START_HINT}`);
    const bytes = Array.from({ length: lines }, (_, i) => `${i + 1}`)
      .join("").length;
    assertMatch(
      run.stderr,
      new RegExp(
        `Sent ${lines} messages \\(one per line, ${bytes} bytes in all\\) to ${queue} \\(receipts confirmed\\)`,
      ),
    );
    if (trace.length > 0) {
      assertEquals(run.stderr.match(/^>>> CONNECT /gm)?.length, 1);
      assertEquals(run.stderr.match(/^>>> SEND .* receipt:/gm)?.length, lines);
    }
    console.log(`seq ${lines} | stomper send --lines: ${run.ms} ms`);
    await using client = await connectTo(BROKERS.rabbitmqTcp);
    const inbox = new Inbox(
      await client.subscribe(queue, { receipt: true }),
    );
    const got = (await inbox.take(lines, 20000)).map((m) => m.text);
    assertEquals(got, Array.from({ length: lines }, (_, i) => `${i + 1}`));
    assertEquals(await inbox.next(200), undefined, "nothing more");
  });
}

/**
 * `stomper send --lines` to a new queue of RabbitMQ (through `url`), as a
 * process, with a subscriber on the queue: `input` written, and the message
 * `expected` seen to arrive. Disposing it ends the process, then the
 * subscriber's client.
 */
async function sendLines(
  name: string,
  input: string,
  expected: string,
  url = BROKERS.rabbitmqTcp,
): Promise<{ cli: CliProcess; inbox: Inbox } & AsyncDisposable> {
  const queue = uniqueQueue(name);
  const client = await connectTo(BROKERS.rabbitmqTcp);
  const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));
  const cli = new CliProcess("send", withGuest(url), queue, "--lines");
  const dispose = async () => {
    await cli[Symbol.asyncDispose]();
    await client[Symbol.asyncDispose]();
  };
  try {
    await cli.write(input);
    assertEquals(
      (await inbox.next(10000))?.text,
      expected,
      `${cli.stderr}\n${START_HINT}`,
    );
  } catch (error) {
    await dispose();
    throw error;
  }
  return { cli, inbox, [Symbol.asyncDispose]: dispose };
}

Deno.test("stomper cli send --lines sends each line to RabbitMQ as it is read, before the input ends", async () => {
  await using run = await sendLines("cli-lines-live", "first\r\n", "first");
  const { cli, inbox } = run;
  await cli.write("sec");
  await sleep(100);
  await cli.write("ond\n\nthird");
  assertEquals((await inbox.next(5000))?.text, "second");
  await cli.stdin.close();
  assertEquals(await cli.exited(5000), 0, cli.stderr);
  assertEquals((await inbox.next(5000))?.text, "third");
  assertMatch(cli.stderr, /^Sent 3 messages \(one per line, 16 bytes in all\)/);
});

Deno.test("stomper cli send --lines on SIGINT exits 130, having sent the lines that ended and nothing of the one cut short", async () => {
  await using run = await sendLines("cli-lines-stop", "whole\npart", "whole");
  const { cli, inbox } = run;
  cli.kill("SIGINT");
  assertEquals(await cli.exited(1000), 130, cli.stderr);
  assertEquals(await inbox.next(300), undefined, "nothing of the cut line");
});

Deno.test("stomper cli send --lines exits 1 at once when a relay to RabbitMQ cuts the connection while the input is quiet", async () => {
  await using relay = ChaosRelay.start({
    port: Number(new URL(BROKERS.rabbitmqTcp).port),
  });
  await using run = await sendLines(
    "cli-lines-cut",
    "sent\n",
    "sent",
    relay.url,
  );
  const { cli } = run;
  // Its RECEIPT comes back before the cut.
  await sleep(300);
  relay.cut();
  // Standard input stays open: the tool ends on the lost connection.
  assertEquals(await cli.exited(3000), 1, cli.stderr);
  assertMatch(
    cli.stderr,
    /^stomper: Cannot send the lines of standard input: .* \(1 message was confirmed\)\n$/,
  );
});

Deno.test("stomper cli subscribe --reconnect through a relay to RabbitMQ subscribes again after a cut and after connections were refused for a while", async () => {
  const queue = uniqueQueue("cli-reconnect");
  await using relay = ChaosRelay.start({
    port: Number(new URL(BROKERS.rabbitmqTcp).port),
  });
  await using client = await connectTo(BROKERS.rabbitmqTcp);
  await using cli = new CliProcess(
    "subscribe",
    withGuest(relay.url),
    queue,
    "--reconnect",
    "--ack",
    "client-individual",
    "--count",
    "3",
  );
  const reconnected = () =>
    cli.stderr.match(/^stomper: Reconnected; subscribing again$/gm)?.length ??
      0;
  await client.send(queue, "one", { receipt: true });
  await eventually(
    () => cli.stdout === "one\n",
    10000,
    `the first message\n${START_HINT}`,
  );
  // Its ACK goes out once written: let it reach the broker before the cut.
  await sleep(300);
  relay.cut();
  await eventually(() => reconnected() === 1, 5000, "the first reconnection");
  await client.send(queue, "two", { receipt: true });
  await eventually(() => cli.stdout === "one\ntwo\n", 5000, "after the cut");
  await sleep(300);
  // The broker is away: the tool retries with its backoff until it is back.
  await relay.refuse();
  relay.cut();
  await eventually(
    () => /^stomper: Reconnection attempt 2 failed: /m.test(cli.stderr),
    5000,
    "two failed attempts",
  );
  relay.accept();
  await eventually(() => reconnected() === 2, 10000, "the second reconnection");
  await client.send(queue, "three", { receipt: true });
  assertEquals(await cli.exited(5000), 0, cli.stderr);
  assertEquals(cli.stdout, "one\ntwo\nthree\n");
  assertEquals(
    cli.stderr.match(/^stomper: Connection lost.*; reconnecting$/gm)?.length,
    2,
    cli.stderr,
  );
  // Each message was acknowledged once written: none is left.
  const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));
  assertEquals(await inbox.next(300), undefined, "nothing left");
});

Deno.test("stomper cli subscribe without --reconnect exits 1 when a relay to RabbitMQ cuts the connection", async () => {
  await using relay = ChaosRelay.start({
    port: Number(new URL(BROKERS.rabbitmqTcp).port),
  });
  await using cli = new CliProcess(
    "subscribe",
    withGuest(relay.url),
    uniqueQueue("cli-no-reconnect"),
  );
  await eventually(() => relay.open === 1, 10000, `connected\n${START_HINT}`);
  await sleep(300);
  relay.cut();
  assertEquals(await cli.exited(5000), 1);
  assertMatch(cli.stderr, /^stomper: /);
});

Deno.test("stomper cli subscribe --reconnect exits 1 at once when the first connection fails", async () => {
  await using relay = ChaosRelay.start({
    port: Number(new URL(BROKERS.rabbitmqTcp).port),
  });
  await relay.refuse();
  const run = await bash(
    stomper("subscribe", withGuest(relay.url), "/queue/x", "--reconnect"),
  );
  assertEquals(run.code, 1, run.stderr);
  assertMatch(run.stderr, /^stomper: /);
  assert(!run.stderr.includes("Reconnection attempt"), run.stderr);
});

Deno.test("stomper cli subscribe --wait exits 0 once RabbitMQ has sent nothing for that long, the time starting again after each message", async () => {
  const queue = uniqueQueue("cli-wait");
  await using client = await connectTo(BROKERS.rabbitmqTcp);
  await using cli = new CliProcess(
    "subscribe",
    withGuest(BROKERS.rabbitmqTcp),
    queue,
    "--wait",
    "1",
  );
  // The tool is subscribed once RabbitMQ shows a consumer; simpler: the
  // first message is sent before it subscribes and waits in the queue.
  await client.send(queue, "m1", { receipt: true });
  await eventually(() => cli.stdout === "m1\n", 10000, START_HINT);
  for (const body of ["m2", "m3"]) {
    await sleep(600);
    await client.send(queue, body, { receipt: true });
  }
  const lastSent = performance.now();
  assertEquals(await cli.exited(5000), 0, cli.stderr);
  const after = performance.now() - lastSent;
  assertEquals(cli.stdout, "m1\nm2\nm3\n");
  assertEquals(cli.stderr, "No message for 1 s: stopping after 3 messages\n");
  assert(after >= 900, `exited ${after} ms after the last message`);
});

for (
  const [name, url] of [
    ["RabbitMQ", BROKERS.rabbitmqTcp],
    ["ActiveMQ", BROKERS.activemqTcp],
  ] as const
) {
  Deno.test(`stomper cli subscribe --count 1 --wait 0.5 exits 0 with no output on an empty ${name} queue`, async () => {
    const run = await bash(
      stomper(
        "subscribe",
        withGuest(url),
        uniqueQueue("cli-wait-empty"),
        "--count",
        "1",
        "--wait",
        "0.5",
      ),
    );
    assertEquals(run.code, 0, `${run.stderr}\n${START_HINT}`);
    assertEquals(run.stdout, "");
    assertEquals(
      run.stderr,
      "No message for 0.5 s: stopping after 0 messages\n",
    );
    console.log(`${name}: exited after ${run.ms} ms`);
  });
}

Deno.test("stomper cli subscribe --json embeds JSON bodies sent through RabbitMQ as JSON, an invalid one as text", async () => {
  const queue = uniqueQueue("cli-json");
  const url = withGuest(BROKERS.rabbitmqTcp);
  const run = await bash(
    `printf '{"n": 1, "big": 98765432109876543210}\\n[true]\\n' | ${
      stomper(
        "send",
        url,
        queue,
        "--lines",
        "--content-type",
        "application/json",
      )
    } && ${
      stomper(
        "send",
        url,
        queue,
        "{oops",
        "--content-type",
        "application/problem+json",
      )
    } && ${stomper("subscribe", url, queue, "--json", "--count", "3")}`,
  );
  assertEquals(run.code, 0, `${run.stderr}\n${START_HINT}`);
  const lines = run.stdout.trimEnd().split("\n");
  assertEquals(lines.length, 3, run.stdout);
  assert(
    lines[0]!.endsWith(`,"body":{"n":1,"big":98765432109876543210}}`),
    lines[0],
  );
  const [first, second, third] = lines.map((line) => JSON.parse(line));
  assertEquals(first.body.n, 1);
  assertEquals(second.body, [true]);
  assertEquals(third.body, "{oops");
  assertEquals(first.destination, queue);
});
