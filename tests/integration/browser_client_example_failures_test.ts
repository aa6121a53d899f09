// examples/browser/client.html when things go wrong, as a user meets them:
// serve.ts in a subprocess, the page in headless Chromium. A broker that
// cannot be reached, and a topic the broker refuses, must be said on the
// page, not shown as "connecting" or "connected" with nothing more.

import { assert, assertEquals, assertMatch } from "@std/assert";
import type { Page } from "npm:playwright-core@1";
import {
  assertBrowserSetup,
  launchChromium,
  watchProblems,
} from "./_browser.ts";
import { importMapArgs } from "./_bundle.ts";
import { BROKERS } from "./_codec_session.ts";
import { within } from "../_helpers.ts";

/** Starts examples/browser/serve.ts on a free port; returns its address. */
async function startServe(): Promise<
  { address: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const serve = new Deno.Command(Deno.execPath(), {
    args: ["run", ...importMapArgs(), "-A", "examples/browser/serve.ts"],
    cwd: new URL("../../", import.meta.url).pathname,
    env: { PORT: "0" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = serve.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stop = async () => {
    serve.kill("SIGTERM");
    await lines.cancel();
    await serve.status;
  };
  try {
    const { value: line } = await within(
      lines.read(),
      60_000,
      "serve.ts to print its address",
    );
    const address = /StompClient page: (http:\/\/127\.0\.0\.1:\d+\/client)/
      .exec(line ?? "")?.[1];
    assert(address !== undefined, `unexpected serve.ts output: ${line}`);
    return { address, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

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
  await using serve = await startServe();
  const dir = await Deno.makeTempDir({ prefix: "stomper-browser-failures-" });
  try {
    const context = await launchChromium(`${dir}/profile`);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      await page.goto(`${serve.address}?${new URLSearchParams(query)}`);
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
