/**
 * The `stomper` command-line tool: send a message to a STOMP broker, or
 * subscribe and print what arrives. It sits on top of the client.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-env jsr:@stomper/stomp/cli \
 *   send tcp://guest:guest@localhost:61613 /queue/a "hello"
 * deno run --allow-net --allow-read --allow-env jsr:@stomper/stomp/cli \
 *   subscribe tcp://guest:guest@localhost:61613 /queue/a --count 1
 * ```
 *
 * @example Running the tool in-process
 * ```ts
 * import { runCli } from "@stomper/stomp/cli";
 * import { assertEquals } from "@std/assert";
 *
 * const lines: string[] = [];
 * const status = await runCli(["--version"], {
 *   print: (line) => lines.push(line),
 *   error: (line) => lines.push(line),
 * });
 * assertEquals(status, 0);
 * assertEquals(lines[0]?.startsWith("stomper "), true);
 * ```
 *
 * @module
 */

import type { AckMode } from "./builders.ts";
import { StompClient, type StompClientOptions } from "./client/client.ts";
import type { StompMessage } from "./client/message.ts";
import type { OpenTransportOptions } from "./transports/open.ts";

/**
 * The version the tool reports.
 *
 * @example Reading the version
 * ```ts
 * import { CLI_VERSION } from "@stomper/stomp/cli";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(CLI_VERSION, "0.1.0");
 * ```
 */
export const CLI_VERSION = "0.1.0";

/** Where the tool reads and writes; the defaults use the Deno process. */
export interface CliIO {
  /** Writes one line of output. */
  print(line: string): void;
  /** Writes one line to the error stream. */
  error(line: string): void;
  /** Reads all of standard input (the body of `send` when none is given). */
  readStdin?(): Promise<Uint8Array>;
  /** Reads a text file (the `--ca` certificate). */
  readTextFile?(path: string): Promise<string>;
  /** Stops a running `subscribe`, as Ctrl-C does. */
  signal?: AbortSignal;
}

const USAGE = `stomper ${CLI_VERSION}: send and receive STOMP messages

Usage:
  stomper send <url> <destination> [body]    body from standard input when omitted
  stomper subscribe <url> <destination>      print messages as they arrive

<url> is tcp://, tls://, stomp+ssl://, ws:// or wss://, with credentials as
user:password@ (for example tcp://guest:guest@localhost:61613).

Options:
  --header name:value   add a header (repeatable)
  --content-type TYPE   content-type of the sent body
  --no-receipt          send without waiting for the broker's RECEIPT
  --count N             subscribe: exit after N messages
  --ack MODE            subscribe: auto (default), client or client-individual;
                        the tool acknowledges each message after printing it
  --show-headers        subscribe: print each message's headers before its body
  --json                subscribe: one JSON object per message
  --host VHOST          the virtual host (default "/")
  --ca FILE             a PEM certificate authority to trust for TLS
  --text-frames         WebSocket: send frames as text messages
  -h, --help            show this help
  -V, --version         show the version

Exit status: 0 on success, 1 when the broker or connection fails, 2 for usage errors.`;

class UsageError extends Error {}

interface Parsed {
  command: "send" | "subscribe";
  url: string;
  destination: string;
  body: string | undefined;
  headers: [string, string][];
  contentType?: string;
  receipt: boolean;
  count?: number;
  ack: AckMode;
  showHeaders: boolean;
  json: boolean;
  host?: string;
  ca?: string;
  textFrames: boolean;
}

const FLAGS_WITH_VALUE = new Set([
  "--header",
  "--content-type",
  "--count",
  "--ack",
  "--host",
  "--ca",
]);

function parse(args: readonly string[]): Parsed | "help" | "version" {
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") return "help";
    if (arg === "-V" || arg === "--version") return "version";
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg : arg.slice(0, eq);
      if (FLAGS_WITH_VALUE.has(name)) {
        const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
        if (value === undefined) {
          throw new UsageError(`Option ${name} needs a value`);
        }
        values.set(name, [...(values.get(name) ?? []), value]);
      } else if (
        ["--no-receipt", "--show-headers", "--json", "--text-frames"].includes(
          name,
        ) &&
        eq === -1
      ) {
        switches.add(name);
      } else {
        throw new UsageError(`Unknown option ${JSON.stringify(arg)}`);
      }
      continue;
    }
    positional.push(arg);
  }
  const [command, url, destination, body, ...extra] = positional;
  if (command !== "send" && command !== "subscribe") {
    throw new UsageError(
      command === undefined
        ? "Missing command: send or subscribe"
        : `Unknown command ${
          JSON.stringify(command)
        }: expected send or subscribe`,
    );
  }
  if (url === undefined || destination === undefined) {
    throw new UsageError(
      `Missing ${url === undefined ? "<url>" : "<destination>"} for ${command}`,
    );
  }
  if (extra.length > 0 || (command === "subscribe" && body !== undefined)) {
    throw new UsageError(
      `Unexpected argument ${JSON.stringify(extra[0] ?? body)}`,
    );
  }
  const last = (name: string) => values.get(name)?.at(-1);
  const headers = (values.get("--header") ?? []).map(
    (header): [string, string] => {
      const colon = header.indexOf(":");
      if (colon <= 0) {
        throw new UsageError(
          `Header ${JSON.stringify(header)} is not name:value`,
        );
      }
      return [header.slice(0, colon), header.slice(colon + 1)];
    },
  );
  const ack = last("--ack") ?? "auto";
  if (ack !== "auto" && ack !== "client" && ack !== "client-individual") {
    throw new UsageError(
      `Option --ack must be auto, client or client-individual, got ${
        JSON.stringify(ack)
      }`,
    );
  }
  const countText = last("--count");
  const count = countText === undefined ? undefined : Number(countText);
  if (count !== undefined && !(Number.isSafeInteger(count) && count > 0)) {
    throw new UsageError(
      `Option --count must be a positive integer, got ${
        JSON.stringify(countText)
      }`,
    );
  }
  const parsed: Parsed = {
    command,
    url,
    destination,
    body,
    headers,
    receipt: !switches.has("--no-receipt"),
    ack,
    showHeaders: switches.has("--show-headers"),
    json: switches.has("--json"),
    textFrames: switches.has("--text-frames"),
  };
  const contentType = last("--content-type");
  if (contentType !== undefined) parsed.contentType = contentType;
  if (count !== undefined) parsed.count = count;
  const host = last("--host");
  if (host !== undefined) parsed.host = host;
  const ca = last("--ca");
  if (ca !== undefined) parsed.ca = ca;
  return parsed;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function bodyText(body: Uint8Array): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

function describe(message: StompMessage, parsed: Parsed): string[] {
  const text = bodyText(message.body);
  if (parsed.json) {
    return [JSON.stringify({
      destination: message.destination,
      headers: [...message.headers],
      ...(text === undefined
        ? { bodyBase64: btoa(String.fromCharCode(...message.body)) }
        : { body: text }),
    })];
  }
  const lines = parsed.showHeaders
    ? [...message.headers].map(([name, value]) => `${name}: ${value}`).concat([
      "",
    ])
    : [];
  lines.push(text ?? `<binary body, ${message.body.length} bytes>`);
  return lines;
}

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const transport: OpenTransportOptions = {};
  if (parsed.ca !== undefined) {
    const read = io.readTextFile ?? ((path: string) => Deno.readTextFile(path));
    transport.caCerts = [await read(parsed.ca)];
  }
  if (parsed.textFrames) transport.messageType = "text";
  const options: StompClientOptions & { transport: OpenTransportOptions } = {
    transport,
  };
  if (parsed.host !== undefined) options.host = parsed.host;
  if (io.signal !== undefined) options.signal = io.signal;
  await using client = await StompClient.connectUrl(parsed.url, options);

  if (parsed.command === "send") {
    let body: Uint8Array | string;
    if (parsed.body !== undefined && parsed.body !== "-") {
      body = parsed.body;
    } else {
      const read = io.readStdin ??
        (async () =>
          new Uint8Array(
            await new Response(Deno.stdin.readable).arrayBuffer(),
          ));
      body = await read();
    }
    await client.send(parsed.destination, body, {
      receipt: parsed.receipt,
      headers: parsed.headers,
      ...(parsed.contentType === undefined
        ? {}
        : { contentType: parsed.contentType }),
    });
    const size = typeof body === "string"
      ? new TextEncoder().encode(body).length
      : body.length;
    io.error(
      `Sent ${size} bytes to ${parsed.destination}${
        parsed.receipt ? " (receipt confirmed)" : ""
      }`,
    );
    await client.disconnect();
    return 0;
  }

  const subscription = await client.subscribe(parsed.destination, {
    ack: parsed.ack,
    receipt: true,
    headers: parsed.headers,
  });
  const stop = () => subscription.unsubscribe().catch(() => {});
  io.signal?.addEventListener("abort", stop, { once: true });
  let received = 0;
  try {
    for await (const message of subscription) {
      for (const line of describe(message, parsed)) io.print(line);
      if (message.needsAck) await message.ack();
      if (++received === parsed.count) break;
    }
  } finally {
    io.signal?.removeEventListener("abort", stop);
  }
  await client.disconnect();
  return 0;
}

/**
 * Runs the tool with these arguments and returns its exit status: 0 on
 * success, 1 when the broker or the connection fails, 2 for a usage error.
 * Errors are written through `io.error`, never thrown.
 *
 * @example Showing the help
 * ```ts
 * import { runCli } from "@stomper/stomp/cli";
 * import { assertEquals } from "@std/assert";
 *
 * const out: string[] = [];
 * assertEquals(await runCli(["--help"], { print: (l) => out.push(l), error: () => {} }), 0);
 * assertEquals(out.some((line) => line.includes("stomper send <url>")), true);
 * ```
 *
 * @param args The command-line arguments, without the program name.
 * @param io Where to read and write.
 * @returns The exit status.
 */
export async function runCli(
  args: readonly string[],
  io: CliIO,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.error(`stomper: ${error.message}`);
    io.error("Run stomper --help for usage.");
    return 2;
  }
  if (parsed === "help") {
    for (const line of USAGE.split("\n")) io.print(line);
    return 0;
  }
  if (parsed === "version") {
    io.print(`stomper ${CLI_VERSION}`);
    return 0;
  }
  try {
    return await run(parsed, io);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const cause = error instanceof Error && error.cause instanceof Error &&
        !reason.includes(error.cause.message)
      ? ` (${error.cause.message})`
      : "";
    io.error(`stomper: ${reason}${cause}`);
    return 1;
  }
}

if (import.meta.main) {
  const controller = new AbortController();
  Deno.addSignalListener("SIGINT", () => controller.abort());
  const status = await runCli(Deno.args, {
    print: (line) => console.log(line),
    error: (line) => console.error(line),
    signal: controller.signal,
  });
  Deno.exit(status);
}
