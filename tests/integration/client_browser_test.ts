// StompClient in a real browser: headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) loads a page from 127.0.0.1 whose script, bundled
// with `deno bundle`, runs the client over the browser's WebSocket against
// RabbitMQ Web-STOMP.

import { assertEquals, assertMatch } from "@std/assert";
import {
  assertBrowserSetup,
  launchChromium,
  pageResult,
  serveFiles,
  watchProblems,
} from "./_browser.ts";
import { bundle } from "./_bundle.ts";
import { BROKERS } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";
import type { ClientPageResult } from "./client_browser/page.ts";

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
  await assertBrowserSetup(BROKERS.rabbitmqWs);
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
    await using server = serveFiles(files);
    const context = await launchChromium(`${dir}/profile`);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      const query = new URLSearchParams({
        ws: BROKERS.rabbitmqWs,
        queue: uniqueQueue("browser"),
      });
      await page.goto(`http://127.0.0.1:${server.addr.port}/?${query}`);
      const result = await pageResult<ClientPageResult>(
        page,
        problems,
        30_000,
        "the page's client",
      );
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
