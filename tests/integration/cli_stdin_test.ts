// The stomper command-line tool reading standard input that never ends or
// holds a line too long to send, run as its own process against the test
// broker: it must stop reading at the largest body it can send, not hold the
// whole input in memory.

import { assertEquals, assertMatch } from "@std/assert";
import { CliProcess } from "./_client.ts";
import { StompTestBroker } from "../../src/testing/mod.ts";

/** The largest body the tool sends: the client's default maxSendBodyBytes. */
const LIMIT = 64 * 1024 * 1024;

/**
 * Writes chunks of `x` (no LF) to the tool's standard input until `bytes`
 * were written or the tool stopped reading; the input stays open.
 */
async function feed(cli: CliProcess, bytes: number): Promise<number> {
  const chunk = new Uint8Array(1024 * 1024).fill(0x78);
  let written = 0;
  try {
    while (written < bytes) {
      await cli.stdin.write(chunk);
      written += chunk.length;
    }
  } catch {
    // The tool closed its standard input: it stopped reading.
  }
  return written;
}

Deno.test("stomper cli send refuses standard input over 64 MiB once it has read that much, before the input ends", async () => {
  await using broker = StompTestBroker.listen();
  await using cli = new CliProcess("send", broker.url, "/queue/big");
  // More than the limit, and the input is left open: a tool that waits for
  // its end never exits.
  const fed = feed(cli, LIMIT + 8 * 1024 * 1024);
  const code = await cli.exited(30000);
  assertEquals(code, 1, cli.stderr);
  assertMatch(
    cli.stderr,
    /^stomper: Cannot send standard input: it is over 67108864 bytes, the largest body the tool sends \(maxSendBodyBytes\)$/m,
  );
  await fed;
  assertEquals(broker.depth("/queue/big"), 0);
});

Deno.test("stomper cli send --lines refuses a line over 64 MiB once it has read that much, naming it, having sent the lines before it", async () => {
  await using broker = StompTestBroker.listen();
  await using cli = new CliProcess(
    "send",
    broker.url,
    "/queue/lines",
    "--lines",
  );
  await cli.write("one\ntwo\n");
  const fed = feed(cli, LIMIT + 8 * 1024 * 1024);
  const code = await cli.exited(30000);
  assertEquals(code, 1, cli.stderr);
  assertMatch(
    cli.stderr,
    /^stomper: Cannot send line 3 of standard input: it is over 67108864 bytes, the largest body the tool sends \(maxSendBodyBytes\) \(2 messages were confirmed before it\)$/m,
  );
  await fed;
  assertEquals(broker.depth("/queue/lines"), 2);
});
