// StompClient in a real browser: headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) loads a page from 127.0.0.1 whose script, bundled
// with `deno bundle`, runs the client over the browser's WebSocket against
// RabbitMQ Web-STOMP.

import { assertEquals, assertMatch } from "@std/assert";
import { chromium } from "npm:playwright-core@1";
import { bundle } from "./_bundle.ts";
import { BROKERS, START_HINT, uniqueQueue, within } from "./_client.ts";
import type { ClientPageResult } from "./client_browser/page.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>stomper client browser test</title>
    <link rel="icon" href="data:,">
    <script type="module" src="./page.js"></script>
  </head>
  <body>stomper client browser test</body>
</html>
`;

Deno.test("StompClient runs in headless Chromium over WebSocket against RabbitMQ Web-STOMP", async () => {
  const { hostname, port } = new URL(BROKERS.rabbitmqWs);
  try {
    (await Deno.connect({ hostname, port: Number(port) })).close();
  } catch (error) {
    throw new Error(
      `RabbitMQ Web-STOMP at ${BROKERS.rabbitmqWs} is not reachable (${
        (error as Error).message
      }): ${START_HINT}`,
    );
  }
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: install it with \`scripts/brokers.sh install\``,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "stomper-client-browser-" });
  try {
    const pageJs = await bundle(
      "tests/integration/client_browser/page.ts",
      `${dir}/page.js`,
    );
    const files: Record<string, [string, string]> = {
      "/": [HTML, "text/html; charset=utf-8"],
      "/page.js": [pageJs, "text/javascript; charset=utf-8"],
    };
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        const file = files[new URL(request.url).pathname];
        return file === undefined
          ? new Response("not found", { status: 404 })
          : new Response(file[0], { headers: { "content-type": file[1] } });
      },
    );
    const context = await chromium.launchPersistentContext(
      `${dir}/profile`,
      { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS },
    );
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(`page error: ${error}`));
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      const query = new URLSearchParams({
        ws: BROKERS.rabbitmqWs,
        queue: uniqueQueue("browser"),
      });
      await page.goto(`http://127.0.0.1:${server.addr.port}/?${query}`);
      const result = await within(
        page.evaluate(() =>
          (globalThis as { stomperResult?: Promise<ClientPageResult> })
            .stomperResult!
        ),
        30_000,
        "the page's client",
      ).catch((error) => {
        throw new Error(`${error.message}\n${problems.join("\n")}`);
      });
      assertEquals(result.version, "1.2");
      assertMatch(result.server ?? "", /^RabbitMQ\//);
      assertEquals(result.heartBeat, { send: 1000, receive: 1000 });
      assertEquals(result.text, "hello from the browser client");
      assertEquals(result.redelivered, "true");
      assertEquals(result.binary, [0, 128, 255]);
      assertEquals(result.stateAfterIdle, "connected");
      assertEquals(result.finalState, "closed");
      assertEquals(problems, []);
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
