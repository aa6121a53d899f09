// Shared by the client_*_test.ts files: connecting the client to the real
// brokers with a hint when they are not running, and reading with timeouts.

import { StompClient, type StompClientOptions } from "@stomper/stomp/client";
import type { StompMessage } from "@stomper/stomp/client";
import { BROKERS, readPem, START_HINT } from "./_codec_session.ts";
import { runCommand, within } from "../_helpers.ts";

export { BROKERS, START_HINT };
// The cli_*_test.ts files still import these from here; every other test
// imports them from ../_helpers.ts.

/** What a Deno subprocess printed and how it exited. */
export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno <args>` in the project root, as a user would, with a timeout. */
export function runDeno(
  args: string[],
  env: Record<string, string> = {},
  timeout = 60000,
): Promise<DenoRun> {
  return runCommand(Deno.execPath(), args, { env, timeoutMs: timeout });
}

/** `deno` arguments that run the CLI as a user would (offline import map). */
export function cliArgs(...args: string[]): string[] {
  return [
    "run",
    "--import-map=tests/offline/import_map.json",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "src/cli.ts",
    ...args,
  ];
}

/** A word a shell takes as it is. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The CLI as a shell command line (for bash pipelines), arguments quoted. */
export function cliCommandLine(...args: string[]): string {
  return [Deno.execPath(), ...cliArgs(...args)].map(shellQuote).join(" ");
}

/** guest:guest@ added to a broker URL. */
export function withGuest(url: string): string {
  const parsed = new URL(url);
  parsed.username = "guest";
  parsed.password = "guest";
  return parsed.href;
}

/** Options of {@linkcode connectTo}: the client's, plus a CA for TLS. */
export interface ConnectToOptions extends StompClientOptions {
  /** Trust the brokers' test CA (for tls:// URLs). */
  tls?: boolean;
}

/**
 * Connects the client as guest/guest; fails with the start hint when the
 * broker cannot be reached.
 */
export async function connectTo(
  url: string,
  options: ConnectToOptions = {},
): Promise<StompClient> {
  const { tls, ...clientOptions } = options;
  const transport = tls ? { caCerts: [await readPem(BROKERS.tlsCa)] } : {};
  try {
    return await StompClient.connectUrl(withGuest(url), {
      connectTimeout: 5000,
      ...clientOptions,
      transport: { timeout: 5000, ...transport },
    });
  } catch (error) {
    if (
      error instanceof Error &&
      /^Cannot (open transport|connect to)/.test(error.message)
    ) {
      throw new Error(`${url} is not reachable: ${START_HINT}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Reads a subscription with timeouts, keeping a read that timed out. */
export class Inbox {
  readonly #iterator: AsyncIterator<StompMessage>;
  #pending: Promise<IteratorResult<StompMessage>> | undefined;

  constructor(subscription: AsyncIterable<StompMessage>) {
    this.#iterator = subscription[Symbol.asyncIterator]();
  }

  /** The next message, or `undefined` if none comes within `ms`. */
  async next(ms: number): Promise<StompMessage | undefined> {
    this.#pending ??= this.#iterator.next();
    this.#pending.catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), ms);
    });
    try {
      const result = await Promise.race([this.#pending, timeout]);
      if (result === "timeout") return undefined;
      this.#pending = undefined;
      return result.done ? undefined : result.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next `count` messages; fails if one does not come within `ms`. */
  async take(count: number, ms = 5000): Promise<StompMessage[]> {
    const out: StompMessage[] = [];
    while (out.length < count) {
      const message = await this.next(ms);
      if (message === undefined) {
        throw new Error(
          `Message ${out.length + 1} of ${count} did not come within ${ms} ms`,
        );
      }
      out.push(message);
    }
    return out;
  }
}

/** Drops every client connection of the RabbitMQ nodes (a real fault). */
export async function dropRabbitMqConnections(): Promise<void> {
  const script = new URL("../../scripts/brokers.sh", import.meta.url).pathname;
  const { code, stderr } = await new Deno.Command("bash", {
    args: [script, "drop-rabbitmq", "stomper client test: dropped on purpose"],
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(30000),
  }).output();
  if (code !== 0) {
    throw new Error(
      `scripts/brokers.sh drop-rabbitmq failed (${code}): ${
        new TextDecoder().decode(stderr)
      }`,
    );
  }
}

/** The CLI as a child process, its output collected as it comes. */
export class CliProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #output: Promise<void>;
  readonly stdin: WritableStreamDefaultWriter<Uint8Array>;
  stdout = "";
  stderr = "";

  constructor(...args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: cliArgs(...args),
      cwd: new URL("../../", import.meta.url).pathname,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.stdin = this.#child.stdin.getWriter();
    const collect = async (
      stream: ReadableStream<Uint8Array>,
      add: (text: string) => void,
    ) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        add(decoder.decode(chunk, { stream: true }));
      }
    };
    this.#output = Promise.all([
      collect(this.#child.stdout, (text) => this.stdout += text),
      collect(this.#child.stderr, (text) => this.stderr += text),
    ]).then(() => {});
  }

  get status(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }

  /** Sends the tool a signal. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Writes text to the tool's standard input. */
  async write(text: string): Promise<void> {
    await this.stdin.write(new TextEncoder().encode(text));
  }

  /** The exit status, once the tool has exited and its output is read. */
  async exited(ms: number): Promise<number> {
    const status = await within(this.#child.status, ms, "the tool's exit");
    await this.#output;
    return status.code;
  }

  /**
   * Sends the signal and waits for the process to end: its status, and the
   * milliseconds from the signal to the exit. Fails after 1000 ms.
   */
  async stop(
    signal: "SIGINT" | "SIGTERM",
  ): Promise<{ status: Deno.CommandStatus; ms: number }> {
    const start = performance.now();
    this.#child.kill(signal);
    const status = await within(this.#child.status, 1000, `exit on ${signal}`);
    const ms = Math.round(performance.now() - start);
    console.log(`${signal}: exited ${status.code} after ${ms} ms`);
    return { status, ms };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await this.stdin.close().catch(() => {});
    await this.#child.status;
    await this.#output;
  }
}
