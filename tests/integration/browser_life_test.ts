// A page's life around a connected StompClient, in headless Chromium: what
// the browser does to a WebSocket that the page's user never sees coming (the
// tab frozen in the background, the network gone, a text message the browser
// refuses), and whether the client's error says what happened. The browser
// gives a page no reason for any of these (its error event is empty; only the
// console says), so the transport tells them apart by what it saw.
//
// Chromium is launched with a DevTools port and driven through
// playwright-core's connectOverCDP with `noDefaults`, as in
// worker_timers_test.ts: a page Playwright launches itself gets focus
// emulation, which keeps every page visible, and Chromium freezes only a
// hidden page.

import { assertEquals, assertMatch } from "@std/assert";
import type { Browser, Page } from "npm:playwright-core@1";
import {
  type CdpChromium,
  launchChromiumOverCdp,
  serveFiles,
  startExampleServer,
} from "./_browser.ts";
import { bundle } from "./_bundle.ts";
import { BROKERS, withGuest } from "./_client.ts";
import { assertReachable } from "./_codec_session.ts";
import { makePki } from "./_certs.ts";
import { StompClient } from "../../mod.ts";
import { StompTestBroker } from "../../src/testing/mod.ts";
import { sleep, uniqueQueue, uniqueTopic, within } from "../_helpers.ts";

const HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>stomper browser life test</title>
    <link rel="icon" href="data:,">
    <script type="module" src="./page.js"></script>
  </head>
  <body>stomper browser life test</body>
</html>
`;

/** Chromium, its pages served from 127.0.0.1, ended with its process group. */
interface Chromium extends AsyncDisposable {
  browser: Browser;
  /**
   * Opens the test page (or `url`, a page serving the same files) and waits
   * for its script; `/csp` is the page with a Content Security Policy.
   */
  open(url?: string): Promise<Page>;
  /** The files the pages are made of, by path. */
  files: Record<string, [string, string]>;
  /** Everything the pages wrote to the console, as "type: text". */
  console: string[];
}

// The page again, under a policy that lets it connect to its own origin only.
const CSP_HTML = HTML.replace(
  '<meta charset="utf-8">',
  `<meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy" content="connect-src 'self'">`,
);

async function startChromium(args: string[] = []): Promise<Chromium> {
  const dir = await Deno.makeTempDir({ prefix: "stomper-browser-life-" });
  const pageJs = await bundle(
    "tests/integration/browser_life/page.ts",
    `${dir}/page.js`,
  );
  const files: Record<string, [string, string]> = {
    "/": [HTML, "text/html; charset=utf-8"],
    "/csp": [CSP_HTML, "text/html; charset=utf-8"],
    "/page.js": [pageJs, "text/javascript; charset=utf-8"],
  };
  const server = serveFiles(files);
  let launched: CdpChromium;
  try {
    launched = await launchChromiumOverCdp(`${dir}/profile`, args);
  } catch (error) {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  const browser = launched.browser;
  const messages: string[] = [];
  return {
    browser,
    files,
    console: messages,
    async open(url = "/") {
      const page = await browser.contexts()[0]!.newPage();
      page.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
      page.on("pageerror", (e) => messages.push(`page error: ${e}`));
      await page.goto(
        new URL(url, `http://127.0.0.1:${server.addr.port}/`).href,
      );
      await page.waitForFunction(() => "stomper" in globalThis);
      return page;
    },
    async [Symbol.asyncDispose]() {
      await launched[Symbol.asyncDispose]();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// What the page's client saw, collected in the page.
type Seen = { states: string[] };

/** The state changes (with their errors) the page's client has reported. */
function seen(page: Page): Promise<Seen> {
  return page.evaluate(() => (globalThis as unknown as { seen: Seen }).seen);
}

Deno.test("WebSocketTransport in Chromium names a page frozen in the background as why its connection closed, and StompClient reconnects on thaw", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  await using browser = await startChromium();
  const page = await browser.open();
  await page.evaluate(async (url) => {
    const { StompClient } = (globalThis as unknown as {
      stomper: typeof import("../../src/browser.ts");
    }).stomper;
    const seen: Seen = { states: [] };
    (globalThis as unknown as { seen: Seen }).seen = seen;
    await StompClient.connectUrl(url, {
      heartBeat: [1000, 1000],
      reconnect: { initialDelay: 100 },
      onStateChange({ state, error }) {
        seen.states.push(
          error === undefined ? state : `${state}: ${error.message}`,
        );
      },
    });
  }, broker.webSocketUrl!);
  // Chromium freezes only a hidden page: another tab in front hides it.
  const front = await browser.browser.contexts()[0]!.newPage();
  await front.bringToFront();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Page.enable");
  await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
  await sleep(500);
  await cdp.send("Page.setWebLifecycleState", { state: "active" });
  // Polled: a hidden page runs no animation frames, waitForFunction's default.
  await within(
    page.waitForFunction(
      () => (globalThis as unknown as { seen: Seen }).seen.states.length >= 3,
      undefined,
      { polling: 100 },
    ),
    10_000,
    "the client to reconnect after the thaw",
  ).catch(async (error) => {
    throw new Error(`${error.message}: ${JSON.stringify(await seen(page))}`);
  });
  const { states } = await seen(page);
  assertEquals(states.length, 3, states.join("\n"));
  assertEquals(states[0], "connected");
  assertEquals(
    states[1],
    "reconnecting: Connection lost: WebSocket closed with code 1006 (the page was frozen, or in the back-forward cache)",
  );
  assertEquals(states[2], "connected");
});

Deno.test("WebSocketTransport in Chromium says the browser failed a text-mode connection, and StompClient names a binary body as the likely cause", async () => {
  await assertReachable(BROKERS.rabbitmqWsText, "RabbitMQ Web-STOMP (text)");
  await using browser = await startChromium();
  const page = await browser.open();
  const queue = uniqueQueue("browser-life-utf8");
  await page.evaluate(async ([url, queue]) => {
    const { StompClient } = (globalThis as unknown as {
      stomper: typeof import("../../src/browser.ts");
    }).stomper;
    const seen: Seen = { states: [] };
    (globalThis as unknown as { seen: Seen }).seen = seen;
    const client = await StompClient.connectUrl(url, {
      login: "guest",
      passcode: "guest",
      heartBeat: [0, 0],
      onStateChange({ state, error }) {
        seen.states.push(
          error === undefined ? state : `${state}: ${error.message}`,
        );
      },
    });
    await client.subscribe(queue, { receipt: true });
    // A text message first: the endpoint speaks text.
    await client.send(queue, "text first", { receipt: true });
  }, [BROKERS.rabbitmqWsText, queue] as const);
  // A publisher elsewhere (on the same RabbitMQ node, whose TCP port is not
  // open) sends a body that is not UTF-8.
  {
    await using publisher = await StompClient.connectUrl(
      withGuest(BROKERS.rabbitmqWsText),
    );
    await publisher.send(queue, new Uint8Array([0xff, 0xfe]), {
      receipt: true,
    });
  }
  await within(
    page.waitForFunction(
      () => (globalThis as unknown as { seen: Seen }).seen.states.length >= 2,
      undefined,
      { polling: 100 },
    ),
    10_000,
    "the client to lose its connection",
  ).catch(async (error) => {
    throw new Error(`${error.message}: ${JSON.stringify(await seen(page))}`);
  });
  const { states } = await seen(page);
  assertEquals(states, [
    "connected",
    "closed: Connection lost: WebSocket closed with code 1006 (the browser failed it; its console says why; on a text endpoint, likely invalid UTF-8): the server sent a text message that is not UTF-8: a binary body published to a text-mode endpoint (such as RabbitMQ's Web-STOMP with ws_frame = text) reaches its consumers so; publish binary bodies over TCP or a binary-mode endpoint",
  ]);
  // What the browser's console said, which the page cannot read.
  assertEquals(
    browser.console.filter((line) => line.includes("UTF-8")).length,
    1,
    browser.console.join("\n"),
  );
});

Deno.test("connectWebSocket in Chromium says the browser is offline, and where a browser tells why a connection failed", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  await using browser = await startChromium();
  const page = await browser.open();
  const connect = (url: string) =>
    page.evaluate(async (url) => {
      const { StompClient } = (globalThis as unknown as {
        stomper: typeof import("../../src/browser.ts");
      }).stomper;
      try {
        const client = await StompClient.connectUrl(url);
        await client.disconnect();
        return "connected";
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    }, url);
  const url = broker.webSocketUrl!;
  const cdp = await page.context().newCDPSession(page);
  const network = (offline: boolean) =>
    cdp.send("Network.emulateNetworkConditions", {
      offline,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
  await cdp.send("Network.enable");
  await network(true);
  assertEquals(
    await connect(url),
    `StompConnectionError: Cannot connect to "${url}": the connection failed (the browser is offline)`,
  );
  await network(false);
  assertEquals(await connect(url), "connected");
  // A path the server does not serve: the browser tells only its console.
  const wrongPath = url.replace(/\/ws$/, "/stomp");
  assertEquals(
    await connect(wrongPath),
    `StompConnectionError: Cannot connect to "${wrongPath}": the connection failed (refused, unreachable, or the upgrade was rejected; its console says why)`,
  );
  assertEquals(
    browser.console.filter((line) => line.includes(wrongPath)).length,
    1,
    browser.console.join("\n"),
  );
});

Deno.test("StompClient in Chromium ends with why, instead of holding everything, when a topic subscription is left unread over RabbitMQ Web-STOMP", async () => {
  await assertReachable(BROKERS.rabbitmqWs, "RabbitMQ Web-STOMP");
  await using browser = await startChromium();
  const page = await browser.open();
  const topic = uniqueTopic("browser-life-unread");
  await page.evaluate(async ([url, topic]) => {
    const { StompClient } = (globalThis as unknown as {
      stomper: typeof import("../../src/browser.ts");
    }).stomper;
    const client = await StompClient.connectUrl(url, {
      login: "guest",
      passcode: "guest",
      heartBeat: [0, 10_000],
      transport: { maxUnreadBytes: 16 * 1024 * 1024 },
    });
    const subscription = await client.subscribe(topic, { receipt: true });
    // Read later, as a page reads a panel that is closed for now.
    (globalThis as unknown as { readLater: () => Promise<string> })
      .readLater = async () => {
        let read = 0;
        try {
          for await (const _ of subscription) read++;
          return `ended after ${read}`;
        } catch (error) {
          return `${read} read, then ${(error as Error).name}: ${
            (error as Error).message
          }`;
        }
      };
  }, [BROKERS.rabbitmqWs, topic] as const);
  {
    await using publisher = await StompClient.connectUrl(
      withGuest(BROKERS.rabbitmqTcp),
    );
    const body = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 40; i++) await publisher.send(topic, body);
    await publisher.send(topic, "last", { receipt: true });
  }
  await sleep(500);
  const outcome = await within(
    page.evaluate(() =>
      (globalThis as unknown as { readLater: () => Promise<string> })
        .readLater()
    ),
    10_000,
    "the page to read its subscription",
  );
  // 8 MiB (highWaterMarkBytes) in the subscription, then why it ended.
  assertMatch(
    outcome,
    /^8 read, then StompConnectionError: Transport failed while reading: Cannot read WebSocket: over maxUnreadBytes \(16777216\) unread; a WebSocket cannot make the server wait: read as it comes, or use a prefetch$/,
  );
});

/** What connecting from the page gives: "connected", or the error. */
function connectFrom(page: Page, url: string): Promise<string> {
  return page.evaluate(async (url) => {
    const { StompClient } = (globalThis as unknown as {
      stomper: typeof import("../../src/browser.ts");
    }).stomper;
    try {
      const client = await StompClient.connectUrl(url, {
        login: "guest",
        passcode: "guest",
      });
      await client.disconnect();
      return "connected";
    } catch (error) {
      const { name, message, cause } = error as Error;
      return `${name}: ${message}${
        cause instanceof Error ? ` (cause: ${cause.name})` : ""
      }`;
    }
  }, url);
}

Deno.test("connectWebSocket in Chromium names the URL and the policy when a Content Security Policy blocks the connection", async () => {
  await using browser = await startChromium();
  const page = await browser.open("/csp");
  const url = "ws://127.0.0.1:9/ws";
  assertEquals(
    await connectFrom(page, url),
    `StompConnectionError: Cannot connect to "${url}": the browser refused it (a Content Security Policy?); its console says why (cause: TransportConnectError)`,
  );
  assertEquals(
    browser.console.filter((line) => line.includes("Content Security Policy"))
      .length,
    1,
    browser.console.join("\n"),
  );
});

Deno.test("connectWebSocket in Chromium names the URL when a page loaded over https: opens ws: (mixed content)", async () => {
  await using pki = await makePki();
  await using browser = await startChromium(["--ignore-certificate-errors"]);
  await using https = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    ...pki.servers.localhost,
  }, (request) => {
    const file = browser.files[new URL(request.url).pathname];
    return file === undefined
      ? new Response("not found", { status: 404 })
      : new Response(file[0], { headers: { "content-type": file[1] } });
  });
  const page = await browser.open(`https://localhost:${https.addr.port}/`);
  // Not loopback: browsers let an https: page open ws: to loopback only.
  const url = "ws://192.0.2.1:15674/ws";
  assertEquals(
    await connectFrom(page, url),
    `StompConnectionError: Cannot connect to "${url}": Failed to construct 'WebSocket': An insecure WebSocket connection may not be initiated from a page loaded over HTTPS. (cause: TransportConnectError)`,
  );
});

Deno.test("WebSocketTransport in Chromium keeps a connection that sends client heart-beats during a long upload only with maxMessageBytes", async () => {
  // The broker drops a client silent for 2 s; a WebSocket server reads a
  // message once it is whole, so a 3 MiB frame sent at 300 KB/s is silence.
  await using broker = StompTestBroker.listen({
    webSocket: true,
    heartBeat: [1000, 1000],
  });
  await using browser = await startChromium();
  const page = await browser.open();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: 300_000,
  });
  const upload = (maxMessageBytes: number) =>
    page.evaluate(async ([url, maxMessageBytes]) => {
      const { StompClient } = (globalThis as unknown as {
        stomper: typeof import("../../src/browser.ts");
      }).stomper;
      const client = await StompClient.connectUrl(url, {
        heartBeat: [1000, 1000],
        transport: { maxMessageBytes },
      });
      try {
        await client.send("/queue/upload", new Uint8Array(3 * 1024 * 1024), {
          receipt: true,
        });
        await client.disconnect();
        return "received";
      } catch (error) {
        return (error as Error).message;
      }
    }, [broker.webSocketUrl!, maxMessageBytes] as const);
  assertEquals(
    await upload(Infinity),
    'Connection lost: WebSocket closed with code 1000: "STOMP connection closed"',
  );
  assertEquals(await upload(64 * 1024), "received");
});

Deno.test("StompClient in Chromium reconnects a page restored from the back-forward cache, whose pagehide handler disconnects only a page that is not kept", async () => {
  const frames: string[] = [];
  await using broker = StompTestBroker.listen({
    webSocket: true,
    onFrame: (frame) => frames.push(frame.command),
  });
  await using browser = await startChromium();
  const page = await browser.open();
  await page.evaluate(async (url) => {
    const { StompClient } = (globalThis as unknown as {
      stomper: typeof import("../../src/browser.ts");
    }).stomper;
    const seen: Seen = { states: [] };
    (globalThis as unknown as { seen: Seen }).seen = seen;
    const client = await StompClient.connectUrl(url, {
      reconnect: { initialDelay: 100 },
      onStateChange({ state, error }) {
        seen.states.push(
          error === undefined ? state : `${state}: ${error.message}`,
        );
      },
    });
    // As docs/browser.md says: a page the browser keeps comes back.
    addEventListener("pagehide", (event) => {
      if (!(event as Event & { persisted: boolean }).persisted) {
        client.disconnect();
      }
    });
  }, broker.webSocketUrl!);
  await page.goto(new URL("/csp", page.url()).href);
  await page.goBack({ waitUntil: "commit" });
  await within(
    page.waitForFunction(
      () =>
        (globalThis as unknown as { seen?: Seen }).seen?.states.length === 3,
      undefined,
      { polling: 100 },
    ),
    10_000,
    "the restored page's client to reconnect",
  );
  assertEquals((await seen(page)).states, [
    "connected",
    "reconnecting: Connection lost: WebSocket closed with code 1006 (the page was frozen, or in the back-forward cache)",
    "connected",
  ]);
  assertEquals(frames, ["CONNECT", "CONNECT"]);
  // Leaving for good: the handler's DISCONNECT gets out.
  await page.close({ runBeforeUnload: true });
  await within(
    (async () => {
      while (!frames.includes("DISCONNECT")) await sleep(50);
    })(),
    5000,
    "the DISCONNECT",
  );
});

Deno.test("examples/browser/client.html sends DISCONNECT when its tab is closed", async () => {
  const frames: string[] = [];
  await using broker = StompTestBroker.listen({
    webSocket: true,
    onFrame: (frame) => frames.push(frame.command),
  });
  await using example = await startExampleServer();
  await using browser = await startChromium();
  const page = await browser.browser.contexts()[0]!.newPage();
  await page.goto(
    `${example.clientPage}?${new URLSearchParams({
      ws: broker.webSocketUrl!,
    })}`,
  );
  await page.locator("#state", { hasText: /^connected$/ }).waitFor({
    timeout: 10_000,
  });
  await page.close({ runBeforeUnload: true });
  await within(
    (async () => {
      while (!frames.includes("DISCONNECT")) await sleep(50);
    })(),
    5000,
    "the DISCONNECT",
  ).catch((error) => {
    throw new Error(`${error.message}; the broker got ${frames.join(", ")}`);
  });
});

Deno.test("RabbitMQ Web-STOMP closes a connection that sent nothing for 60 s: heartBeat [0, N] loses it, client heart-beats every 20 s keep it", async () => {
  await assertReachable(BROKERS.rabbitmqWs, "RabbitMQ Web-STOMP");
  const ends: string[] = [];
  const connect = (heartBeat: [number, number]) =>
    StompClient.connectUrl(withGuest(BROKERS.rabbitmqWs), {
      heartBeat,
      onStateChange({ state, error }) {
        if (state === "closed") ends.push(`${heartBeat}: ${error?.message}`);
      },
    });
  const silent = await connect([0, 10_000]);
  await using chatty = await connect([20_000, 10_000]);
  const start = performance.now();
  await silent.closed.catch(() => {});
  const after = performance.now() - start;
  // Web-STOMP's idle timeout is 60 s by default.
  assertEquals(
    after > 55_000 && after < 70_000,
    true,
    `closed after ${after} ms`,
  );
  assertEquals(ends, ["0,10000: The server closed the connection"]);
  await sleep(10_000);
  assertEquals(chatty.state, "connected");
});
