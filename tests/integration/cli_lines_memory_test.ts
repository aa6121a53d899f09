// What a long pipeline into `stomper send --lines` costs: the tool holds
// nothing per line once it is confirmed, so `tail -f app.log | stomper send
// ... --lines` can run for days. Each run is its own process with a capped
// V8 heap, against RabbitMQ (a topic nobody subscribes to: nothing is kept).

import { assertEquals, assertMatch } from "@std/assert";
import { BROKERS, cliArgs, START_HINT, withGuest } from "./_client.ts";
import { bash } from "../_helpers.ts";

for (const receipts of [true, false]) {
  Deno.test(`stomper cli send --lines${receipts ? "" : " --no-receipt"} sends 200,000 lines within a 24 MiB heap`, async () => {
    // Before: every line stayed reachable until the connection closed; the
    // run died out of memory at 24 and at 48 MiB (449 MB RSS for 400,000
    // lines without a cap, and 42 s where 100,000 took 5.5 s).
    const topic = `/topic/cli-lines-memory-${crypto.randomUUID()}`;
    const [run_, ...rest] = cliArgs(
      "send",
      withGuest(BROKERS.rabbitmqTcp),
      topic,
      "--lines",
      ...(receipts ? [] : ["--no-receipt"]),
    );
    const command = [
      Deno.execPath(),
      run_!,
      "--v8-flags=--max-old-space-size=24",
      ...rest,
    ].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
    const run = await bash(`seq 200000 | ${command}`, 90_000);
    assertEquals(run.code, 0, `${run.stderr.slice(-2000)}\n${START_HINT}`);
    assertMatch(
      run.stderr,
      new RegExp(
        `Sent 200000 messages \\(one per line, 1088895 bytes in all\\) to ${topic}${
          receipts ? " \\(receipts confirmed\\)" : ""
        }`,
      ),
    );
  });
}
