import { assert, assertEquals, assertMatch } from "@std/assert";
import { connected } from "../src/builders.ts";
import { type CliIO, runCli } from "../src/cli.ts";
import { StompClient } from "../src/client/client.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { eventually, scriptedServer, within } from "./_peer.ts";

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

Deno.test("runCli returns 130 when its signal aborts while connecting", async () => {
  const controller = new AbortController();
  let asked = false;
  await using server = scriptedServer(async (peer) => {
    assertEquals((await peer.next()).command, "CONNECT");
    asked = true;
    await peer.end(); // Never answers CONNECT.
  });
  const out = { ...io(), signal: controller.signal };
  const running = runCli(["send", server.url, "/queue/a", "body"], out);
  await eventually(() => asked, 2000, "CONNECT received");
  controller.abort("SIGINT");
  assertEquals(await within(running, 1000, "runCli"), 130);
  await server.done;
  assertEquals(out.err, []);
});

for (const [reason, status] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`runCli returns ${status} when ${reason} aborts the wait for a RECEIPT`, async () => {
    const controller = new AbortController();
    let sent = false;
    let disconnected = false;
    await using server = scriptedServer(async (peer) => {
      assertEquals((await peer.next()).command, "CONNECT");
      await peer.send(connected({ version: "1.2" }));
      assertEquals((await peer.next()).command, "SEND");
      sent = true;
      // Never answers the RECEIPT, nor the DISCONNECT.
      disconnected = (await peer.next(1500)).command === "DISCONNECT";
      await peer.end();
    });
    const out = { ...io(), signal: controller.signal };
    const running = runCli(["send", server.url, "/queue/a", "body"], out);
    await eventually(() => sent, 2000, "SEND received");
    controller.abort(reason);
    assertEquals(await within(running, 1000, "runCli"), status);
    await server.done;
    assertEquals(disconnected, true);
    assertEquals(out.err, []);
  });
}

Deno.test("runCli returns 130 and ends the subscription when its signal aborts", async () => {
  await using broker = StompTestBroker.listen();
  const controller = new AbortController();
  const sub = { ...io(), signal: controller.signal };
  const running = runCli([
    "subscribe",
    broker.url,
    "/queue/idle",
    "--ack",
    "client-individual",
  ], sub);
  await using client = await StompClient.connectUrl(broker.url);
  await client.send("/queue/idle", "first", { receipt: true });
  await eventually(() => sub.out.length === 1, 2000, "first message printed");
  controller.abort("SIGINT");
  assertEquals(await within(running, 1000, "runCli"), 130);
  assertEquals(sub.out, ["first"]);
  await eventually(() => broker.connections === 1, 1000, "CLI disconnected");
  // Nobody subscribes any more: the next message stays in the queue.
  await client.send("/queue/idle", "second", { receipt: true });
  assertEquals(broker.depth("/queue/idle"), 1);
  assertEquals(broker.unacknowledged("/queue/idle"), 0);
});

Deno.test("runCli returns 130 and sends nothing when its signal aborts while stdin is read", async () => {
  await using broker = StompTestBroker.listen();
  const controller = new AbortController();
  let reading = false;
  let finish = (_body: Uint8Array) => {};
  const out: CliIO & { err: string[] } = {
    ...io(),
    signal: controller.signal,
    readStdin: () => {
      reading = true;
      return new Promise((resolve) => finish = resolve);
    },
  };
  const running = runCli(["send", broker.url, "/queue/stdin"], out);
  await eventually(() => reading, 2000, "stdin read");
  controller.abort("SIGINT");
  assertEquals(await within(running, 1000, "runCli"), 130);
  // Standard input ending late changes nothing.
  finish(new TextEncoder().encode("late"));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assertEquals(broker.depth("/queue/stdin"), 0);
  assertEquals(broker.connections, 0);
  assertEquals(out.err, []);
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
