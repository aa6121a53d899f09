// workerTimers where it matters: a hidden tab in Chromium, whose timers the
// browser throttles. Debian's Chromium runs headless, launched here with a
// DevTools port and driven through playwright-core's connectOverCDP with
// `noDefaults`: a page Playwright launches itself gets focus emulation, which
// keeps every page visible, so no tab could ever be hidden.
//
// What headless Chromium reproduces, measured on Chromium 156:
// - Bringing a second tab to the front hides the first one
//   (`document.visibilityState`); a chain of 250 ms page timers then runs
//   once a second: the throttling of every hidden tab.
// - Intensive throttling (one wake-up a minute, at minute boundaries) comes
//   after a grace period, 5 minutes by default, that Chromium's feature
//   parameter shortens: `--enable-features=IntensiveWakeUpThrottling:
//   grace_period_seconds/3`. It then applies after 3 s to a page that has
//   painted nothing; a page with visible content kept one wake-up a second
//   for about 60 s with the parameter at 3 s. Hence the page below has an empty
//   body: the same throttling, reached in seconds instead of a minute.
// That is what a user's background tab meets: heart-beats on the page's
// timers stop and the broker drops the connection; on worker timers they go
// on at the negotiated rate.

import { assert, assertEquals, assertGreaterOrEqual } from "@std/assert";
import type { Page } from "npm:playwright-core@1";
import {
  launchChromium,
  launchChromiumOverCdp,
  pageResult,
  serveFiles,
  watchProblems,
} from "./_browser.ts";
import { bundle, runUnderNode } from "./_bundle.ts";
import { StompTestBroker } from "../../src/testing/mod.ts";
import { BROKERS } from "./_client.ts";
import { assertReachable } from "./_codec_session.ts";
import { sleep, uniqueQueue } from "../_helpers.ts";
import type { WorkerTimersSnapshot } from "./worker_timers/page.ts";
import type { CspPageResult } from "./worker_timers/csp_page.ts";

// How long a hidden tab keeps one wake-up a second before one a minute.
const GRACE_SECONDS = 3;

const HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>stomper worker timers test</title>
    <link rel="icon" href="data:,">
    <script type="module" src="./page.js"></script>
  </head>
  <body></body>
</html>
`;

/** The times at which a counter went up, looked at every 20 ms. */
function watchCount(count: () => number): { times: number[]; stop(): void } {
  const times: number[] = [];
  let last = count();
  const timer = setInterval(() => {
    const now = performance.now();
    for (const current = count(); last < current; last++) times.push(now);
  }, 20);
  return { times, stop: () => clearInterval(timer) };
}

function snapshot(page: Page): Promise<WorkerTimersSnapshot> {
  return page.evaluate(() =>
    (globalThis as unknown as { stomperSnapshot(): WorkerTimersSnapshot })
      .stomperSnapshot()
  );
}

function largestGap(times: number[]): number {
  let largest = 0;
  for (let i = 1; i < times.length; i++) {
    largest = Math.max(largest, times[i]! - times[i - 1]!);
  }
  return largest;
}

Deno.test("workerTimers keeps heart-beats at the negotiated rate in a hidden, throttled Chromium tab", async () => {
  await assertReachable(BROKERS.rabbitmqWs, "RabbitMQ Web-STOMP");
  const brokerOptions = {
    webSocket: true,
    // Wants a heart-beat every second; drops a client silent for 2 s.
    heartBeat: [0, 1000] as [number, number],
    heartBeatGrace: 2,
  };
  await using workerBroker = StompTestBroker.listen(brokerOptions);
  await using pageBroker = StompTestBroker.listen(brokerOptions);
  const dir = await Deno.makeTempDir({ prefix: "stomper-worker-timers-" });
  try {
    const pageJs = await bundle(
      "tests/integration/worker_timers/page.ts",
      `${dir}/page.js`,
    );
    await using server = serveFiles({
      "/": [HTML, "text/html; charset=utf-8"],
      "/page.js": [pageJs, "text/javascript; charset=utf-8"],
    });
    await using launched = await launchChromiumOverCdp(`${dir}/profile`, [
      `--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/${GRACE_SECONDS}`,
    ]);
    const browser = launched.browser;
    const context = browser.contexts()[0]!;
    const page = context.pages()[0] ?? await context.newPage();
    const problems = watchProblems(page);
    const query = new URLSearchParams({
      worker: workerBroker.webSocketUrl!,
      page: pageBroker.webSocketUrl!,
      rabbitmq: BROKERS.rabbitmqWs,
      queue: uniqueQueue("worker-timers"),
    });
    await page.goto(`http://127.0.0.1:${server.addr.port}/?${query}`);
    await pageResult<void>(page, problems, 20_000, "the clients to connect");
    const before = await snapshot(page);
    assertEquals(before.visibility, "visible");
    assert(before.worker.inWorker, "the page made no Worker");
    assertEquals(before.worker.heartBeatSend, 1000);
    assertEquals(before.page.heartBeatSend, 1000);
    assertEquals(before.rabbitmqWorker.heartBeatSend, 1000);
    assertEquals(before.rabbitmqPage.heartBeatSend, 1000);
    // A few visible seconds: the page's timers at full speed, and the
    // heart-beat timer chain long enough for intensive throttling.
    await sleep(1500);

    const workerBeats = watchCount(() => workerBroker.heartbeatsReceived);
    const pageBeats = watchCount(() => pageBroker.heartbeatsReceived);
    const front = await context.newPage();
    await front.bringToFront();
    const hiddenAt = performance.now();
    assertEquals((await snapshot(page)).visibility, "hidden");

    // Past the grace period, long enough for the broker to drop the
    // client on page timers (2 s of silence).
    const hiddenFor = (GRACE_SECONDS + 9) * 1000;
    await sleep(hiddenFor);
    workerBeats.stop();
    pageBeats.stop();
    const after = await snapshot(page);
    const elapsed = performance.now() - hiddenAt;

    // The throttling is real: the 250 ms page-timer chain ran once a
    // second while hidden, then stopped for much longer.
    assertEquals(after.visibility, "hidden");
    const hiddenSince = after.now - elapsed;
    const hiddenTicks = after.pageTicks.filter((t) => t > hiddenSince);
    const throttledGap = largestGap([...hiddenTicks, after.now]);
    assertGreaterOrEqual(
      throttledGap,
      4000,
      `page timers were not throttled: ${hiddenTicks.length} ticks`,
    );
    // So the client on page timers fell silent and was dropped.
    assertEquals(after.page.state, "closed");
    assertEquals(pageBroker.connections, 0);

    // The client on worker timers kept beating about once a second.
    assertEquals(after.worker.state, "connected");
    assert(after.worker.inWorker);
    assertEquals(workerBroker.connections, 1);
    const beats = workerBeats.times;
    assertGreaterOrEqual(
      beats.length,
      Math.floor(elapsed / 1000) - 1,
      `${beats.length} heart-beats in ${Math.round(elapsed)} ms`,
    );
    const gap = largestGap([hiddenAt, ...beats]);
    // Sent after 800 ms of idle link; the broker would drop at 2000 ms.
    assert(gap < 1700, `heart-beats ${Math.round(gap)} ms apart`);

    // RabbitMQ too drops the client on page timers, and keeps the one on
    // worker timers, which still gets its receipts.
    assertEquals(after.rabbitmqPage.state, "closed");
    assertEquals(after.rabbitmqWorker.state, "connected");
    assertEquals(
      await page.evaluate(() =>
        (globalThis as unknown as { stomperRoundTrip(): Promise<string> })
          .stomperRoundTrip()
      ),
      "ok",
    );
    assertEquals(problems, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workerTimers falls back to the page's timers under a Content Security Policy without blob: workers in Chromium", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stomper-worker-timers-" });
  try {
    const pageJs = await bundle(
      "tests/integration/worker_timers/csp_page.ts",
      `${dir}/page.js`,
    );
    const policies: Record<string, string> = {
      "/forbidden": "script-src 'self'; worker-src 'self'",
      "/allowed": "script-src 'self'; worker-src 'self' blob:",
    };
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        const path = new URL(request.url).pathname;
        if (path === "/page.js") {
          return new Response(pageJs, {
            headers: { "content-type": "text/javascript; charset=utf-8" },
          });
        }
        const policy = policies[path];
        return policy === undefined
          ? new Response("not found", { status: 404 })
          : new Response(HTML, {
            headers: {
              "content-type": "text/html; charset=utf-8",
              "content-security-policy": policy,
            },
          });
      },
    );
    const context = await launchChromium(`${dir}/profile`);
    try {
      const results: Record<string, CspPageResult> = {};
      for (const path of Object.keys(policies)) {
        const page = await context.newPage();
        const problems = watchProblems(page);
        await page.goto(`http://127.0.0.1:${server.addr.port}${path}`);
        results[path] = await pageResult<CspPageResult>(
          page,
          problems,
          10_000,
          `the page at ${path}`,
        );
        await page.close();
      }
      // Chromium constructs the refused worker and reports the refusal a
      // moment later (an error event): the call made meanwhile moves to the
      // page's timers, keeping its due time, and fallback: false cannot
      // throw.
      const forbidden = results["/forbidden"]!;
      assertEquals(forbidden.inWorkerAtFirst, true);
      assertEquals(forbidden.inWorkerLater, false);
      assertEquals(forbidden.strict, "");
      assertGreaterOrEqual(forbidden.firedAfter, 49);
      assert(forbidden.firedAfter < 400, `${forbidden.firedAfter} ms`);
      const allowed = results["/allowed"]!;
      assertEquals(allowed.inWorkerAtFirst, true);
      assertEquals(allowed.inWorkerLater, true);
      assertGreaterOrEqual(allowed.firedAfter, 49);
      assertEquals(allowed.strict, "");
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workerTimers falls back to Node's own timers (no Worker global)", async () => {
  await using broker = StompTestBroker.listen({ heartBeat: [0, 100] });
  const run = await runUnderNode(
    `
import { StompClient, workerTimers } from "@stomper/stomp";
const timers = workerTimers();
const client = await StompClient.connectUrl(process.env.STOMP_URL, {
  heartBeat: [100, 0],
  timers,
});
await new Promise((resolve) => setTimeout(resolve, 500));
let refused = "";
try {
  workerTimers({ fallback: false });
} catch (error) {
  refused = \`\${error.name}: \${error.message}\`;
}
console.log(JSON.stringify({
  hasWorker: typeof Worker,
  inWorker: timers.inWorker,
  state: client.state,
  refused,
}));
await client.disconnect();
timers.dispose();
`,
    { STOMP_URL: broker.url },
  );
  assertEquals(run.code, 0, run.stderr);
  assertEquals(JSON.parse(run.stdout), {
    hasWorker: "undefined",
    inWorker: false,
    state: "connected",
    refused:
      'TypeError: Cannot create worker timers: this runtime has no "Worker"',
  });
  assertGreaterOrEqual(broker.heartbeatsReceived, 3);
});
