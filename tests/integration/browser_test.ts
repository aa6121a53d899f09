// The library in a real browser: headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) loads a page from 127.0.0.1 whose script, bundled
// with `deno bundle`, talks Web-STOMP to RabbitMQ.

import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  assertBrowserSetup,
  launchChromium,
  pageResult,
  serveFiles,
  startExampleServer,
  watchProblems,
} from "./_browser.ts";
import { bundle } from "./_bundle.ts";
import { BROKERS } from "./_codec_session.ts";
import { uniqueQueue } from "../_helpers.ts";
import type { PageResult } from "./browser/page.ts";

Deno.test("connectWebSocket in headless Chromium talks Web-STOMP to RabbitMQ", async () => {
  await assertBrowserSetup(BROKERS.rabbitmqWs);
  const dir = await Deno.makeTempDir({ prefix: "stomper-browser-" });
  try {
    const pageJs = await bundle(
      "tests/integration/browser/page.ts",
      `${dir}/page.js`,
    );
    const libraryJs = await bundle("mod.ts", `${dir}/stomper.js`);
    const html = await Deno.readTextFile(
      new URL("./browser/index.html", import.meta.url),
    );
    const files: Record<string, [string, string]> = {
      "/": [html, "text/html; charset=utf-8"],
      "/page.js": [pageJs, "text/javascript; charset=utf-8"],
      "/stomper.js": [libraryJs, "text/javascript; charset=utf-8"],
    };
    await using server = serveFiles(files);

    const context = await launchChromium(`${dir}/profile`);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      const queue = uniqueQueue("browser");
      const query = new URLSearchParams({ ws: BROKERS.rabbitmqWs, queue });
      await page.goto(`http://127.0.0.1:${server.addr.port}/?${query}`);
      const result = await pageResult<PageResult>(
        page,
        problems,
        20_000,
        "the page's STOMP session",
      );

      assertMatch(result.userAgent, /Chrome\//);
      assertEquals(result.protocol, "v12.stomp");
      assertEquals(result.version, "1.2");
      assertMatch(result.server ?? "", /^RabbitMQ\//);
      assertEquals(result.text, "hello from Chromium \u{1F310}");
      assertEquals(result.textContentType, "text/plain;charset=utf-8");
      assertEquals(
        result.binary,
        Array.from({ length: 256 }, (_, i) => 255 - i),
      );
      assert(result.libraryExports.includes("connectWebSocket"));
      assert(result.libraryExports.includes("StompDecoderStream"));
      assertMatch(result.tcpRefusal, /^TypeError: .*need Deno/);
      assertEquals(problems, []);
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/browser chats over a STOMP topic in headless Chromium", async () => {
  await assertBrowserSetup(BROKERS.rabbitmqWs);
  await using serve = await startExampleServer();
  const dir = await Deno.makeTempDir({ prefix: "stomper-browser-" });
  try {
    const context = await launchChromium(`${dir}/profile`);
    try {
      const page = await context.newPage();
      const query = new URLSearchParams({ ws: BROKERS.rabbitmqWs });
      await page.goto(`${serve.address}?${query}`);
      await page.locator("#status", { hasText: /^connected/ }).waitFor({
        timeout: 10_000,
      });
      assertMatch(
        (await page.textContent("#status")) ?? "",
        /^connected to ws:.* \(STOMP 1\.2, v12\.stomp\)$/,
      );
      const text = `hello ${crypto.randomUUID()}`;
      await page.fill("#text", text);
      await page.click("#send");
      await page.locator("#log li", { hasText: text }).waitFor({
        timeout: 10_000,
      });
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
