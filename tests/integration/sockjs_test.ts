// StompClient over SockJS, the fallback transport of Spring applications:
// sockjs-client 1.6 (npm) in Node and in headless Chromium, through a SockJS
// server (npm `sockjs`, in sockjs/server.cjs) that bridges each SockJS
// session to StompTestBroker over TCP, as Spring's STOMP relay does. Each of
// the four SockJS transports (websocket, xhr-streaming, xhr-polling,
// eventsource) runs sockjs/scenario.ts with fromWebSocket's default options
// (text messages, chosen because SockJS has no binaryType): heart-beats
// through an idle spell, text and UTF-8 bytes both ways, a frame split into
// several messages, and a body that is not UTF-8 refused alone.
//
// Then bursts of awaited sends over xhr-streaming (sockjs/burst.ts): the
// client's own receipts bound what SockJS holds unconfirmed, and a broker
// that answers none (as Spring's simple broker) is not waited for.
//
// The npm packages are installed here on first use, into a cache directory
// outside the tree; the npm registry must be reachable then.

import {
  assert,
  assertEquals,
  assertGreater,
  assertGreaterOrEqual,
  assertLessOrEqual,
} from "@std/assert";
import { StompTestBroker } from "@stomper/stomp/testing";
import {
  assertBrowserSetup,
  launchChromium,
  pageResult,
  watchProblems,
} from "./_browser.ts";
import { bundle } from "./_bundle.ts";
import { BROKERS } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";
import { NODE, npmPackages, startServer } from "./sockjs/_server.ts";
import { BODY_BYTES, burst } from "./sockjs/burst.ts";
import {
  LARGE_BODY,
  SOCKJS_TRANSPORTS,
  type SockJsRun,
} from "./sockjs/scenario.ts";

// Longer than two of the broker's 1000 ms heart-beat intervals.
const IDLE_MS = 2500;

/** Checks what each transport's run reports. */
function assertRuns(runs: SockJsRun[], queuePrefix: string): void {
  assertEquals(runs.map((run) => run.transport), [...SOCKJS_TRANSPORTS]);
  for (const run of runs) {
    const what = `over ${run.transport}: ${JSON.stringify(run)}`;
    assertEquals(run.used, run.transport, what);
    assertEquals(run.messageType, "text", what);
    assertEquals(run.version, "1.2", what);
    assertEquals(run.heartBeat, { send: 1000, receive: 1000 }, what);
    assertEquals(
      run.received,
      [`héllo € 𝄞 over ${run.transport}`, LARGE_BODY, "UTF-8 bytes ✓"],
      what,
    );
    assertEquals(
      run.refused,
      `TypeError: Cannot send to ${
        JSON.stringify(`${queuePrefix}-${run.transport}`)
      }: the body is not valid UTF-8, and the connection carries text only (a WebSocket sending text messages, as over SockJS); send text, or encode the bytes (as Base64, say)`,
      what,
    );
    assertEquals(run.stateAfterIdle, "connected", what);
    assertEquals(run.finalState, "closed", what);
  }
}

/** Checks the broker saw every run through, with heart-beats. */
function assertBroker(
  broker: StompTestBroker,
  heartbeatsBefore: number,
  queuePrefix: string,
): void {
  // Each client's heart-beats crossed SockJS through the idle spell (at
  // least one a second from each of the four clients).
  assertGreater(broker.heartbeatsReceived - heartbeatsBefore, 4 * 2);
  for (const transport of SOCKJS_TRANSPORTS) {
    assertEquals(broker.depth(`${queuePrefix}-${transport}`), 0, transport);
    assertEquals(
      broker.unacknowledged(`${queuePrefix}-${transport}`),
      0,
      transport,
    );
  }
}

Deno.test("StompClient runs over SockJS in Node on every SockJS transport with fromWebSocket's default options", async () => {
  const npmDir = await npmPackages();
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
  });
  await using server = await startServer(npmDir, broker.port);
  const dir = await Deno.makeTempDir({ prefix: "stomper-sockjs-node-" });
  try {
    await bundle("tests/integration/sockjs/scenario.ts", `${dir}/scenario.mjs`);
    const queuePrefix = uniqueQueue("sockjs-node");
    await Deno.writeTextFile(
      `${dir}/main.mjs`,
      `import { createRequire } from "node:module";
import { runAll } from "./scenario.mjs";
const SockJS = createRequire(${JSON.stringify(`${npmDir}/`)})("sockjs-client");
const runs = await runAll(SockJS, ${
        JSON.stringify(`${server.origin}/stomp`)
      }, ${JSON.stringify(queuePrefix)}, ${IDLE_MS});
// sockjs-client keeps timers of its own after the sessions close: exit
// once the output (a pipe, written asynchronously) is out.
process.stdout.write(JSON.stringify(runs) + "\\n", () => process.exit(0));
`,
    );
    const heartbeatsBefore = broker.heartbeatsReceived;
    const output = await new Deno.Command(NODE, {
      args: [`${dir}/main.mjs`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 0, `node failed:\n${stdout}${stderr}`);
    assertEquals(stderr, "");
    assertRuns(JSON.parse(stdout) as SockJsRun[], queuePrefix);
    assertBroker(broker, heartbeatsBefore, queuePrefix);
    const stats = await server.stats();
    assertEquals(stats.sessions, 4);
    for (const transport of SOCKJS_TRANSPORTS) {
      assertEquals(stats.transports[transport], 1, JSON.stringify(stats));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>stomper over SockJS</title>
    <link rel="icon" href="data:,">
    <script src="./sockjs.min.js"></script>
    <script type="module" src="./page.js"></script>
  </head>
  <body>stomper over SockJS</body>
</html>
`;

Deno.test("StompClient runs over SockJS in headless Chromium on every SockJS transport with fromWebSocket's default options", async () => {
  // Chromium is the one the Web-STOMP tests use; RabbitMQ is not needed.
  await assertBrowserSetup(BROKERS.rabbitmqWs);
  const npmDir = await npmPackages();
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
  });
  const dir = await Deno.makeTempDir({ prefix: "stomper-sockjs-browser-" });
  try {
    const site = `${dir}/site`;
    await Deno.mkdir(site);
    await bundle("tests/integration/sockjs/page.ts", `${site}/page.js`);
    await Deno.copyFile(
      `${npmDir}/node_modules/sockjs-client/dist/sockjs.min.js`,
      `${site}/sockjs.min.js`,
    );
    await Deno.writeTextFile(`${site}/index.html`, HTML);
    await using server = await startServer(npmDir, broker.port, site);
    const context = await launchChromium(`${dir}/profile`);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      const queuePrefix = uniqueQueue("sockjs-browser");
      const heartbeatsBefore = broker.heartbeatsReceived;
      const query = new URLSearchParams({
        queue: queuePrefix,
        idle: String(IDLE_MS),
      });
      await page.goto(`${server.origin}/?${query}`);
      const runs = await pageResult<SockJsRun[]>(
        page,
        problems,
        60_000,
        "the page's SockJS clients",
      );
      assertRuns(runs, queuePrefix);
      assertBroker(broker, heartbeatsBefore, queuePrefix);
      const stats = await server.stats();
      assertEquals(stats.sessions, 4);
      for (const transport of SOCKJS_TRANSPORTS) {
        assertEquals(stats.transports[transport], 1, JSON.stringify(stats));
      }
      assert(problems.length === 0, problems.join("\n"));
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// A window of 256 KiB; what one write of the client can add past it (two
// batches of 64 KiB and a frame); a burst of 4 MiB.
const WINDOW = 256 * 1024;
const ONE_WRITE = 2 * 64 * 1024 + BODY_BYTES + 128;
const SENDS = 1024;

Deno.test("StompClient keeps at most unconfirmedBytes and one write unconfirmed in SockJS over xhr-streaming in Node", async () => {
  const npmDir = await npmPackages();
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
  });
  await using server = await startServer(npmDir, broker.port);
  const queue = uniqueQueue("sockjs-window");
  const result = await burst({
    transport: "xhr-streaming",
    url: `${server.origin}/stomp`,
    npmDir,
    queue,
    sends: SENDS,
    unconfirmedBytes: WINDOW,
  });
  console.log(JSON.stringify(result));
  // Measured on the SockJS socket, from the frames and RECEIPTs it carried.
  assertLessOrEqual(result.peakUnconfirmedKiB * 1024, WINDOW + ONE_WRITE);
  assertGreaterOrEqual(
    result.windowReceipts,
    (SENDS * BODY_BYTES) / WINDOW,
    JSON.stringify(result),
  );
  assertEquals(broker.depth(queue), SENDS + 1);
});

Deno.test("StompClient sends all over SockJS to a broker that answers no receipt (as Spring's simple broker), asking its own receipt once", async () => {
  const npmDir = await npmPackages();
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
    receipts: false,
  });
  await using server = await startServer(npmDir, broker.port);
  const queue = uniqueQueue("sockjs-no-receipts");
  const result = await burst({
    transport: "xhr-streaming",
    url: `${server.origin}/stomp`,
    npmDir,
    queue,
    sends: SENDS / 2,
    unconfirmedBytes: WINDOW,
    noReceipts: true,
  });
  console.log(JSON.stringify(result));
  assertEquals(result.windowReceipts, 1);
  // Everything went, unbounded as without the option.
  assertGreater(result.peakUnconfirmedKiB * 1024, WINDOW + ONE_WRITE);
  assertEquals(broker.depth(queue), SENDS / 2 + 1);
});
