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

import { concat } from "@std/bytes";
import type { AckMode } from "./builders.ts";
import { StompClient } from "./client/client.ts";
import type { StompClientOptions } from "./client/options.ts";
import type { StompMessage } from "./client/message.ts";
import { traceLogger } from "./client/trace.ts";
import type { OpenTransportOptions } from "./transports/open.ts";
import { TRANSPORT_SCHEMES } from "./transports/open.ts";
import { raceSignal } from "./transports/_signal.ts";
import { REDACTED, redactUrl, redactValues } from "./_redact.ts";

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
  /**
   * Writes one line of output. It may be an async function: the tool waits
   * for a promise it returns before going on (before acknowledging the
   * message it printed, say), and a rejection, like an exception, means
   * standard output failed (see {@linkcode runCli}).
   */
  print(line: string): void;
  /** Writes one line to the error stream. */
  error(line: string): void;
  /**
   * Reads all of standard input (the body of `send` when none is given).
   * Nothing is sent before it resolves; once `signal` aborts, its result is
   * ignored.
   */
  readStdin?(): Promise<Uint8Array>;
  /** Reads a text file (the `--ca` certificate, the `--passcode-file`). */
  readTextFile?(path: string): Promise<string>;
  /**
   * Writes bytes to standard output as they are (`subscribe --raw`); by
   * default to the Deno process's standard output.
   */
  write?(bytes: Uint8Array): Promise<void>;
  /**
   * Reads an environment variable (`STOMP_CA`, `STOMP_LOGIN`,
   * `STOMP_PASSCODE`); by default from the Deno process, as unset when it
   * may not read the environment.
   */
  env?(name: string): string | undefined;
  /**
   * Stops the tool, as Ctrl-C does, whatever it is doing (connecting,
   * reading standard input, waiting for a RECEIPT, receiving or
   * acknowledging): it sends nothing more, ends its subscription,
   * disconnects (waiting at most 500 ms for the broker) and returns 130, or
   * 143 when the signal's reason is `"SIGTERM"`.
   */
  signal?: AbortSignal;
}

const USAGE = `stomper ${CLI_VERSION}: send and receive STOMP messages

Usage:
  stomper send <url> <destination> [body]    body from standard input when omitted
  stomper subscribe <url> <destination>      print messages as they arrive

<url> is tcp:// (or stomp://), tls:// (or stomp+ssl://), ws:// or wss://, with
credentials as user:password@ (for example tcp://guest:guest@localhost:61613).
A password on the command line shows in ps and in shell history: leave it out
of the URL and give it with --passcode-file or STOMP_PASSCODE instead.

Options:
  --header name:value   add a header (repeatable)
  --content-type TYPE   content-type of the sent body
  --no-receipt          send without waiting for the broker's RECEIPT
  --count N             send: send the message N times, in order (a body from
                        standard input is read once); subscribe: exit after N
                        messages, and with --ack client or client-individual
                        ask the broker to deliver at most N at a time
                        (prefetch-count and activemq.prefetchSize headers, at
                        most 65535, unless --header gives either)
  --ack MODE            subscribe: auto (default), client or client-individual;
                        the tool acknowledges each message once it is written
                        to standard output, never before
  --show-headers        subscribe: print each message's headers before its body
  --json                subscribe: one JSON object per message
  --raw                 subscribe: write each body's bytes to standard output
                        as they are, with nothing between messages (meant for
                        --count 1)
  --host VHOST          the virtual host (default "/")
  --ca FILE             a PEM certificate authority to trust for TLS (default:
                        the file the STOMP_CA environment variable names)
  --passcode-file FILE  read the passcode from FILE (one trailing newline is
                        dropped), when the URL has none
  --text-frames         WebSocket: send frames as text messages
  --max-message-bytes N WebSocket: split a frame longer than N bytes into
                        several messages (servers that cap WebSocket messages,
                        such as Spring on Tomcat: 8192)
  --no-content-length   send: leave content-length out of a text body, so that
                        ActiveMQ and Artemis deliver a JMS TextMessage (a body
                        holding NUL is then refused)
  --trace               write every frame and heart-beat in (<<<) and out
                        (>>>) to standard error, one line each with its size
                        in bytes, passcode and other secrets shown as ***
  -h, --help            show this help
  -V, --version         show the version

Environment:
  STOMP_LOGIN           the login, when the URL has none
  STOMP_PASSCODE        the passcode, when neither the URL nor --passcode-file
                        gives one (a password in the URL wins, then the file)
  STOMP_CA              the --ca file, when the option is not given

Secrets: the passcode, wherever it came from, is shown as *** in every message
and trace line the tool writes.

Standard output: when it closes (the reader, such as head, exits) or a write
fails, subscribe takes no more messages, leaves the one it could not write
unacknowledged (with --ack client or client-individual the broker delivers it
again), unsubscribes, disconnects and exits 141 (closed) or 1 (other failure).

Exit status: 0 on success, 1 when the broker or connection fails, 2 for usage
errors (including an unknown URL scheme and a --ca or --passcode-file that
cannot be read), 130 when stopped by Ctrl-C (SIGINT), 141 when standard output
closed, 143 when stopped by SIGTERM.`;

class UsageError extends Error {}

/**
 * Standard output failed: `closed` when its reader went away (EPIPE), which
 * ends the tool quietly with {@linkcode OUTPUT_CLOSED}.
 */
class OutputError extends Error {
  readonly closed: boolean;
  constructor(cause: unknown) {
    const closed = cause instanceof Error &&
      (cause.name === "BrokenPipe" ||
        (cause as { code?: unknown }).code === "EPIPE");
    super(
      `Cannot write to standard output: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.closed = closed;
  }
}

/**
 * The exit status when standard output closed: 128 + 13 (SIGPIPE), what a
 * shell reports for a tool that SIGPIPE ended, so `set -o pipefail` and
 * `$PIPESTATUS` read it the same way.
 */
const OUTPUT_CLOSED = 141;

// A TLS certificate that did not verify, in the words of Deno (rustls) or of
// the Node transport.
const TLS_FAILURE = /certificate|UnknownIssuer|caCerts|CERT_|self[- ]signed/i;
// The transport's advice, which names its option rather than the tool's.
const CA_CERTS_ADVICE = /;?\s*pass the certificate authority[^;)]*caCerts/i;

/** How many SENDs of `send --count` may wait for their RECEIPT at once. */
const SEND_WINDOW = 64;

/** The largest prefetch RabbitMQ accepts (an AMQP short). */
const MAX_PREFETCH = 65535;

/** The headers that bound how many unacknowledged messages a broker sends. */
const PREFETCH_HEADERS = ["prefetch-count", "activemq.prefetchSize"] as const;

/** How long a stopped tool waits for the broker to confirm DISCONNECT. */
const STOP_TIMEOUT = 500;

const noop = () => {};

/** The exit status of a tool that `signal` stopped. */
function stoppedStatus(signal: AbortSignal): number {
  return signal.reason === "SIGTERM" ? 143 : 130;
}

/** Reads a stream to its end; cancels it when the signal aborts. */
async function readAll(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const cancel = () => reader.cancel(signal?.reason).catch(noop);
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    // A cancelled read ends as the end of input would, with the body cut
    // short: it must not be sent.
    signal?.throwIfAborted();
    return concat(chunks);
  } finally {
    signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
}

/**
 * Disconnects a stopped tool's client within {@linkcode STOP_TIMEOUT}, even
 * when a disconnect with a longer timeout is under way, then closes it.
 */
async function leave(client: StompClient): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.disconnect({ timeout: STOP_TIMEOUT }),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STOP_TIMEOUT);
      }),
    ]);
  } catch {
    // No RECEIPT in time, or the connection is gone: closed either way.
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

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
  raw: boolean;
  host?: string;
  ca?: string;
  passcodeFile?: string;
  textFrames: boolean;
  trace: boolean;
  contentLength: boolean;
  maxMessageBytes?: number;
}

const FLAGS_WITH_VALUE = new Set([
  "--header",
  "--content-type",
  "--count",
  "--ack",
  "--host",
  "--ca",
  "--passcode-file",
  "--max-message-bytes",
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
        [
          "--no-receipt",
          "--show-headers",
          "--json",
          "--raw",
          "--text-frames",
          "--trace",
          "--no-content-length",
        ].includes(name) &&
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
  checkScheme(url);
  if (switches.has("--raw")) {
    const other = command === "send"
      ? "send"
      : ["--json", "--show-headers"].find((name) => switches.has(name));
    if (other !== undefined) {
      throw new UsageError(`Option --raw cannot be used with ${other}`);
    }
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
    raw: switches.has("--raw"),
    textFrames: switches.has("--text-frames"),
    trace: switches.has("--trace"),
    contentLength: !switches.has("--no-content-length"),
  };
  const maxText = last("--max-message-bytes");
  if (maxText !== undefined) {
    const max = Number(maxText);
    if (!(Number.isSafeInteger(max) && max > 0)) {
      throw new UsageError(
        `Option --max-message-bytes must be a positive integer, got ${
          JSON.stringify(maxText)
        }`,
      );
    }
    if (parsed.textFrames && max < 4) {
      throw new UsageError(
        `Option --max-message-bytes must be at least 4 with --text-frames (a character can take 4 bytes), got ${max}`,
      );
    }
    parsed.maxMessageBytes = max;
  }
  const contentType = last("--content-type");
  if (contentType !== undefined) parsed.contentType = contentType;
  if (count !== undefined) parsed.count = count;
  const host = last("--host");
  if (host !== undefined) parsed.host = host;
  const ca = last("--ca");
  if (ca !== undefined) parsed.ca = ca;
  const passcodeFile = last("--passcode-file");
  if (passcodeFile !== undefined) parsed.passcodeFile = passcodeFile;
  return parsed;
}

/** Refuses a URL the client could not open, before connecting. */
function checkScheme(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Credentials stay out of the message.
    throw new UsageError(`Invalid <url> ${JSON.stringify(redactUrl(url))}`);
  }
  if (!TRANSPORT_SCHEMES.includes(protocol)) {
    const accepted = TRANSPORT_SCHEMES.map((scheme) => scheme.slice(0, -1));
    throw new UsageError(
      `Unsupported URL scheme "${protocol.slice(0, -1)}": expected ${
        accepted.slice(0, -1).join(", ")
      } or ${accepted.at(-1)}`,
    );
  }
}

/** The environment variable, or undefined when unset or not readable. */
function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Writes all of the bytes to the process's standard output. */
async function writeStdout(bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await Deno.stdout.write(bytes.subarray(at));
  }
}

/**
 * Standard output as lines: the lines printed in one turn go out together in
 * one write, after the writes before them. The promise of a line settles
 * when the write holding it has.
 */
function stdoutLines(): (line: string) => Promise<void> {
  const encoder = new TextEncoder();
  let queued: string[] = [];
  let next: Promise<void> | undefined;
  let tail: Promise<void> = Promise.resolve();
  const flush = () => {
    const text = `${queued.join("\n")}\n`;
    queued = [];
    next = undefined;
    return writeStdout(encoder.encode(text));
  };
  return (line) => {
    queued.push(line);
    // After a failed write the next one is tried, and fails the same way.
    next ??= tail = tail.then(flush, flush);
    return next;
  };
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

/** A URL's user name or password as written, percent-decoded. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The password of a URL, when it parses and has one. */
function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === "" ? undefined : decodePart(password);
  } catch {
    return undefined;
  }
}

/**
 * The login and passcode the URL does not give: the login from STOMP_LOGIN;
 * the passcode from --passcode-file, else STOMP_PASSCODE. A password in the
 * URL wins over both, as the most specific (the file is then not read).
 */
async function credentials(
  parsed: Parsed,
  io: CliIO,
  step: Step,
): Promise<{ login?: string; passcode?: string }> {
  const env = io.env ?? readEnv;
  const url = new URL(parsed.url);
  const found: { login?: string; passcode?: string } = {};
  const login = env("STOMP_LOGIN");
  if (url.username === "" && login) found.login = login;
  if (url.password !== "") return found;
  if (parsed.passcodeFile !== undefined) {
    const read = io.readTextFile ?? ((path: string) => Deno.readTextFile(path));
    let text: string;
    try {
      text = await step(read(parsed.passcodeFile));
    } catch (error) {
      if (io.signal?.aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new UsageError(
        `Cannot read the passcode file ${
          JSON.stringify(parsed.passcodeFile)
        }: ${reason}`,
      );
    }
    // An editor's final newline is not part of the passcode.
    found.passcode = text.replace(/\r?\n$/, "");
    return found;
  }
  const passcode = env("STOMP_PASSCODE");
  if (passcode) found.passcode = passcode;
  return found;
}

async function run(
  parsed: Parsed,
  io: CliIO,
  secrets: string[],
): Promise<number> {
  const signal = io.signal;
  // Every wait ends when the signal aborts (the operation itself goes on;
  // its outcome is ignored); `finally` then disconnects.
  const step = <T>(promise: Promise<T>) => raceSignal(promise, signal, noop);
  const transport: OpenTransportOptions = {};
  const fromEnv = parsed.ca === undefined;
  const ca = parsed.ca ?? ((io.env ?? readEnv)("STOMP_CA") || undefined);
  const read = io.readTextFile ?? ((path: string) => Deno.readTextFile(path));
  const { login, passcode } = await credentials(parsed, io, step);
  if (passcode !== undefined) secrets.push(passcode);
  if (ca !== undefined) {
    let pem: string;
    try {
      pem = await step(read(ca));
    } catch (error) {
      if (signal?.aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new UsageError(
        `Cannot read the CA file ${JSON.stringify(ca)}${
          fromEnv ? " (from STOMP_CA)" : ""
        }: ${reason}`,
      );
    }
    transport.caCerts = [pem];
  }
  if (parsed.textFrames) transport.messageType = "text";
  if (parsed.maxMessageBytes !== undefined) {
    transport.maxMessageBytes = parsed.maxMessageBytes;
  }
  const options: StompClientOptions & { transport: OpenTransportOptions } = {
    transport,
  };
  if (parsed.host !== undefined) options.host = parsed.host;
  if (login !== undefined) options.login = login;
  if (passcode !== undefined) options.passcode = passcode;
  if (parsed.trace) options.trace = traceLogger((line) => io.error(line));
  if (signal !== undefined) options.signal = signal;
  // Stopped before CONNECTED: the client is closed should it connect still.
  const client = await raceSignal(
    StompClient.connectUrl(parsed.url, options),
    signal,
    (late) => late.close(),
  );
  try {
    if (parsed.command === "send") await send(client, parsed, io, step);
    else await subscribe(client, parsed, io, step);
    await step(client.disconnect());
    return 0;
  } finally {
    // After a failure, as `await using` would (a no-op once disconnected).
    if (!signal?.aborted) await step(client.disconnect()).catch(noop);
    if (signal?.aborted) await leave(client);
  }
}

type Step = <T>(promise: Promise<T>) => Promise<T>;

async function send(
  client: StompClient,
  parsed: Parsed,
  io: CliIO,
  step: Step,
): Promise<void> {
  let body: Uint8Array | string;
  if (parsed.body !== undefined && parsed.body !== "-") {
    body = parsed.body;
  } else {
    const read = io.readStdin ??
      (() => readAll(Deno.stdin.readable, io.signal));
    // The whole of standard input, or nothing: sent only once it ended.
    body = await step(read());
  }
  if (!parsed.contentLength) {
    // Only a text body can go without content-length: it ends at its NUL.
    if (typeof body !== "string") {
      try {
        body = new TextDecoder("utf-8", { fatal: true }).decode(body);
      } catch {
        throw new UsageError(
          "Option --no-content-length needs a UTF-8 text body, and standard input is not UTF-8",
        );
      }
    }
    if (body.includes("\0")) {
      throw new UsageError(
        "Option --no-content-length cannot send a body holding NUL (the frame would end there)",
      );
    }
  }
  const options = {
    receipt: parsed.receipt,
    headers: parsed.headers,
    contentLength: parsed.contentLength,
    ...(parsed.contentType === undefined
      ? {}
      : { contentType: parsed.contentType }),
  };
  const count = parsed.count ?? 1;
  // Call order is wire order: the copies go out in order while up to
  // SEND_WINDOW of them wait for their RECEIPT.
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const sent = client.send(parsed.destination, body, options);
    // Awaited below; the first failure is the one reported.
    sent.catch(noop);
    pending.push(sent);
    if (pending.length >= SEND_WINDOW) await step(pending.shift()!);
  }
  for (const sent of pending) await step(sent);
  const size = typeof body === "string"
    ? new TextEncoder().encode(body).length
    : body.length;
  const confirmed = count === 1
    ? " (receipt confirmed)"
    : " (receipts confirmed)";
  io.error(
    `Sent ${
      count === 1 ? `${size} bytes` : `${count} messages of ${size} bytes each`
    } to ${parsed.destination}${parsed.receipt ? confirmed : ""}`,
  );
}

/**
 * The subscription's headers: the user's, plus a prefetch of `--count` for
 * a client ack mode, so that messages the tool will not read stay with the
 * broker instead of coming back marked redelivered.
 */
function subscribeHeaders(parsed: Parsed): [string, string][] {
  const own = parsed.headers.some(([name]) =>
    (PREFETCH_HEADERS as readonly string[]).includes(name)
  );
  if (parsed.count === undefined || parsed.ack === "auto" || own) {
    return parsed.headers;
  }
  const prefetch = String(Math.min(parsed.count, MAX_PREFETCH));
  return [
    ...parsed.headers,
    ...PREFETCH_HEADERS.map((name): [string, string] => [name, prefetch]),
  ];
}

/** Writes a message to standard output, as `--raw`, `--json` or lines. */
async function output(
  message: StompMessage,
  parsed: Parsed,
  io: CliIO,
  step: Step,
): Promise<void> {
  try {
    if (parsed.raw) {
      await step((io.write ?? writeStdout)(message.body));
      return;
    }
    // All the lines first, then one wait: the default output writes the
    // lines of one message at once, so a reader gets all of it or none.
    const printed = describe(message, parsed).map((line) => io.print(line));
    await step(Promise.all(printed));
  } catch (error) {
    if (io.signal?.aborted) throw error;
    throw new OutputError(error);
  }
}

async function subscribe(
  client: StompClient,
  parsed: Parsed,
  io: CliIO,
  step: Step,
): Promise<void> {
  const subscription = await step(client.subscribe(parsed.destination, {
    ack: parsed.ack,
    receipt: true,
    headers: subscribeHeaders(parsed),
  }));
  const messages = subscription[Symbol.asyncIterator]();
  let received = 0;
  try {
    while (received !== parsed.count) {
      const next = await step(messages.next());
      if (next.done) break;
      // Acknowledged only once written: a message that could not be stays
      // with the broker, and nothing more is taken.
      await output(next.value, parsed, io, step);
      if (next.value.needsAck) await step(next.value.ack());
      received++;
    }
  } finally {
    // UNSUBSCRIBE goes out at once, before the DISCONNECT that follows.
    await step(subscription.unsubscribe()).catch(noop);
  }
}

/** The failure in words, with its cause, and the tool's advice for TLS. */
function failure(error: unknown, parsed: Parsed): string {
  const reason = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error &&
      !reason.includes(error.cause.message)
    ? ` (${error.cause.message})`
    : "";
  const line = `${reason}${cause}`;
  if (!TLS_FAILURE.test(line)) return line;
  // The transport names its own option; the user of the tool needs ours.
  const advice = parsed.ca === undefined
    ? "trust the certificate authority that signed the broker's certificate with --ca FILE or the STOMP_CA environment variable"
    : "check that the --ca file (or STOMP_CA) is the certificate authority that signed the broker's certificate";
  return `${line.replace(CA_CERTS_ADVICE, "")}; ${advice}`;
}

/**
 * A line with every known secret hidden: where it appears whole, escaped as
 * in a JSON string (the trace's bodies), or cut short at the end of a trace
 * line's body preview (`"...`).
 */
function hideSecrets(line: string, secrets: readonly string[]): string {
  let out = redactValues(redactUrl(line), secrets);
  for (const secret of secrets) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = redactValues(out, [escaped]);
    if (!out.includes('"...')) continue;
    for (let end = escaped.length - 1; end >= 3; end--) {
      const cut = `${escaped.slice(0, end)}"...`;
      if (out.includes(cut)) out = out.split(cut).join(`${REDACTED}"...`);
    }
  }
  return out;
}

/** Passwords of the URLs among the arguments, and STOMP_PASSCODE. */
function knownSecrets(args: readonly string[], io: CliIO): string[] {
  const secrets: string[] = [];
  for (const arg of args) {
    const password = arg.includes("@") ? urlPassword(arg) : undefined;
    if (password !== undefined) secrets.push(password);
  }
  const passcode = (io.env ?? readEnv)("STOMP_PASSCODE");
  if (passcode) secrets.push(passcode);
  return secrets;
}

/** Prints lines of help; the exit status. */
async function printAll(lines: string[], io: CliIO): Promise<number> {
  try {
    await Promise.all(lines.map((line) => io.print(line)));
    return 0;
  } catch (cause) {
    const error = new OutputError(cause);
    if (error.closed) return OUTPUT_CLOSED;
    io.error(`stomper: ${error.message}`);
    return 1;
  }
}

/**
 * Runs the tool with these arguments and returns its exit status: 0 on
 * success, 1 when the broker or the connection fails, 2 for a usage error.
 * When `io.signal` aborts, the tool stops (see {@linkcode CliIO.signal}) and
 * returns 130, or 143 when the signal's reason is `"SIGTERM"`. When standard
 * output fails (`io.print` or `io.write` rejects), `subscribe` takes no more
 * messages, does not acknowledge the one it could not write, unsubscribes,
 * disconnects and returns 141 if the output closed (an error named
 * `BrokenPipe` or with code `EPIPE`, reported by nothing else), 1 otherwise.
 * Errors are written through `io.error`, never thrown, with the passcode and
 * any URL's password shown as `***`; the process is never exited.
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
  // Every line written to the error stream, trace included, hides the
  // passwords of URLs and, as a last defence, each secret value known.
  const secrets = knownSecrets(args, io);
  const error = (line: string) => io.error(hideSecrets(line, secrets));
  const safe: CliIO = { ...io, error };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    safe.error(`stomper: ${error.message}`);
    safe.error("Run stomper --help for usage.");
    return 2;
  }
  if (parsed === "help") return await printAll(USAGE.split("\n"), safe);
  if (parsed === "version") {
    return await printAll([`stomper ${CLI_VERSION}`], safe);
  }
  let status: number;
  try {
    status = await run(parsed, safe, secrets);
  } catch (error) {
    // Whatever failed after the signal failed because of it.
    if (io.signal?.aborted) return stoppedStatus(io.signal);
    if (error instanceof UsageError) {
      safe.error(`stomper: ${error.message}`);
      return 2;
    }
    // A reader that went away is the end of the pipe, not a failure to
    // report (as with SIGPIPE).
    if (error instanceof OutputError && error.closed) return OUTPUT_CLOSED;
    safe.error(`stomper: ${failure(error, parsed)}`);
    return 1;
  }
  return io.signal?.aborted ? stoppedStatus(io.signal) : status;
}

if (import.meta.main) {
  const controller = new AbortController();
  // Windows has no SIGTERM to listen to.
  const signals = Deno.build.os === "windows"
    ? ["SIGINT"] as const
    : ["SIGINT", "SIGTERM"] as const;
  for (const name of signals) {
    Deno.addSignalListener(name, () => controller.abort(name));
  }
  const status = await runCli(Deno.args, {
    // Not console.log, which ignores a closed standard output: the tool must
    // know, so as not to acknowledge what nobody read.
    print: stdoutLines(),
    error: (line) => console.error(line),
    signal: controller.signal,
  });
  Deno.exit(status);
}
