// A --header naming a header the tool writes itself was appended after the
// tool's own, and a broker takes the first of a repeated header: the user's
// value was dropped in silence (`--header ack:client-individual` subscribed
// with ack:auto, and what a closed pipe cut short was lost). The tool now
// refuses it before connecting, pointing to the option that sets it.

import { assertEquals } from "@std/assert";
import { runCli } from "../src/cli.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { cliIO } from "./_helpers.ts";

const CASES = [
  [
    ["subscribe", "--wait", "0.2"],
    "ack:client-individual",
    '"ack"',
    "use --ack",
  ],
  [
    ["subscribe", "--wait", "0.2"],
    "destination:/queue/other",
    '"destination"',
    "<destination>",
  ],
  [["subscribe", "--wait", "0.2"], "id:mine", '"id"', "numbers"],
  [["subscribe", "--wait", "0.2"], "receipt:mine", '"receipt"', "asks for"],
  [
    ["send", "hi"],
    "destination:/queue/other",
    '"destination"',
    "<destination>",
  ],
  [["send", "hi"], "receipt:mine", '"receipt"', "asks for"],
  [
    ["send", "hi"],
    "content-length:3",
    '"content-length"',
    "--no-content-length",
  ],
] as const;

for (const [[command, ...rest], header, name, advice] of CASES) {
  Deno.test(`runCli ${command} --header ${header} exits 2 before connecting, since the tool writes ${name} itself`, async () => {
    const frames: string[] = [];
    await using broker = StompTestBroker.listen({
      onFrame: (frame) => frames.push(frame.command),
    });
    const io = cliIO();
    const status = await runCli(
      [command, broker.url, "/queue/own", ...rest, "--header", header],
      io,
    );
    assertEquals(status, 2, io.err.join("\n"));
    assertEquals(
      io.err[0]?.startsWith(`stomper: Option --header cannot set ${name}: `),
      true,
      io.err.join("\n"),
    );
    assertEquals(io.err[0]?.includes(advice), true, io.err[0]);
    assertEquals(frames, [], "nothing sent");
  });
}

Deno.test("runCli send --header content-type exits 2 with --content-type too, and is sent without it", async () => {
  const frames: string[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => frames.push(frame.command),
  });
  const both = cliIO();
  const args = [
    "send",
    broker.url,
    "/queue/own-type",
    "{}",
    "--header",
    "content-type:text/plain",
  ];
  assertEquals(
    await runCli([...args, "--content-type", "application/json"], both),
    2,
  );
  assertEquals(
    both.err[0],
    'stomper: Option --header cannot set "content-type" when --content-type is given',
  );
  assertEquals(frames, [], "nothing sent");
  const alone = cliIO();
  assertEquals(await runCli(args, alone), 0, alone.err.join("\n"));
  const sub = cliIO();
  assertEquals(
    await runCli(
      ["subscribe", broker.url, "/queue/own-type", "--count", "1", "--json"],
      sub,
    ),
    0,
    sub.err.join("\n"),
  );
  const headers = new Map<string, string>(JSON.parse(sub.out[0]!).headers);
  assertEquals(headers.get("content-type"), "text/plain");
});

Deno.test("runCli subscribe --header prefetch-count and a header of another case are the user's to give", async () => {
  await using broker = StompTestBroker.listen();
  const io = cliIO();
  const status = await runCli([
    "subscribe",
    broker.url,
    "/queue/own-allowed",
    "--header",
    "prefetch-count:5",
    "--header",
    "Ack:whatever",
    "--wait",
    "0.1",
  ], io);
  assertEquals(status, 0, io.err.join("\n"));
});
