// examples/browser/client.html, the chat on StompClient, as a user runs it:
// serve.ts in a subprocess, the page in headless Chromium, RabbitMQ Web-STOMP
// behind a ChaosRelay so the test can cut the connection and watch the page
// reconnect, resubscribe and send again.

import { assertEquals, assertMatch } from "@std/assert";
import type { Page } from "npm:playwright-core@1";
import {
  assertBrowserSetup,
  launchChromium,
  startExampleServer,
  watchProblems,
} from "./_browser.ts";
import { BROKERS } from "./_codec_session.ts";
import { StompClient } from "../../mod.ts";
import { ChaosRelay } from "../_chaos.ts";
import { uniqueTopic } from "../_helpers.ts";

async function sendFromPage(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.click("#send");
}

function received(page: Page, text: string): Promise<void> {
  return page.locator("#log li", { hasText: text }).waitFor({
    timeout: 10_000,
  });
}

function stateIs(page: Page, state: string): Promise<void> {
  return page.locator("#state", { hasText: new RegExp(`^${state}$`) })
    .waitFor({ timeout: 10_000 });
}

Deno.test("examples/browser/client.html subscribes, sends, shows its state and reconnects in headless Chromium", async () => {
  await assertBrowserSetup(BROKERS.rabbitmqWs);
  const webStomp = new URL(BROKERS.rabbitmqWs);
  await using relay = ChaosRelay.start({
    hostname: webStomp.hostname,
    port: Number(webStomp.port),
  });
  await using serve = await startExampleServer();
  const topic = uniqueTopic("browser-client");
  const dir = await Deno.makeTempDir({ prefix: "stomper-browser-client-" });
  try {
    const context = await launchChromium(`${dir}/profile`);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      const ws = `ws://127.0.0.1:${relay.port}${webStomp.pathname}`;
      await page.goto(
        `${serve.clientPage}?${new URLSearchParams({ ws, topic })}`,
      );
      await stateIs(page, "connected");
      assertMatch(
        (await page.textContent("#detail")) ?? "",
        /^RabbitMQ\/[\d.]+ at ws:\/\/127\.0\.0\.1:\d+\/ws, STOMP 1\.2$/,
      );

      // The page's own message comes back through its subscription.
      const first = `hello ${crypto.randomUUID()}`;
      await sendFromPage(page, first);
      await received(page, first);

      // A message from another client (Deno, over TCP) reaches the page.
      await using other = await StompClient.connectUrl(BROKERS.rabbitmqTcp, {
        login: "guest",
        passcode: "guest",
      });
      const fromDeno = `from Deno ${crypto.randomUUID()}`;
      await other.send(topic, fromDeno, { receipt: true });
      await received(page, fromDeno);

      // The connection is cut: the page says so, reconnects, subscribes
      // again and its sends go through again.
      // Every state the page shows from now on, with its detail.
      await page.evaluate(`{
        const shown = globalThis.shown = [];
        const state = document.getElementById("state");
        const detail = document.getElementById("detail");
        new MutationObserver(() =>
          shown.push(state.textContent + ": " + detail.textContent)
        ).observe(state, { childList: true, characterData: true });
      }`);
      const accepted = relay.connections;
      assertEquals(relay.cut(), 1);
      await page.waitForFunction("globalThis.shown.length >= 2", null, {
        timeout: 10_000,
      });
      await stateIs(page, "connected");
      assertEquals(relay.connections, accepted + 1);
      const shown = await page.evaluate("globalThis.shown") as string[];
      assertEquals(shown.length, 2, shown.join("\n"));
      assertMatch(shown[0]!, /^reconnecting: \S/);
      assertMatch(shown[1]!, /^connected: RabbitMQ\//);
      const second = `again ${crypto.randomUUID()}`;
      await sendFromPage(page, second);
      await received(page, second);
      const afterReconnect = `from Deno again ${crypto.randomUUID()}`;
      await other.send(topic, afterReconnect, { receipt: true });
      await received(page, afterReconnect);

      assertEquals(
        await page.locator("#log li.error").count(),
        0,
        "the page logged errors",
      );
      assertEquals(problems, []);
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
