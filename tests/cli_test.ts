import { assert, assertEquals, assertMatch } from "@std/assert";
import { connected, error, receipt } from "../src/builders.ts";
import { type CliIO, runCli } from "../src/cli.ts";
import type { StompFrame } from "../src/frame.ts";
import { StompClient } from "../src/client/client.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { scriptedServer } from "./_peer.ts";
import { cliIO, eventually, within } from "./_helpers.ts";

Deno.test("runCli sends with a receipt, then subscribe prints and acks what arrived", async () => {
  await using broker = StompTestBroker.listen();
  const send = cliIO();
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
  const binary = cliIO(new Uint8Array([0, 1, 2, 255]));
  assertEquals(await runCli(["send", broker.url, "/queue/cli"], binary), 0);
  assertEquals(broker.depth("/queue/cli"), 2);

  const sub = cliIO();
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
    cliIO(new Uint8Array([0xff, 0x00])),
  );
  await runCli([
    "send",
    broker.url,
    "/queue/json",
    "plain text",
    "--content-type",
    "text/plain",
  ], cliIO());
  const sub = cliIO();
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
  const out = { ...cliIO(), signal: controller.signal };
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
    const out = { ...cliIO(), signal: controller.signal };
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
  const sub = { ...cliIO(), signal: controller.signal };
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
    ...cliIO(),
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
      [
        ["subscribe", "tcp://h", "/q", "--count", "1e3"],
        'Option --count must be a positive integer, got "1e3"',
      ],
      [
        ["send", "tcp://h", "/q", "x", "--max-message-bytes", "0x10"],
        'Option --max-message-bytes must be a positive integer, got "0x10"',
      ],
      [["send", "tcp://127.0.0.1:1", "", "hi"], "Empty <destination> for send"],
      [
        ["subscribe", "tcp://127.0.0.1:1", ""],
        "Empty <destination> for subscribe",
      ],
    ] as const
  ) {
    const out = cliIO();
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
  const out = cliIO();
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
  const out = cliIO();
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
    const out = cliIO();
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

Deno.test("runCli refuses a URL whose login or password is not valid percent-encoding with status 2, saying how to write %", async () => {
  await using broker = StompTestBroker.listen({
    login: "user",
    passcode: "50%off",
  });
  for (
    const [userinfo, part] of [
      ["user:50%off", "password"],
      ["us%zzer:pw", "login"],
    ] as const
  ) {
    const url = broker.url.replace("tcp://", `tcp://${userinfo}@`);
    const out = cliIO();
    assertEquals(await runCli(["send", url, "/q", "x"], out), 2, url);
    assertEquals(out.err[0]?.startsWith("stomper: Invalid <url> "), true);
    assert(
      out.err[0]?.includes(
        `: its ${part} is not valid percent-encoding (write % as %25)`,
      ),
      out.err[0],
    );
    assertEquals(out.err.join("\n").includes("50%off"), false);
  }
  assertEquals(broker.connections, 0);
  // Written as the message says, it logs in.
  const out = cliIO();
  const url = broker.url.replace("tcp://", "tcp://user:50%25off@");
  assertEquals(await runCli(["send", url, "/queue/a", "x"], out), 0);
  assertEquals(broker.depth("/queue/a"), 1);
});

Deno.test("runCli exits 2 naming a --ca file it cannot read, before connecting", async () => {
  await using broker = StompTestBroker.listen();
  const out = cliIO();
  const path = "/nonexistent/stomper-ca.pem";
  assertEquals(
    await runCli(["send", broker.url, "/queue/q", "x", "--ca", path], out),
    2,
  );
  assertMatch(
    out.err[0] ?? "",
    /^stomper: Cannot read the CA file "\/nonexistent\/stomper-ca\.pem": /,
  );
  assertEquals(broker.connections, 0);
  assertEquals(broker.depth("/queue/q"), 0);
});

Deno.test("runCli takes --ca from STOMP_CA when the flag is absent; the flag wins", async () => {
  await using broker = StompTestBroker.listen();
  const read: string[] = [];
  const withEnv = (value: string | undefined) => ({
    ...cliIO(),
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
    ...cliIO(),
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

  const numbered = cliIO();
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
  const sub = cliIO();
  assertEquals(
    await runCli(["subscribe", broker.url, "/queue/few", "--count", "2"], sub),
    0,
  );
  assertEquals(sub.out, ["copy", "copy"]);
});

Deno.test("runCli subscribe --raw writes each body's bytes and nothing else", async () => {
  await using broker = StompTestBroker.listen();
  const binary = new Uint8Array([0, 255, 10, 13, 0x80]);
  await runCli(["send", broker.url, "/queue/raw"], cliIO(binary));
  await runCli(["send", broker.url, "/queue/raw", "text\n"], cliIO());
  const written: Uint8Array[] = [];
  const sub = {
    ...cliIO(),
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
    const out = cliIO();
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
      ...cliIO(),
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
    // No EOL after each frame, which the trace would show as a heart-beat.
    eolAfterFrame: false,
  });
  const url = `tcp://cli:pa55@127.0.0.1:${broker.port}`;
  const send = cliIO();
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

  const sub = cliIO();
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
  const send = cliIO();
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
    ...cliIO(),
    readStdin: () => Promise.resolve(new TextEncoder().encode("from stdin ✓")),
  };
  assertEquals(
    await runCli(
      ["send", broker.url, "/queue/t", "--no-content-length"],
      fromStdin,
    ),
    0,
  );
  const out = cliIO();
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
    await runCli(["send", broker.url, "/queue/t", "sized"], cliIO()),
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
    const refused = { ...cliIO(), readStdin: () => Promise.resolve(bytes) };
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
        cliIO(),
      ),
      0,
    );
    assertEquals(broker.depth("/queue/ws"), 1);
    assert(sizes.length > 4, `split into ${sizes.length} messages`);
    assert(sizes.every((size) => size <= 256), sizes.join(","));
    const usage = cliIO();
    assertEquals(
      await runCli(
        ["send", url, "/q", "x", "--max-message-bytes", "3", "--text-frames"],
        usage,
      ),
      2,
    );
    assertMatch(usage.err[0] ?? "", /must be at least 4 with --text-frames/);
    const zero = cliIO();
    assertEquals(
      await runCli(["send", url, "/q", "x", "--max-message-bytes=0"], zero),
      2,
    );
    assertMatch(zero.err[0] ?? "", /must be a positive integer, got "0"/);
  } finally {
    await server.shutdown();
  }
});

/** The CONNECT frames a test broker received, and the broker. */
function credentialBroker() {
  const connects: StompFrame[] = [];
  const broker = StompTestBroker.listen({
    login: "app",
    passcode: "pw/with@signs",
    onFrame: (frame) => {
      if (frame.command === "CONNECT") connects.push(frame);
    },
  });
  return { broker, connects };
}

/** An io with this environment and these files (others cannot be read). */
function ioWith(
  env: Record<string, string>,
  files: Record<string, string> = {},
): CliIO & { out: string[]; err: string[]; read: string[] } {
  const read: string[] = [];
  return {
    ...cliIO(),
    read,
    env: (name) => env[name],
    readTextFile: (path) => {
      read.push(path);
      const text = files[path];
      return text === undefined
        ? Promise.reject(new Error(`No such file: ${path}`))
        : Promise.resolve(text);
    },
  };
}

Deno.test("runCli takes the login from STOMP_LOGIN and the passcode from --passcode-file, else STOMP_PASSCODE, when the URL has none", async () => {
  const { broker, connects } = credentialBroker();
  await using _ = broker;
  const bare = broker.url;
  const cases: [string, CliIO & { err: string[]; read: string[] }, string[]][] =
    [
      // Neither in the URL: both from the environment.
      [bare, ioWith({ STOMP_LOGIN: "app", STOMP_PASSCODE: "pw/with@signs" }), [
        "app",
        "pw/with@signs",
      ]],
      // The file wins over STOMP_PASSCODE; one trailing newline is dropped.
      [
        bare,
        ioWith({ STOMP_LOGIN: "app", STOMP_PASSCODE: "wrong" }, {
          "pw.txt": "pw/with@signs\n",
        }),
        ["app", "pw/with@signs"],
      ],
      [
        bare,
        ioWith({ STOMP_LOGIN: "app" }, { "pw.txt": "pw/with@signs\r\n" }),
        ["app", "pw/with@signs"],
      ],
      // The URL's login wins over STOMP_LOGIN.
      [
        bare.replace("tcp://", "tcp://app@"),
        ioWith({ STOMP_LOGIN: "other", STOMP_PASSCODE: "pw/with@signs" }),
        ["app", "pw/with@signs"],
      ],
      // The URL's password wins over both, and the file is not read.
      [
        bare.replace("tcp://", "tcp://app:pw%2Fwith%40signs@"),
        ioWith({ STOMP_LOGIN: "other", STOMP_PASSCODE: "wrong" }, {
          "pw.txt": "wrong",
        }),
        ["app", "pw/with@signs"],
      ],
    ];
  for (const [i, [url, out, expected]] of cases.entries()) {
    const file = out.readTextFile !== undefined && i !== 0 && i !== 3
      ? ["--passcode-file", "pw.txt"]
      : [];
    assertEquals(
      await runCli(["send", url, "/queue/creds", "x", ...file], out),
      0,
      `case ${i}: ${out.err.join("\n")}`,
    );
    const headers = connects.at(-1)!.headers;
    assertEquals(
      [headers.get("login"), headers.get("passcode")],
      expected,
      `case ${i}`,
    );
    assertEquals(out.read, i === 1 || i === 2 ? ["pw.txt"] : [], `case ${i}`);
  }
  assertEquals(broker.depth("/queue/creds"), cases.length);

  // The URL's wrong password wins over the right one in the environment.
  const wrong = ioWith({ STOMP_PASSCODE: "pw/with@signs" });
  assertEquals(
    await runCli([
      "send",
      bare.replace("tcp://", "tcp://app:nope@"),
      "/queue/creds",
      "x",
    ], wrong),
    1,
  );
  // A --passcode-file that cannot be read is a usage error, before connecting.
  const missing = ioWith({ STOMP_LOGIN: "app" });
  const before = connects.length;
  assertEquals(
    await runCli(
      ["send", bare, "/queue/creds", "x", "--passcode-file", "gone.txt"],
      missing,
    ),
    2,
  );
  assertEquals(missing.err, [
    'stomper: Cannot read the passcode file "gone.txt": No such file: gone.txt',
  ]);
  assertEquals(connects.length, before);
});

Deno.test("runCli --help documents STOMP_LOGIN, STOMP_PASSCODE, --passcode-file, their order and the exit status 141", async () => {
  const out = cliIO();
  assertEquals(await runCli(["--help"], out), 0);
  const help = out.out.join("\n");
  for (
    const text of [
      "--passcode-file FILE",
      "STOMP_LOGIN",
      "STOMP_PASSCODE",
      "a password in the URL wins, then the file",
      "141 when standard output\nclosed",
      "leaves the one it could not write\nunacknowledged",
      "shows in ps",
    ]
  ) {
    assert(help.includes(text), text);
  }
});

/** Every line an io wrote, to both streams. */
function written(out: { out: string[]; err: string[] }): string {
  return [...out.out, ...out.err].join("\n");
}

/** Asserts that none of these secrets, nor a recognisable part, shows. */
function assertHidden(text: string, secrets: string[]): void {
  for (const secret of secrets) {
    for (const part of [secret, encodeURIComponent(secret)]) {
      assert(!text.includes(part), `${JSON.stringify(part)} in:\n${text}`);
    }
    // The pieces around a / or @ must not show either.
    for (const piece of secret.split(/[/@]/)) {
      if (piece.length >= 4) {
        assert(!text.includes(piece), `${JSON.stringify(piece)} in:\n${text}`);
      }
    }
  }
}

Deno.test("runCli never writes a password holding / or @, in any usage error", async () => {
  const secret = "Pw/s3cr@t";
  for (
    const args of [
      // Not a URL (the / and @ cut the authority short).
      ["send", `tcp://app:${secret}@127.0.0.1:1`, "/q", "x"],
      ["send", `http://app:${encodeURIComponent(secret)}@h`, "/q", "x"],
      ["subscribe", "tcp://h", "/q", `tcp://app:${secret}@h:1/x`],
      ["send", `tcp://app:${secret}@h`],
      ["send", `tcp://app:${encodeURIComponent(secret)}@h`, "/q", "x", "-z"],
    ]
  ) {
    const out = cliIO();
    assertEquals(await runCli(args, out), 2, args.join(" "));
    assertHidden(written(out), [secret]);
  }
});

Deno.test("runCli never writes the passcode in connection errors, from the URL, a file or STOMP_PASSCODE", async () => {
  const secret = "Pw/s3cr@t";
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = listener.addr.port;
  listener.close();
  // Refused, with the password in the URL.
  const refused = cliIO();
  assertEquals(
    await runCli([
      "send",
      `tcp://app:${encodeURIComponent(secret)}@127.0.0.1:${closed}`,
      "/q",
      "x",
    ], refused),
    1,
  );
  assertMatch(refused.err[0] ?? "", /^stomper: /);
  assertHidden(written(refused), [secret]);
  // A bad port, which the client refuses with the URL in its message.
  const port = cliIO();
  assertEquals(
    await runCli([
      "send",
      `tcp://app:${encodeURIComponent(secret)}@127.0.0.1:99999`,
      "/q",
      "x",
    ], port),
    2,
  );
  assertHidden(written(port), [secret]);
});

Deno.test("runCli hides the passcode wherever a scripted server's ERROR and the trace quote it", async () => {
  const secret = "Pw/s3cr@t";
  const sources: [string[], CliIO & { out: string[]; err: string[] }][] = [
    [[`tcp://app:${encodeURIComponent(secret)}@`], cliIO()],
    [["tcp://app@", "--passcode-file", "pw"], ioWith({}, { pw: secret })],
    [["tcp://app@"], ioWith({ STOMP_PASSCODE: secret })],
  ];
  for (const [[prefix, ...flags], out] of sources) {
    await using server = scriptedServer(async (peer) => {
      const connect = await peer.next();
      assertEquals(connect.headers.get("passcode"), secret);
      // A broker that quotes what it refused: no real one does.
      await peer.send(
        error("Bad credentials", `login app with passcode ${secret} refused`),
      );
      await peer.end();
    });
    const url = server.url.replace("tcp://", prefix!);
    assertEquals(
      await runCli([
        "send",
        url,
        "/q",
        "x",
        "--trace",
        "--header",
        `x-note:${secret}`,
        ...flags,
      ], out),
      1,
      prefix,
    );
    await server.done;
    const text = written(out);
    assert(text.includes("<<< ERROR"), text);
    assert(text.includes("with passcode *** refused"), text);
    assertHidden(text, [secret]);
  }
});

Deno.test("runCli names --ca and STOMP_CA when a TLS certificate does not verify", async () => {
  const dir = new URL("./testdata/transports/", import.meta.url);
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(new URL("localhost.pem", dir)),
    key: await Deno.readTextFile(new URL("localhost.key", dir)),
  });
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.handshake().catch(() => {});
      conn.close();
    }
  })();
  try {
    const url = `tls://app:${
      encodeURIComponent("Pw/s3cr@t")
    }@localhost:${listener.addr.port}`;
    const untrusted = ioWith({});
    assertEquals(await runCli(["send", url, "/q", "x"], untrusted), 1);
    assertMatch(
      untrusted.err[0] ?? "",
      /^stomper: .*certificate.*; trust the certificate authority that signed the broker's certificate with --ca FILE or the STOMP_CA environment variable$/,
    );
    assert(!untrusted.err[0]!.includes("caCerts"), untrusted.err[0]);
    const wrongCa = ioWith({}, {
      "wrong.pem": await Deno.readTextFile(new URL("wrong-ca.pem", dir)),
    });
    assertEquals(
      await runCli(["send", url, "/q", "x", "--ca", "wrong.pem"], wrongCa),
      1,
    );
    assertMatch(
      wrongCa.err[0] ?? "",
      /; check that the --ca file \(or STOMP_CA\) is the certificate authority that signed the broker's certificate$/,
    );
    // The same advice when the CA came from STOMP_CA.
    const wrongEnv = ioWith({ STOMP_CA: "wrong.pem" }, {
      "wrong.pem": await Deno.readTextFile(new URL("wrong-ca.pem", dir)),
    });
    assertEquals(await runCli(["send", url, "/q", "x"], wrongEnv), 1);
    assertMatch(
      wrongEnv.err[0] ?? "",
      /; check that the --ca file \(or STOMP_CA\)/,
    );
    assertHidden(written(untrusted) + written(wrongCa), ["Pw/s3cr@t"]);
  } finally {
    listener.close();
    await serving;
  }
});

/** An io whose output fails at message `at` (1-based) as `failure` says. */
function failingOutput(at: number, failure: Error) {
  const out = cliIO();
  let lines = 0;
  return {
    ...out,
    print: (line: string) => {
      if (++lines === at) throw failure;
      out.out.push(line);
    },
  };
}

function brokenPipe(): Error {
  const error = new Error("Broken pipe (os error 32)");
  error.name = "BrokenPipe";
  return error;
}

for (const ack of ["client", "client-individual"] as const) {
  Deno.test(`runCli subscribe --ack ${ack} returns 141 when its output closes (simulated), acknowledging only what it wrote`, async () => {
    await using broker = StompTestBroker.listen();
    await using client = await StompClient.connectUrl(broker.url);
    for (const n of [1, 2, 3, 4]) {
      await client.send("/queue/out", `m${n}`, { receipt: true });
    }
    const out = failingOutput(3, brokenPipe());
    assertEquals(
      await runCli(["subscribe", broker.url, "/queue/out", "--ack", ack], out),
      141,
    );
    assertEquals(out.out, ["m1", "m2"]);
    // Quiet, as a tool SIGPIPE ended.
    assertEquals(out.err, []);
    await eventually(() => broker.connections === 1, 1000, "CLI gone");
    assertEquals(broker.depth("/queue/out"), 2);
    assertEquals(broker.unacknowledged("/queue/out"), 0);
  });
}

Deno.test("runCli subscribe returns 1 naming the failure when a write fails otherwise (simulated), acknowledging nothing unwritten", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url);
  await client.send("/queue/full", "first", { receipt: true });
  await client.send("/queue/full", "second", { receipt: true });
  const out = failingOutput(1, new Error("No space left on device"));
  assertEquals(
    await runCli([
      "subscribe",
      broker.url,
      "/queue/full",
      "--ack",
      "client-individual",
      "--json",
    ], out),
    1,
  );
  assertEquals(out.err, [
    "stomper: Cannot write to standard output: No space left on device",
  ]);
  await eventually(() => broker.connections === 1, 1000, "CLI gone");
  assertEquals(broker.depth("/queue/full"), 2);
  // --raw writes through io.write: a closed pipe there ends it the same way.
  let writes = 0;
  const raw = {
    ...cliIO(),
    write: () =>
      ++writes === 1 ? Promise.resolve() : Promise.reject(brokenPipe()),
  };
  assertEquals(
    await runCli([
      "subscribe",
      broker.url,
      "/queue/full",
      "--ack",
      "client-individual",
      "--raw",
    ], raw),
    141,
  );
  await eventually(() => broker.connections === 1, 1000, "CLI gone");
  assertEquals(broker.depth("/queue/full"), 1);
});

Deno.test("runCli subscribe sends a message's ACK only once its write has completed", async () => {
  const acks: StompFrame[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => {
      if (frame.command === "ACK") acks.push(frame);
    },
  });
  await using client = await StompClient.connectUrl(broker.url);
  await client.send("/queue/slow", "slow", { receipt: true });
  const pending: (() => void)[] = [];
  const out = {
    ...cliIO(),
    print: (line: string) =>
      new Promise<void>((resolve) => {
        pending.push(() => {
          out.out.push(line);
          resolve();
        });
      }),
  };
  const running = runCli([
    "subscribe",
    broker.url,
    "/queue/slow",
    "--ack",
    "client-individual",
    "--count",
    "1",
  ], out);
  await eventually(() => pending.length === 1, 2000, "write started");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assertEquals(acks.length, 0, "no ACK while the write is pending");
  pending[0]!();
  assertEquals(await within(running, 2000, "runCli"), 0);
  assertEquals(acks.length, 1);
  assertEquals(out.out, ["slow"]);
});

Deno.test("runCli --help returns 141 when standard output is closed (simulated)", async () => {
  const out = failingOutput(1, brokenPipe());
  assertEquals(await runCli(["--help"], out), 141);
  assertEquals(out.err, []);
});

Deno.test("runCli send --lines sends a message per line over one connection, in order, empty lines skipped and CRLF dropped", async () => {
  const frames: StompFrame[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => frames.push(frame),
  });
  const input = new TextEncoder().encode("one\r\n\ntwo\n\n  three \nlast");
  const send = cliIO(input);
  assertEquals(
    await runCli([
      "send",
      broker.url,
      "/queue/lines",
      "--lines",
      "--content-type",
      "text/plain",
    ], send),
    0,
  );
  assertEquals(send.err, [
    "Sent 4 messages (one per line, 18 bytes in all) to /queue/lines (receipts confirmed)",
  ]);
  assertEquals(frames.filter((f) => f.command === "CONNECT").length, 1);
  const sends = frames.filter((frame) => frame.command === "SEND");
  // Each line asked for its own RECEIPT, and went with the content-type.
  assertEquals(sends.length, 4);
  for (const frame of sends) {
    assert(frame.headers.get("receipt") !== undefined);
    assertEquals(frame.headers.get("content-type"), "text/plain");
  }
  const sub = cliIO();
  assertEquals(
    await runCli(["subscribe", broker.url, "/queue/lines", "--count=4"], sub),
    0,
  );
  assertEquals(sub.out, ["one", "two", "  three ", "last"]);
});

Deno.test("runCli send --lines with empty input sends nothing and says so", async () => {
  await using broker = StompTestBroker.listen();
  const send = {
    ...cliIO(),
    readStdin: () => Promise.resolve(new Uint8Array()),
  };
  assertEquals(
    await runCli(["send", broker.url, "/queue/none", "--lines"], send),
    0,
  );
  assertEquals(send.err, [
    "Sent 0 messages (one per line, 0 bytes in all) to /queue/none (receipts confirmed)",
  ]);
  assertEquals(broker.depth("/queue/none"), 0);
});

Deno.test("runCli send --lines names the line whose SEND the server refused (scripted server) and how many were confirmed before it", async () => {
  await using server = scriptedServer(async (peer) => {
    assertEquals((await peer.next()).command, "CONNECT");
    await peer.send(connected({ version: "1.2" }));
    const sends = await peer.take(3);
    for (const frame of sends.slice(0, 2)) {
      await peer.send(receipt(frame.headers.get("receipt")!));
    }
    await peer.send(
      error("Refused", "no room", {
        receiptId: sends[2]!.headers.get("receipt")!,
      }),
    );
    await peer.end();
  });
  const out = cliIO(new TextEncoder().encode("a\nb\n\nc\nd\n"));
  assertEquals(
    await runCli(["send", server.url, "/queue/a", "--lines"], out),
    1,
  );
  await server.done;
  assertEquals(out.err.length, 1, out.err.join("\n"));
  assertMatch(
    out.err[0]!,
    /^stomper: Cannot send line 4 of standard input: .*Refused.* \(2 messages were confirmed before it\)$/,
  );
});

Deno.test("runCli send --lines --no-content-length refuses a line holding NUL, naming it", async () => {
  await using broker = StompTestBroker.listen();
  const out = cliIO(new TextEncoder().encode("fine\nbad\0line\n"));
  assertEquals(
    await runCli([
      "send",
      broker.url,
      "/queue/nul",
      "--lines",
      "--no-content-length",
    ], out),
    2,
  );
  assertEquals(out.err, [
    "stomper: Option --no-content-length cannot send a body holding NUL (the frame would end there): line 2 holds one",
  ]);
});

Deno.test("runCli send and subscribe refuse the other command's pipeline options with status 2", async () => {
  for (
    const [args, message] of [
      [
        ["subscribe", "tcp://127.0.0.1:1", "/q", "--lines"],
        "Option --lines cannot be used with subscribe",
      ],
      [
        ["send", "tcp://127.0.0.1:1", "/q", "--wait", "1"],
        "Option --wait cannot be used with send",
      ],
      [
        ["send", "tcp://127.0.0.1:1", "/q", "--reconnect"],
        "Option --reconnect cannot be used with send",
      ],
      [
        ["send", "tcp://127.0.0.1:1", "/q", "--lines", "--count", "2"],
        "Option --lines cannot be used with --count",
      ],
      [
        ["send", "tcp://127.0.0.1:1", "/q", "body", "--lines"],
        "Option --lines reads the bodies from standard input: give no [body], or -",
      ],
    ] as const
  ) {
    const out = cliIO();
    assertEquals(await runCli(args, out), 2, args.join(" "));
    assertEquals(out.err[0], `stomper: ${message}`);
  }
});

Deno.test("runCli subscribe --wait exits 0 once that long passes without a message, the time starting again after each one", async () => {
  await using broker = StompTestBroker.listen();
  await using sender = await StompClient.connectUrl(broker.url);
  const sub = cliIO();
  const start = performance.now();
  const running = runCli([
    "subscribe",
    broker.url,
    "/queue/wait",
    "--wait",
    "0.4",
    "--ack",
    "client",
  ], sub);
  // Five messages 200 ms apart: each within the wait of the one before.
  for (let n = 1; n <= 5; n++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sender.send("/queue/wait", `m${n}`, { receipt: true });
  }
  const lastSent = performance.now();
  assertEquals(await within(running, 3000, "runCli"), 0);
  const end = performance.now();
  assertEquals(sub.out, ["m1", "m2", "m3", "m4", "m5"]);
  assertEquals(sub.err, ["No message for 0.4 s: stopping after 5 messages"]);
  // It waited a whole 0.4 s after the last, not 0.4 s after it began.
  assert(end - lastSent >= 350, `${end - lastSent} ms after the last`);
  assert(end - start >= 1300, `${end - start} ms in all`);
  assertEquals(broker.unacknowledged("/queue/wait"), 0);

  // Nothing at all: 0 after the wait.
  const empty = cliIO();
  const before = performance.now();
  assertEquals(
    await runCli(
      ["subscribe", broker.url, "/queue/empty", "--wait=0.2"],
      empty,
    ),
    0,
  );
  assert(performance.now() - before >= 190);
  assertEquals(empty.out, []);
  assertEquals(empty.err, ["No message for 0.2 s: stopping after 0 messages"]);
});

Deno.test("runCli subscribe --count with --wait stops at the count when the messages come first", async () => {
  await using broker = StompTestBroker.listen();
  await runCli(
    ["send", broker.url, "/queue/both", "x", "--count", "3"],
    cliIO(),
  );
  const sub = cliIO();
  assertEquals(
    await runCli([
      "subscribe",
      broker.url,
      "/queue/both",
      "--count",
      "2",
      "--wait",
      "5",
    ], sub),
    0,
  );
  assertEquals(sub.out, ["x", "x"]);
  assertEquals(sub.err, []);
});

Deno.test("runCli subscribe --json embeds a body as JSON when its content-type is JSON and it parses, keeping its digits", async () => {
  await using broker = StompTestBroker.listen();
  const cases: [string | undefined, string, string][] = [
    // [content-type, body, the "body" field of the output]
    [
      "application/json",
      '{\n  "id": 12345678901234567890,\n  "text": "a \\"b\\"\\n c",\n  "f": 1.50\n}\n',
      '{"id":12345678901234567890,"text":"a \\"b\\"\\n c","f":1.50}',
    ],
    ["application/vnd.api+json; charset=utf-8", "[1, 2]", "[1,2]"],
    ["Application/JSON", '"just a string"', '"just a string"'],
    ["application/json", "{not json", '"{not json"'],
    ["text/plain", '{"a":1}', '"{\\"a\\":1}"'],
    [undefined, "[]", '"[]"'],
  ];
  for (const [type, body] of cases) {
    await runCli([
      "send",
      broker.url,
      "/queue/json-body",
      body,
      ...(type === undefined ? [] : ["--content-type", type]),
    ], cliIO());
  }
  const sub = cliIO();
  assertEquals(
    await runCli([
      "subscribe",
      broker.url,
      "/queue/json-body",
      "--json",
      `--count=${cases.length}`,
    ], sub),
    0,
  );
  assertEquals(sub.out.length, cases.length);
  for (const [i, [, , field]] of cases.entries()) {
    const line = sub.out[i]!;
    assert(line.endsWith(`,"body":${field}}`), line);
    // Each line is one JSON document.
    const parsed = JSON.parse(line);
    assertEquals(parsed.destination, "/queue/json-body");
  }
  assertEquals(JSON.parse(sub.out[1]!).body, [1, 2]);
});

Deno.test("runCli subscribe --reconnect subscribes again after the test broker drops the connection", async () => {
  await using broker = StompTestBroker.listen();
  await using sender = await StompClient.connectUrl(broker.url);
  const sub = cliIO();
  let printed: () => void = () => {};
  const first = new Promise<void>((resolve) => printed = resolve);
  const out = {
    ...sub,
    print: (line: string) => {
      sub.out.push(line);
      printed();
    },
  };
  const running = runCli([
    "subscribe",
    broker.url,
    "/queue/again",
    "--reconnect",
    "--ack",
    "client-individual",
    "--count",
    "2",
  ], out);
  await sender.send("/queue/again", "before", { receipt: true });
  await within(first, 3000, "the first message");
  // The sender's connection goes too; it is not reconnecting.
  await eventually(() => broker.unacknowledged("/queue/again") === 0, 2000);
  broker.dropConnections();
  await eventually(
    () => sub.err.some((line) => line.startsWith("stomper: Reconnected")),
    5000,
    "the tool reconnected",
  );
  await using again = await StompClient.connectUrl(broker.url);
  await again.send("/queue/again", "after", { receipt: true });
  assertEquals(await within(running, 5000, "runCli"), 0);
  assertEquals(sub.out, ["before", "after"]);
  assertMatch(
    sub.err[0]!,
    /^stomper: Connection lost( \(.*\))?; reconnecting$/,
  );
  assertEquals(sub.err[1], "stomper: Reconnected; subscribing again");
  assertEquals(sub.err.length, 2, sub.err.join("\n"));
});

Deno.test("runCli subscribe without --reconnect exits 1 when the connection drops", async () => {
  await using broker = StompTestBroker.listen();
  const sub = cliIO();
  const running = runCli(["subscribe", broker.url, "/queue/once"], sub);
  await eventually(() => broker.connections === 1, 2000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  broker.dropConnections();
  assertEquals(await within(running, 3000, "runCli"), 1);
  assertMatch(sub.err[0]!, /^stomper: /);
});
