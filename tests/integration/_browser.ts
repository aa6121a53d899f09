// Shared by the browser tests: Debian's Chromium driven by playwright-core,
// pages served from 127.0.0.1, and the checks that fail with a hint when
// Chromium or RabbitMQ Web-STOMP is missing.

import { chromium } from "npm:playwright-core@1";
import type { Browser, BrowserContext, Page } from "npm:playwright-core@1";
import { importMapArgs } from "./_bundle.ts";
import { assertReachable } from "./_codec_session.ts";
import { assert } from "@std/assert";
import { sleep, within } from "../_helpers.ts";

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

/** Fails with a hint unless Chromium is installed. */
async function assertChromium(): Promise<void> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: install it with \`scripts/brokers.sh install\` (or apt-get install chromium)`,
    );
  }
}

/** Fails with a hint unless Web-STOMP and Chromium are both there. */
export async function assertBrowserSetup(webStompUrl: string): Promise<void> {
  await assertReachable(webStompUrl, "RabbitMQ Web-STOMP");
  await assertChromium();
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

/** A Chromium that Playwright attached to, and that ends with its helpers. */
export interface CdpChromium extends AsyncDisposable {
  readonly browser: Browser;
}

/**
 * Headless Chromium started here with a DevTools port, with `args` added,
 * and Playwright attached to it over CDP: unlike a browser Playwright
 * launches itself, its first page gets focus, so that another page brought
 * to the front hides it. It runs in a process group of its own (`setsid`):
 * disposing of it ends the whole group and waits until none of its
 * processes is alive. Its helpers (zygotes, renderers, the network service)
 * outlive the main process by a moment and write to the profile meanwhile:
 * removing the profile as soon as the main process had exited failed in CI
 * with "Directory not empty".
 */
export async function launchChromiumOverCdp(
  profileDir: string,
  args: readonly string[] = [],
): Promise<CdpChromium> {
  await assertChromium();
  const process = new Deno.Command("setsid", {
    args: [
      CHROMIUM,
      ...CHROMIUM_ARGS,
      `--user-data-dir=${profileDir}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      ...args,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const endpoint = await within(
      devToolsEndpoint(process.stderr),
      20_000,
      "Chromium's DevTools address",
    );
    const browser = await chromium.connectOverCDP(endpoint, {
      noDefaults: true,
    });
    return {
      browser,
      async [Symbol.asyncDispose]() {
        await browser.close().catch(() => {});
        await endGroup(process, "SIGTERM");
      },
    };
  } catch (error) {
    await endGroup(process, "SIGKILL");
    throw error;
  }
}

// Reads stderr until Chromium prints its DevTools address, then drains the
// rest so Chromium never blocks on a full pipe.
async function devToolsEndpoint(
  stderr: ReadableStream<Uint8Array<ArrayBuffer>>,
): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Chromium exited before listening:\n${text}`);
    text += value;
    const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
    if (match !== null) {
      (async () => {
        while (!(await reader.read()).done);
      })().catch(() => {});
      return match[1]!;
    }
  }
}

/**
 * Signals the process group `process` leads, and waits until none of its
 * processes is alive (SIGKILL after 5 s; an error 5 s after that).
 */
async function endGroup(
  process: Deno.ChildProcess,
  signal: "SIGTERM" | "SIGKILL",
): Promise<void> {
  const group = process.pid;
  const signalGroup = (signal: Deno.Signal) => {
    try {
      Deno.kill(-group, signal);
    } catch {
      // The group has no process left to signal.
    }
  };
  signalGroup(signal);
  await process.status;
  let killed = signal === "SIGKILL";
  const start = performance.now();
  while (true) {
    const live = await liveInGroup(group);
    if (live.length === 0) return;
    const waited = performance.now() - start;
    if (!killed && waited > 5000) {
      signalGroup("SIGKILL");
      killed = true;
    } else if (waited > 10_000) {
      throw new Error(
        `Chromium's processes ${live.join(", ")} outlived SIGKILL by 5 s`,
      );
    }
    await sleep(50);
  }
}

/** The processes of a process group that are not yet zombies, from /proc. */
async function liveInGroup(group: number): Promise<number[]> {
  const live: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
    } catch {
      continue; // Ended while the directory was read.
    }
    // Fields after the command name: state, parent, process group.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === group && state !== "Z") live.push(Number(entry.name));
  }
  return live;
}
