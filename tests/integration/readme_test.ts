// The quick starts of README.md, run as written against the real peers: the
// Deno one in a Deno subprocess, the browser page in headless Chromium over
// RabbitMQ Web-STOMP, the Node one under /usr/bin/node. `deno check
// --doc-only` (.ci/run) only type-checks them; this proves they work. Each
// snippet is read from the README and changed only where the test must: the
// package import points at the sources, the broker URL at the running broker,
// the destination at one no other test uses.

import { assert, assertEquals } from "@std/assert";
import {
  assertBrowserSetup,
  launchChromium,
  serveFiles,
  watchProblems,
} from "./_browser.ts";
import { bundle, importMapArgs, runUnderNode } from "./_bundle.ts";
import { BROKERS } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";
import { assertReachable } from "./_codec_session.ts";
import { StompClient } from "../../mod.ts";

const ROOT = new URL("../../", import.meta.url);
const README = await Deno.readTextFile(new URL("README.md", ROOT));

/** The code blocks of `lang` in the README section headed `heading`. */
function snippets(heading: string, lang: string): string[] {
  const start = README.indexOf(`\n## ${heading}\n`);
  assert(start !== -1, `README.md has no section "${heading}"`);
  const end = README.indexOf("\n## ", start + 1);
  const section = README.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^```(\S*)[^\n]*\n([\s\S]*?)^```/gm)]
    .filter((match) => match[1] === lang)
    .map((match) => match[2]!);
}

/** Replaces `from` (which must be there, so a README edit fails loudly). */
function swap(code: string, from: string, to: string): string {
  assert(code.includes(from), `README snippet no longer contains ${from}`);
  return code.replaceAll(from, to);
}

/** A URL of the broker `url` with the guest credentials. */
function asGuest(url: string): string {
  const withCredentials = new URL(url);
  withCredentials.username = withCredentials.password = "guest";
  return withCredentials.href;
}

/** Takes one message from `queue` on RabbitMQ, or fails after 10 s. */
async function receiveOne(queue: string): Promise<string> {
  await using client = await StompClient.connectUrl(
    asGuest(BROKERS.rabbitmqTcp),
  );
  const subscription = await client.subscribe(queue);
  const reader = subscription.readable.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  return value!.text;
}

Deno.test("README's Deno quick start sends and receives through RabbitMQ over TCP", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ STOMP");
  const [code] = snippets("Quick start: Deno, over TCP", "ts");
  const queue = uniqueQueue("readme-deno");
  let script = swap(code!, `"@stomper/stomp"`, `"${new URL("mod.ts", ROOT)}"`);
  script = swap(
    script,
    `"tcp://guest:guest@localhost:61613"`,
    `"${asGuest(BROKERS.rabbitmqTcp)}"`,
  );
  script = swap(script, `"/queue/hello"`, `"${queue}"`);
  const dir = await Deno.makeTempDir({ prefix: "stomper-readme-" });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, script);
    const offline = importMapArgs();
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...(offline.length > 0
          ? offline
          : [`--config=${new URL("deno.json", ROOT).pathname}`]),
        "--allow-net",
        `${dir}/main.ts`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const decoder = new TextDecoder();
    assertEquals(
      { code: output.code, stdout: decoder.decode(output.stdout) },
      { code: 0, stdout: "Hello, STOMP\n" },
      decoder.decode(output.stderr),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README's browser quick start greets every open tab in headless Chromium over Web-STOMP", async () => {
  await assertBrowserSetup(BROKERS.rabbitmqWs);
  const [code] = snippets("Quick start: a browser page, over Web-STOMP", "ts");
  const [html] = snippets(
    "Quick start: a browser page, over Web-STOMP",
    "html",
  );
  const topic = `/topic/stomper-readme-${crypto.randomUUID()}`;
  let page = swap(
    code!,
    `"@stomper/stomp/browser"`,
    `"${new URL("src/browser.ts", ROOT)}"`,
  );
  page = swap(page, `"ws://localhost:15674/ws"`, `"${BROKERS.rabbitmqWs}"`);
  page = swap(page, `"/topic/news"`, `"${topic}"`);
  const dir = await Deno.makeTempDir({ prefix: "stomper-readme-browser-" });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, page);
    const mainJs = await bundle(`${dir}/main.ts`, `${dir}/main.js`);
    await using server = serveFiles({
      "/": [html!, "text/html; charset=utf-8"],
      "/main.js": [mainJs, "text/javascript; charset=utf-8"],
      // The browser asks for one; the README's page need not name it.
      "/favicon.ico": ["", "image/x-icon"],
    });
    const context = await launchChromium(`${dir}/profile`);
    try {
      const lines = "document.querySelector('#log').textContent" +
        ".split('\\n').filter(Boolean).length";
      const first = await context.newPage();
      const firstProblems = watchProblems(first);
      await first.goto(`http://127.0.0.1:${server.addr.port}/`);
      // Its own greeting: it is subscribed before the second tab sends.
      await first.waitForFunction(`${lines} === 1`, null, { timeout: 20_000 });
      const second = await context.newPage();
      const secondProblems = watchProblems(second);
      await second.goto(`http://127.0.0.1:${server.addr.port}/`);
      await second.waitForFunction(`${lines} === 1`, null, { timeout: 20_000 });
      await first.waitForFunction(`${lines} === 2`, null, { timeout: 20_000 });
      const log = await first.evaluate(
        "document.querySelector('#log').textContent",
      );
      assertEquals(
        (log as string).split("\n").filter(Boolean).map((line) =>
          line.startsWith("Hello from Mozilla/")
        ),
        [true, true],
      );
      assertEquals([...firstProblems, ...secondProblems], []);
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README's Node quick start sends to RabbitMQ under Node", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ STOMP");
  const [code] = snippets("Quick start: Node", "ts");
  const queue = uniqueQueue("readme-node");
  let script = swap(
    code!,
    `"tcp://guest:guest@localhost:61613"`,
    `"${asGuest(BROKERS.rabbitmqTcp)}"`,
  );
  script = swap(script, `"/queue/hello"`, `"${queue}"`);
  const { code: exit, stderr } = await runUnderNode(script, {});
  assertEquals(exit, 0, stderr);
  assertEquals(await receiveOne(queue), "Hello from Node");
});
