import { assert, assertEquals, assertMatch } from "@std/assert";
import { connected } from "../src/builders.ts";
import { type CliIO, runCli } from "../src/cli.ts";
import type { StompFrame } from "../src/frame.ts";
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

Deno.test("runCli refuses a URL scheme it cannot open with status 2, naming the accepted ones", async () => {
  for (
    const [url, message] of [
      [
        "http://guest:guest@127.0.0.1:61613",
        'Unsupported URL scheme "http": expected tcp, tls, stomp, stomp+ssl, ws or wss',
      ],
      ["gopher://127.0.0.1", 'Unsupported URL scheme "gopher"'],
      ["not a url", 'Invalid <url> "not a url"'],
    ] as const
  ) {
    const out = io();
    assertEquals(await runCli(["send", url, "/q", "x"], out), 2, url);
    assertEquals(
      out.err[0]?.startsWith(`stomper: ${message}`),
      true,
      out.err[0],
    );
    // The password is not echoed back.
    assertEquals(out.err.join("\n").includes("guest:guest"), false);
  }
});

Deno.test("runCli exits 2 naming a --ca file it cannot read, before connecting", async () => {
  await using broker = StompTestBroker.listen();
  const out = io();
  const path = "/nonexistent/stomper-ca.pem";
  assertEquals(
    await runCli(["send", broker.url, "/q", "x", "--ca", path], out),
    2,
  );
  assertMatch(
    out.err[0] ?? "",
    /^stomper: Cannot read the CA file "\/nonexistent\/stomper-ca\.pem": /,
  );
  assertEquals(broker.connections, 0);
  assertEquals(broker.depth("/q"), 0);
});

Deno.test("runCli takes --ca from STOMP_CA when the flag is absent; the flag wins", async () => {
  await using broker = StompTestBroker.listen();
  const read: string[] = [];
  const withEnv = (value: string | undefined) => ({
    ...io(),
    env: (name: string) => name === "STOMP_CA" ? value : undefined,
    readTextFile: (path: string) => {
      read.push(path);
      return Promise.reject(new Error("not this time"));
    },
  });
  const fromEnv = withEnv("env.pem");
  assertEquals(
    await runCli(["send", broker.url, "/queue/ca", "x"], fromEnv),
    2,
  );
  assertEquals(fromEnv.err, [
    'stomper: Cannot read the CA file "env.pem" (from STOMP_CA): not this time',
  ]);
  const fromFlag = withEnv("env.pem");
  assertEquals(
    await runCli(
      ["send", broker.url, "/queue/ca", "x", "--ca", "flag.pem"],
      fromFlag,
    ),
    2,
  );
  assertEquals(fromFlag.err, [
    'stomper: Cannot read the CA file "flag.pem": not this time',
  ]);
  // Empty or unset: no CA, and the message goes out over plain TCP.
  assertEquals(
    await runCli(["send", broker.url, "/queue/ca", "x"], withEnv("")),
    0,
  );
  assertEquals(
    await runCli(["send", broker.url, "/queue/ca", "x"], withEnv(undefined)),
    0,
  );
  assertEquals(read, ["env.pem", "flag.pem"]);
  assertEquals(broker.depth("/queue/ca"), 2);
});

Deno.test("runCli send --count sends the body N times, reading standard input once", async () => {
  await using broker = StompTestBroker.listen();
  let reads = 0;
  const out = {
    ...io(),
    readStdin: () => {
      reads++;
      return Promise.resolve(new Uint8Array([1, 2, 3]));
    },
  };
  assertEquals(
    await runCli(["send", broker.url, "/queue/many", "--count", "150"], out),
    0,
  );
  assertEquals(reads, 1);
  assertEquals(out.err, [
    "Sent 150 messages of 3 bytes each to /queue/many (receipts confirmed)",
  ]);
  assertEquals(broker.depth("/queue/many"), 150);

  const numbered = io();
  assertEquals(
    await runCli([
      "send",
      broker.url,
      "/queue/few",
      "copy",
      "--count=2",
      "--no-receipt",
    ], numbered),
    0,
  );
  assertEquals(numbered.err, ["Sent 2 messages of 4 bytes each to /queue/few"]);
  const sub = io();
  assertEquals(
    await runCli(["subscribe", broker.url, "/queue/few", "--count", "2"], sub),
    0,
  );
  assertEquals(sub.out, ["copy", "copy"]);
});

Deno.test("runCli subscribe --raw writes each body's bytes and nothing else", async () => {
  await using broker = StompTestBroker.listen();
  const binary = new Uint8Array([0, 255, 10, 13, 0x80]);
  await runCli(["send", broker.url, "/queue/raw"], io(binary));
  await runCli(["send", broker.url, "/queue/raw", "text\n"], io());
  const written: Uint8Array[] = [];
  const sub = {
    ...io(),
    write: (bytes: Uint8Array) => {
      written.push(bytes.slice());
      return Promise.resolve();
    },
  };
  assertEquals(
    await runCli([
      "subscribe",
      broker.url,
      "/queue/raw",
      "--raw",
      "--count",
      "2",
    ], sub),
    0,
  );
  assertEquals(written, [binary, new TextEncoder().encode("text\n")]);
  assertEquals(sub.out, []);
  for (
    const args of [
      ["subscribe", broker.url, "/q", "--raw", "--json"],
      ["subscribe", broker.url, "/q", "--raw", "--show-headers"],
      ["send", broker.url, "/q", "x", "--raw"],
    ]
  ) {
    const out = io();
    assertEquals(await runCli(args, out), 2, args.join(" "));
    assertMatch(
      out.err[0] ?? "",
      /^stomper: Option --raw cannot be used with /,
    );
  }
});

Deno.test("runCli subscribe --count N with a client ack mode asks for a prefetch of N", async () => {
  const subscribes: StompFrame[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => {
      if (frame.command === "SUBSCRIBE") subscribes.push(frame);
    },
  });
  const cases = [
    [["--count", "1", "--ack", "client"], "1", "1"],
    [["--count", "1", "--ack", "client-individual"], "1", "1"],
    [["--count", "100000", "--ack", "client"], "65535", "65535"],
    [["--count", "1"], undefined, undefined],
    [
      ["--count", "1", "--ack", "client", "--header", "prefetch-count:7"],
      "7",
      undefined,
    ],
    [
      [
        "--count",
        "1",
        "--ack",
        "client",
        "--header",
        "activemq.prefetchSize:9",
      ],
      undefined,
      "9",
    ],
  ] as const;
  for (const [args] of cases) {
    // Nothing arrives: the tool is stopped once it has subscribed.
    const controller = new AbortController();
    const seen = subscribes.length;
    const running = runCli(["subscribe", broker.url, "/queue/pf", ...args], {
      ...io(),
      signal: controller.signal,
    });
    await eventually(() => subscribes.length > seen, 2000, "SUBSCRIBE");
    controller.abort("SIGINT");
    assertEquals(await within(running, 1000, "runCli"), 130);
  }
  assertEquals(subscribes.length, cases.length);
  cases.forEach(([args, rabbit, activemq], i) => {
    const headers = subscribes[i]!.headers;
    assertEquals(headers.get("prefetch-count"), rabbit, args.join(" "));
    assertEquals(
      headers.get("activemq.prefetchSize"),
      activemq,
      args.join(" "),
    );
  });
});

Deno.test("runCli --trace writes each frame in and out to the error stream, the passcode as ***", async () => {
  await using broker = StompTestBroker.listen({
    login: "cli",
    passcode: "pa55",
  });
  const url = `tcp://cli:pa55@127.0.0.1:${broker.port}`;
  const send = io();
  assertEquals(
    await runCli(["send", url, "/queue/traced", "hi", "--trace"], send),
    0,
  );
  assertEquals(send.out, []);
  assertEquals(
    send.err.map((line) => line.replace(/ \(\d+ B\)$/, "")),
    [
      ">>> CONNECT accept-version:1.0,1.1,1.2 host:/ login:cli passcode:*** heart-beat:10000,10000",
      "<<< CONNECTED version:1.2 heart-beat:1000,1000 session:c1 server:stomper-test-broker",
      '>>> SEND destination:/queue/traced receipt:r-1 content-length:2 body:"hi"',
      "<<< RECEIPT receipt-id:r-1",
      "Sent 2 bytes to /queue/traced (receipt confirmed)",
      ">>> DISCONNECT receipt:r-2",
      "<<< RECEIPT receipt-id:r-2",
    ],
  );
  assert(!send.err.join("\n").includes("pa55"));
  // The size is that of the CONNECT sent, with the real passcode.
  const connect =
    "CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:cli\npasscode:pa55\nheart-beat:10000,10000\n\n\0";
  assert(send.err[0]!.endsWith(` (${connect.length} B)`), send.err[0]);

  const sub = io();
  assertEquals(
    await runCli(
      ["subscribe", url, "/queue/traced", "--count", "1", "--trace"],
      sub,
    ),
    0,
  );
  assertEquals(sub.out, ["hi"]);
  assert(
    sub.err.some((line) =>
      line.startsWith("<<< MESSAGE ") && line.includes('body:"hi"')
    ),
    sub.err.join("\n"),
  );
  assert(sub.err.some((line) => line.startsWith(">>> UNSUBSCRIBE ")));
});

Deno.test("runCli without --trace writes no trace lines", async () => {
  await using broker = StompTestBroker.listen();
  const send = io();
  assertEquals(await runCli(["send", broker.url, "/queue/q", "x"], send), 0);
  assertEquals(send.err, ["Sent 1 bytes to /queue/q (receipt confirmed)"]);
});

Deno.test("runCli send --no-content-length sends a text body without content-length, and refuses one it cannot", async () => {
  const sends: StompFrame[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => {
      if (frame.command === "SEND") sends.push(frame);
    },
  });
  const fromStdin = {
    ...io(),
    readStdin: () => Promise.resolve(new TextEncoder().encode("from stdin ✓")),
  };
  assertEquals(
    await runCli(
      ["send", broker.url, "/queue/t", "--no-content-length"],
      fromStdin,
    ),
    0,
  );
  const out = io();
  assertEquals(
    await runCli([
      "send",
      broker.url,
      "/queue/t",
      "typed",
      "--no-content-length",
    ], out),
    0,
  );
  assertEquals(
    await runCli(["send", broker.url, "/queue/t", "sized"], io()),
    0,
  );
  assertEquals(
    sends.map((f) => [f.text, f.headers.get("content-length") ?? null]),
    [["from stdin ✓", null], ["typed", null], ["sized", "5"]],
  );
  for (
    const [bytes, message] of [
      [new Uint8Array([0xff, 0xfe]), "needs a UTF-8 text body"],
      [new Uint8Array([0x61, 0, 0x62]), "cannot send a body holding NUL"],
    ] as const
  ) {
    const refused = { ...io(), readStdin: () => Promise.resolve(bytes) };
    assertEquals(
      await runCli(
        ["send", broker.url, "/queue/t", "--no-content-length"],
        refused,
      ),
      2,
    );
    assertMatch(refused.err[0] ?? "", new RegExp(message));
  }
  assertEquals(sends.length, 3, "nothing more was sent");
});

Deno.test("runCli --max-message-bytes splits each frame into WebSocket messages of at most N bytes", async () => {
  const sizes: number[] = [];
  // A WebSocket server that relays to the test broker and notes each
  // message's size (the test broker reassembles them like any STOMP server).
  await using broker = StompTestBroker.listen();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request, {
        protocol: "v12.stomp",
      });
      socket.binaryType = "arraybuffer";
      const upstream = Deno.connect({
        hostname: "127.0.0.1",
        port: broker.port,
      });
      socket.onmessage = async (event) => {
        const bytes = typeof event.data === "string"
          ? new TextEncoder().encode(event.data)
          : new Uint8Array(event.data);
        sizes.push(bytes.length);
        const conn = await upstream;
        await conn.write(bytes);
      };
      socket.onclose = () =>
        upstream.then((conn) => {
          try {
            conn.close();
          } catch {
            // Closed already, by the broker.
          }
        });
      (async () => {
        const conn = await upstream;
        for await (const chunk of conn.readable) {
          if (socket.readyState === WebSocket.OPEN) socket.send(chunk);
        }
      })().catch(() => {});
      return response;
    },
  );
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/ws`;
    const body = "x".repeat(1000);
    assertEquals(
      await runCli(
        ["send", url, "/queue/ws", body, "--max-message-bytes=256"],
        io(),
      ),
      0,
    );
    assertEquals(broker.depth("/queue/ws"), 1);
    assert(sizes.length > 4, `split into ${sizes.length} messages`);
    assert(sizes.every((size) => size <= 256), sizes.join(","));
    const usage = io();
    assertEquals(
      await runCli(
        ["send", url, "/q", "x", "--max-message-bytes", "3", "--text-frames"],
        usage,
      ),
      2,
    );
    assertMatch(usage.err[0] ?? "", /must be at least 4 with --text-frames/);
    const zero = io();
    assertEquals(
      await runCli(["send", url, "/q", "x", "--max-message-bytes=0"], zero),
      2,
    );
    assertMatch(zero.err[0] ?? "", /must be a positive integer, got "0"/);
  } finally {
    await server.shutdown();
  }
});
