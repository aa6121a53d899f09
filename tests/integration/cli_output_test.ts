// What `stomper subscribe` writes, and what a failing error stream does to
// its exit status, each run as its own process against RabbitMQ: a large
// binary body as --json, a body that starts with a byte order mark, and
// standard error on a full disk.

import { assertEquals } from "@std/assert";
import {
  BROKERS,
  cliArgs,
  cliCommandLine,
  connectTo,
  Inbox,
  START_HINT,
  withGuest,
} from "./_client.ts";
import { bash, randomBytes, runCommand, uniqueQueue } from "../_helpers.ts";

/** `deno run` of the tool with V8's heap capped at `mb` MiB. */
function cappedCli(mb: number, ...args: string[]): string[] {
  const [run, ...rest] = cliArgs(...args);
  return [run!, `--v8-flags=--max-old-space-size=${mb}`, ...rest];
}

Deno.test("stomper cli subscribe --json writes a 24 MiB binary body from RabbitMQ as bodyBase64 within a 160 MiB heap", async () => {
  // Before: the body went into a string one character at a time, and the
  // run took 1.25 GB and 3.2 s for 30 MB (out of memory under this cap).
  const queue = uniqueQueue("cli-json-binary");
  const body = randomBytes(24 * 1024 * 1024);
  body[0] = 0xff; // Never UTF-8.
  {
    await using client = await connectTo(BROKERS.rabbitmqTcp);
    await client.send(queue, body, { receipt: true });
  }
  const start = performance.now();
  const run = await runCommand(
    Deno.execPath(),
    cappedCli(
      160,
      "subscribe",
      withGuest(BROKERS.rabbitmqTcp),
      queue,
      "--count",
      "1",
      "--json",
    ),
    { timeoutMs: 60_000 },
  );
  console.log(
    `24 MiB binary body as --json: ${Math.round(performance.now() - start)} ms`,
  );
  assertEquals(run.code, 0, `${run.stderr.slice(-2000)}\n${START_HINT}`);
  const line = JSON.parse(run.stdout);
  assertEquals(line.body, undefined);
  const binary = atob(line.bodyBase64);
  assertEquals(binary.length, body.length);
  const got = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  assertEquals(got, body);
});

Deno.test("stomper cli exits 0 for a message RabbitMQ confirmed when its standard error is a full disk, 1 for a failure", async () => {
  // Before: the "Sent" line failed to be written, and the tool exited 1 for
  // a message that was sent (a script that retries sends it twice).
  const queue = uniqueQueue("cli-stderr-full");
  const url = withGuest(BROKERS.rabbitmqTcp);
  const sent = await bash(
    `${cliCommandLine("send", url, queue, "hi")} 2>/dev/full`,
  );
  assertEquals(sent.code, 0, START_HINT);
  const waited = await bash(
    `${cliCommandLine("subscribe", url, queue, "--wait", "0.3")} 2>/dev/full`,
  );
  assertEquals([waited.code, waited.stdout], [0, "hi\n"]);
  const refused = await bash(
    `${cliCommandLine("send", "tcp://127.0.0.1:1", queue, "x")} 2>/dev/full`,
  );
  assertEquals(refused.code, 1);
  await using client = await connectTo(BROKERS.rabbitmqTcp);
  const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));
  assertEquals(await inbox.next(300), undefined, "taken once, acknowledged");
});
