// How `stomper subscribe --json` writes a body: base64 for bytes that are not
// UTF-8, whatever their length, through the test broker.

import { assertEquals } from "@std/assert";
import { runCli } from "../src/cli.ts";
import { StompClient } from "../src/client/mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { cliIO, prngUint32 } from "./_helpers.ts";

/** The --json lines of `count` messages of the queue. */
async function jsonLines(
  broker: StompTestBroker,
  queue: string,
  count: number,
): Promise<Record<string, unknown>[]> {
  const io = cliIO();
  const status = await runCli(
    ["subscribe", broker.url, queue, "--count", String(count), "--json"],
    io,
  );
  assertEquals(status, 0, io.err.join("\n"));
  return io.out.map((line) => JSON.parse(line));
}

Deno.test("runCli subscribe --json writes binary bodies of every length as bodyBase64, across slice boundaries", async () => {
  await using broker = StompTestBroker.listen();
  const queue = "/queue/json-binary";
  const lengths = [1, 2, 3, 4, 24575, 24576, 24577, 49153];
  const random = prngUint32(7);
  const bodies = lengths.map((length) => {
    const body = Uint8Array.from({ length }, () => random() & 0xff);
    body[0] = 0xff; // Never UTF-8.
    return body;
  });
  {
    await using client = await StompClient.connectUrl(broker.url);
    for (const body of bodies) {
      await client.send(queue, body, { receipt: true });
    }
  }
  const lines = await jsonLines(broker, queue, bodies.length);
  const got = lines.map((line) =>
    Uint8Array.from(atob(line.bodyBase64 as string), (c) => c.charCodeAt(0))
  );
  assertEquals(got, bodies);
});
