// examples/browser/client.html when things go wrong, as a user meets them:
// serve.ts in a subprocess, the page in headless Chromium. A broker that
// cannot be reached, and a topic the broker refuses, must be said on the
// page, not shown as "connecting" or "connected" with nothing more.

import { assertEquals, assertMatch } from "@std/assert";
import type { Page } from "npm:playwright-core@1";
import {
  assertBrowserSetup,
  launchChromium,
  startExampleServer,
  watchProblems,
} from "./_browser.ts";
import { BROKERS } from "./_codec_session.ts";

/** A port on 127.0.0.1 where nothing listens. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

async function withPage(
  query: Record<string, string>,
  body: (page: Page, problems: string[]) => Promise<void>,
): Promise<void> {
  await using serve = await startExampleServer();
  const dir = await Deno.makeTempDir({ prefix: "stomper-browser-failures-" });
  try {
    const context = await launchChromium(`${dir}/profile`);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      await page.goto(`${serve.clientPage}?${new URLSearchParams(query)}`);
      await body(page, problems);
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("examples/browser/client.html says why it cannot connect while it retries, in headless Chromium", async () => {
  await assertBrowserSetup(BROKERS.rabbitmqWs);
  const ws = `ws://127.0.0.1:${closedPort()}/ws`;
  await withPage({ ws }, async (page) => {
    await page.locator("#detail", { hasText: /^attempt \d+ failed: / })
      .waitFor({ timeout: 10_000 });
    assertEquals(await page.textContent("#state"), "connecting");
    assertMatch(
      (await page.textContent("#detail")) ?? "",
      /^attempt \d+ failed: .*Cannot connect to "ws:\/\/127\.0\.0\.1:\d+\/ws"/,
    );
  });
});

Deno.test("examples/browser/client.html logs a topic the broker refuses and stays connected, in headless Chromium", async () => {
  await assertBrowserSetup(BROKERS.rabbitmqWs);
  const topic = `/nowhere/stomper-${crypto.randomUUID()}`;
  await withPage(
    { ws: BROKERS.rabbitmqWs, topic },
    async (page, problems) => {
      const refusal = page.locator("#log li.error");
      await refusal.waitFor({ timeout: 10_000 });
      assertMatch(
        (await refusal.textContent()) ?? "",
        new RegExp(
          `^Subscription to ${topic} ended: Unknown destination: '${topic}'`,
        ),
      );
      // RabbitMQ closes the connection after its ERROR: the client comes
      // back, and the page shows that, with the refusal still in its log.
      await page.locator("#state", { hasText: /^connected$/ }).waitFor({
        timeout: 10_000,
      });
      assertEquals(await page.locator("#log li.error").count(), 1);
      assertEquals(
        problems.filter((problem) => !problem.startsWith("WebSocket")),
        [],
      );
    },
  );
});
