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
