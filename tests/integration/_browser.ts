// Shared by the browser tests: Debian's Chromium driven by playwright-core,
// pages served from 127.0.0.1, and the checks that fail with a hint when
// Chromium or RabbitMQ Web-STOMP is missing.

import { chromium } from "npm:playwright-core@1";
import type { BrowserContext, Page } from "npm:playwright-core@1";
import { importMapArgs } from "./_bundle.ts";
import { assertReachable } from "./_codec_session.ts";
import { assert } from "@std/assert";
import { within } from "../_helpers.ts";

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

/** Fails with a hint unless Web-STOMP and Chromium are both there. */
export async function assertBrowserSetup(webStompUrl: string): Promise<void> {
  await assertReachable(webStompUrl, "RabbitMQ Web-STOMP");
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: install it with \`scripts/brokers.sh install\` (or apt-get install chromium)`,
    );
  }
}

/** Serves fixed files (path to [body, content type]) on 127.0.0.1. */
export function serveFiles(
  files: Record<string, [string, string]>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const file = files[new URL(request.url).pathname];
      return file === undefined
        ? new Response("not found", { status: 404 })
        : new Response(file[0], { headers: { "content-type": file[1] } });
    },
  );
}

/** Headless Chromium with a fresh profile in `profileDir`. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** Collects the page's uncaught errors and console errors. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  return problems;
}

/**
 * Waits for the page's `globalThis.stomperResult` promise; on failure the
 * page's problems are added to the error.
 */
export function pageResult<T>(
  page: Page,
  problems: string[],
  ms: number,
  what: string,
): Promise<T> {
  return within(
    page.evaluate(() =>
      (globalThis as { stomperResult?: Promise<unknown> }).stomperResult!
    ) as Promise<T>,
    ms,
    what,
  ).catch((error) => {
    throw new Error(`${error.message}\n${problems.join("\n")}`);
  });
}

/** examples/browser/serve.ts, running: where it serves each page. */
export interface ExampleServer extends AsyncDisposable {
  /** The codec chat page, `http://127.0.0.1:PORT/`. */
  readonly address: string;
  /** The StompClient page, `http://127.0.0.1:PORT/client`. */
  readonly clientPage: string;
}

/**
 * Starts examples/browser/serve.ts as a user does, in a subprocess on a
 * free port, and waits (60 s at most, for its bundling) for the line that
 * says where it listens. Disposing it stops the process.
 */
export async function startExampleServer(): Promise<ExampleServer> {
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
    const match =
      /^Listening on (http:\/\/127\.0\.0\.1:\d+\/) \(StompClient page: (\S+)\)/
        .exec(line ?? "");
    assert(match !== null, `unexpected serve.ts output: ${line}`);
    return {
      address: match[1]!,
      clientPage: match[2]!,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
