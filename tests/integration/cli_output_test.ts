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

/** The tool's standard output as text, a leading U+FEFF kept. */
async function stdoutOf(...args: string[]): Promise<string> {
  const run = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(...args),
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assertEquals(run.code, 0, START_HINT);
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(run.stdout);
}

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

Deno.test("stomper cli keeps a body's leading byte order mark through RabbitMQ: printed, in --json, sent with --no-content-length", async () => {
  // Before: the UTF-8 decoder dropped it, 3 bytes gone from the text.
  const queue = uniqueQueue("cli-bom");
  const url = withGuest(BROKERS.rabbitmqTcp);
  const bom = [0xef, 0xbb, 0xbf];
  const bytes = (text: string) =>
    new Uint8Array([...bom, ...new TextEncoder().encode(text)]);
  await using client = await connectTo(BROKERS.rabbitmqTcp);
  await client.send(queue, bytes("hi"), { receipt: true });
  await client.send(queue, bytes("hi"), { receipt: true });
  await client.send(queue, bytes('{"id": 1}'), {
    receipt: true,
    contentType: "application/json",
  });
  // --ack client: the broker holds back what the first one does not take.
  const once = ["--ack", "client", "--wait", "5"];
  const printed = await stdoutOf(
    "subscribe",
    url,
    queue,
    "--count",
    "1",
    ...once,
  );
  assertEquals(printed, "\ufeffhi\n");
  const json = await stdoutOf(
    "subscribe",
    url,
    queue,
    "--count",
    "2",
    "--json",
    ...once,
  );
  const [text, typed] = json.trim().split("\n").map((line) => JSON.parse(line));
  assertEquals(text.body, "\ufeffhi");
  // A JSON body is embedded as JSON, which the mark is not part of.
  assertEquals(typed.body, { id: 1 });
  const sent = await bash(
    `printf '\\357\\273\\277hi\\n' | ${
      cliCommandLine("send", url, queue, "--lines", "--no-content-length")
    }`,
  );
  assertEquals(sent.code, 0, sent.stderr);
  const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));
  const message = await inbox.next(5000);
  assertEquals(message?.body, bytes("hi"));
});
