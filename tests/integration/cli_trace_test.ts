// `stomper --trace` as a user runs it, in its own process, against RabbitMQ:
// the frames go to standard error, the passcode as ***, standard output
// keeps only the messages.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { BROKERS, cliArgs, runDeno, START_HINT, withGuest } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";

Deno.test("stomper --trace writes the frames of send and subscribe to stderr with the passcode redacted", async () => {
  const queue = uniqueQueue("cli-trace");
  const url = withGuest(BROKERS.rabbitmqTcp);
  const sent = await runDeno(
    cliArgs("send", url, queue, "traced body", "--trace"),
    {},
    30000,
  );
  assertEquals(sent.code, 0, `${sent.stderr}\n${START_HINT}`);
  assertEquals(sent.stdout, "");
  const lines = sent.stderr.trimEnd().split("\n");
  // The passcode is guest, as the login is: hiding the passcode wherever it
  // appears hides that login too.
  assertMatch(
    lines[0]!,
    /^>>> CONNECT accept-version:1\.0,1\.1,1\.2 host:\/ login:\*\*\* passcode:\*\*\* heart-beat:10000,10000 \(\d+ B\)$/,
  );
  assertMatch(lines[1]!, /^<<< CONNECTED server:RabbitMQ\/\S+ session:/);
  const wire =
    `SEND\ndestination:${queue}\nreceipt:r-1\ncontent-length:11\n\ntraced body\0`;
  assert(
    lines.includes(
      `>>> SEND destination:${queue} receipt:r-1 content-length:11 body:"traced body" (${wire.length} B)`,
    ),
    sent.stderr,
  );
  assert(lines.includes("<<< RECEIPT receipt-id:r-1 (25 B)"), sent.stderr);
  assert(lines.includes(`Sent 11 bytes to ${queue} (receipt confirmed)`));
  assert(!sent.stderr.includes("guest"));

  const got = await runDeno(
    cliArgs("subscribe", url, queue, "--count", "1", "--trace"),
    {},
    30000,
  );
  assertEquals(got.code, 0, got.stderr);
  assertEquals(got.stdout, "traced body\n");
  assert(
    got.stderr.split("\n").some((line) =>
      line.startsWith("<<< MESSAGE ") && line.includes('body:"traced body"')
    ),
    got.stderr,
  );
  assertMatch(got.stderr, /^>>> DISCONNECT receipt:r-\d+ \(\d+ B\)$/m);
});
