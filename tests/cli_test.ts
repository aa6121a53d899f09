import { assert, assertEquals, assertMatch } from "@std/assert";
import { type CliIO, runCli } from "../src/cli.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

function io(stdin?: Uint8Array): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    print: (line) => out.push(line),
    error: (line) => err.push(line),
    ...(stdin ? { readStdin: () => Promise.resolve(stdin) } : {}),
  };
}

Deno.test("runCli sends with a receipt, then subscribe prints and acks what arrived", async () => {
  await using broker = StompTestBroker.listen();
  const send = io();
  assertEquals(
    await runCli([
      "send",
      broker.url,
      "/queue/cli",
      "hello from the cli",
      "--header",
      "x-kind:greeting",
    ], send),
    0,
  );
  assertEquals(send.err, ["Sent 18 bytes to /queue/cli (receipt confirmed)"]);
  const binary = io(new Uint8Array([0, 1, 2, 255]));
  assertEquals(await runCli(["send", broker.url, "/queue/cli"], binary), 0);
  assertEquals(broker.depth("/queue/cli"), 2);

  const sub = io();
  assertEquals(
    await runCli([
      "subscribe",
      broker.url,
      "/queue/cli",
      "--count",
      "2",
      "--ack",
      "client-individual",
      "--show-headers",
    ], sub),
    0,
  );
  assert(sub.out.includes("x-kind: greeting"), sub.out.join("\n"));
  assert(sub.out.includes("hello from the cli"));
  assertEquals(sub.out.at(-1), "<binary body, 4 bytes>");
  assertEquals(broker.depth("/queue/cli"), 0);
  assertEquals(broker.unacknowledged("/queue/cli"), 0);
});

Deno.test("runCli subscribe --json writes one object per message, base64 for binary", async () => {
  await using broker = StompTestBroker.listen();
  await runCli(
    ["send", broker.url, "/queue/json", "-"],
    io(new Uint8Array([0xff, 0x00])),
  );
  await runCli([
    "send",
    broker.url,
    "/queue/json",
    "plain text",
    "--content-type",
    "text/plain",
  ], io());
  const sub = io();
  assertEquals(
    await runCli([
      "subscribe",
      broker.url,
      "/queue/json",
      "--count=2",
      "--json",
    ], sub),
    0,
  );
  const [first, second] = sub.out.map((line) => JSON.parse(line));
  assertEquals(first.bodyBase64, btoa("\xff\x00"));
  assertEquals(second.body, "plain text");
  assertEquals(second.destination, "/queue/json");
  assert(
    second.headers.some(([n, v]: [string, string]) =>
      n === "content-type" && v === "text/plain"
    ),
  );
});

Deno.test("runCli stops a subscription when its signal aborts", async () => {
  await using broker = StompTestBroker.listen();
  const controller = new AbortController();
  const sub = { ...io(), signal: controller.signal };
  const running = runCli(["subscribe", broker.url, "/queue/idle"], sub);
  await new Promise((resolve) => setTimeout(resolve, 100));
  controller.abort();
  assertEquals(await running, 0);
});

Deno.test("runCli reports usage errors with status 2", async () => {
  for (
    const [args, message] of [
      [[], "Missing command: send or subscribe"],
      [["publish", "tcp://x"], 'Unknown command "publish"'],
      [["send", "tcp://127.0.0.1:1"], "Missing <destination> for send"],
      [
        ["subscribe", "tcp://h", "/q", "--count", "0"],
        "Option --count must be a positive integer",
      ],
      [
        ["subscribe", "tcp://h", "/q", "--ack", "manual"],
        "Option --ack must be auto",
      ],
      [
        ["send", "tcp://h", "/q", "x", "--header", "novalue"],
        'Header "novalue" is not name:value',
      ],
      [["send", "tcp://h", "/q", "x", "--bogus"], 'Unknown option "--bogus"'],
      [["send", "tcp://h", "/q", "x", "--ca"], "Option --ca needs a value"],
      [["subscribe", "tcp://h", "/q", "extra"], 'Unexpected argument "extra"'],
    ] as const
  ) {
    const out = io();
    assertEquals(await runCli(args, out), 2, args.join(" "));
    assertMatch(
      out.err[0] ?? "",
      new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
    );
  }
});

Deno.test("runCli reports a failed connection with status 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const out = io();
  assertEquals(
    await runCli(["send", `tcp://127.0.0.1:${port}`, "/q", "x"], out),
    1,
  );
  assertMatch(out.err[0] ?? "", /^stomper: /);
  const bad = io();
  assertEquals(await runCli(["send", "gopher://127.0.0.1", "/q", "x"], bad), 1);
  assertMatch(bad.err[0] ?? "", /gopher/);
});

Deno.test("runCli reports a broker's ERROR with status 1", async () => {
  await using broker = StompTestBroker.listen({
    login: "user",
    passcode: "secret",
  });
  const url = broker.url.replace("tcp://", "tcp://user:wrong@");
  const out = io();
  assertEquals(await runCli(["send", url, "/queue/a", "x"], out), 1);
  assertMatch(out.err[0] ?? "", /^stomper: /);
});
