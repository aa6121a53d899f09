// What the stomper tool does once its command line is parsed: connect,
// then send, or subscribe and write what arrives, acknowledging a message
// only once it is written.

import { StompClient } from "../client/client.ts";
import type { StompClientOptions } from "../client/options.ts";
import type { StompMessage } from "../client/message.ts";
import { StompConnectionError, StompServerError } from "../client/errors.ts";
import { traceLogger } from "../client/trace.ts";
import { DEFAULT_DECODE_LIMITS } from "../_decode_options.ts";
import type { OpenTransportOptions } from "../transports/open.ts";
import { raceSignal } from "../transports/_signal.ts";
import { type Parsed, UsageError } from "./_flags.ts";
import {
  type CliIO,
  type InputLine,
  OutputError,
  readAll,
  readEnv,
  readLines,
  streamOf,
  writeStdout,
} from "./_io.ts";
import { compactJson, isJsonType } from "./_json.ts";

/** How many SENDs of `send --count` may wait for their RECEIPT at once. */
const SEND_WINDOW = 64;

/** The largest prefetch RabbitMQ accepts (an AMQP short). */
const MAX_PREFETCH = 65535;

/** The headers that bound how many unacknowledged messages a broker sends. */
const PREFETCH_HEADERS = ["prefetch-count", "activemq.prefetchSize"] as const;

/**
 * The largest body the tool sends: the client's default maxSendBodyBytes. A
 * longer standard input (or line of it) is refused once that much was read.
 */
const MAX_BODY = DEFAULT_DECODE_LIMITS.maxBodyBytes;

/** How long a stopped tool waits for the broker to confirm DISCONNECT. */
const STOP_TIMEOUT = 500;

const noop = () => {};

/** The exit status of a tool that `signal` stopped. */
export function stoppedStatus(signal: AbortSignal): number {
  return signal.reason === "SIGTERM" ? 143 : 130;
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

// A leading byte order mark is part of the body: kept, not dropped.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** U+FEFF, which a JSON parser may skip at the start (RFC 8259, 8.1). */
const BOM = "\ufeff";

function bodyText(body: Uint8Array): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

/** Bytes base64-encoded per slice of a multiple of 3, joined once. */
const BASE64_SLICE = 3 * 8192;

/**
 * The bytes in base64. A slice at a time, not a character at a time: a
 * string grown per byte took 1.25 GB for a 30 MB body.
 */
function base64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let at = 0; at < bytes.length; at += BASE64_SLICE) {
    const slice = bytes.subarray(at, at + BASE64_SLICE);
    parts.push(btoa(String.fromCharCode(...slice)));
  }
  return parts.join("");
}

/** A message as one JSON object: a JSON body embedded as it was sent. */
function jsonLine(message: StompMessage, text: string | undefined): string {
  const fields = {
    destination: message.destination,
    headers: [...message.headers],
  };
  if (text === undefined) {
    return JSON.stringify({ ...fields, bodyBase64: base64(message.body) });
  }
  const json = isJsonType(message.headers.get("content-type"))
    ? compactJson(text.startsWith(BOM) ? text.slice(1) : text)
    : undefined;
  if (json === undefined) return JSON.stringify({ ...fields, body: text });
  // The body's own text in the place of a string: `{..."body":` + text + `}`.
  return `${JSON.stringify(fields).slice(0, -1)},"body":${json}}`;
}

/**
 * A header name or value on one line, escaped as STOMP 1.2 writes it (a `:`
 * too in a name, where the first one ends it): a line break in a value would
 * otherwise print as a header line of its own, or end the headers.
 */
function shown(text: string, isName: boolean): string {
  return text.replace(
    isName ? /[\\\n\r:]/g : /[\\\n\r]/g,
    (c) =>
      c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\c",
  );
}

function describe(message: StompMessage, parsed: Parsed): string[] {
  const text = bodyText(message.body);
  if (parsed.json) return [jsonLine(message, text)];
  const lines = parsed.showHeaders
    ? [...message.headers].map(([name, value]) =>
      `${shown(name, true)}: ${shown(value, false)}`
    ).concat([""])
    : [];
  lines.push(text ?? `<binary body, ${message.body.length} bytes>`);
  return lines;
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

export async function run(
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
  // A SEND the broker refuses gets an ERROR after it: without a receipt
  // nothing waits for it, yet it comes before DISCONNECT's RECEIPT, and a
  // message lost so must not be reported as sent.
  let refused: StompServerError | undefined;
  options.onError = (error) => {
    if (error instanceof StompServerError) refused ??= error;
  };
  if (signal !== undefined) options.signal = signal;
  if (parsed.reconnect) {
    // A first connection that fails is a mistake to report (a wrong URL or
    // password), not an outage to wait out.
    options.reconnect = {
      retryFirstConnect: false,
      onFailedAttempt: (error, attempt) =>
        io.error(
          `stomper: Reconnection attempt ${attempt} failed: ${error.message}`,
        ),
    };
    options.onStateChange = ({ state, previous, error }) => {
      if (state === "reconnecting") {
        io.error(
          `stomper: Connection lost${
            error === undefined ? "" : ` (${error.message})`
          }; reconnecting`,
        );
      } else if (state === "connected" && previous === "reconnecting") {
        io.error("stomper: Reconnected; subscribing again");
      }
    };
  }
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
    if (refused !== undefined && parsed.command === "send") throw refused;
    return 0;
  } finally {
    // After a failure, as `await using` would (a no-op once disconnected).
    if (!signal?.aborted) await step(client.disconnect()).catch(noop);
    if (signal?.aborted) await leave(client);
  }
}

type Step = <T>(promise: Promise<T>) => Promise<T>;

/**
 * SENDs in call order, up to {@linkcode SEND_WINDOW} of them waiting for
 * their RECEIPT (or their write, without one) at once: `add` waits for the
 * oldest only when the window is full, `finish` for all.
 */
class SendWindow {
  readonly #pending: { sent: Promise<void>; label: number }[] = [];
  readonly #step: Step;
  readonly #failed: (error: unknown, label: number, done: number) => Error;
  /** How many have resolved, all before the oldest still pending. */
  done = 0;

  constructor(
    step: Step,
    failed: (error: unknown, label: number, done: number) => Error,
  ) {
    this.#step = step;
    this.#failed = failed;
  }

  async add(sent: Promise<void>, label: number): Promise<void> {
    // Awaited in order below; the first failure is the one reported.
    sent.catch(noop);
    this.#pending.push({ sent, label });
    if (this.#pending.length >= SEND_WINDOW) await this.#settle();
  }

  async finish(): Promise<void> {
    while (this.#pending.length > 0) await this.#settle();
  }

  async #settle(): Promise<void> {
    const { sent, label } = this.#pending.shift()!;
    try {
      await this.#step(sent);
    } catch (error) {
      throw this.#failed(error, label, this.done);
    }
    this.done++;
  }
}

/** The options of each SEND of the tool. */
function sendOptions(parsed: Parsed) {
  return {
    receipt: !parsed.noReceipt,
    headers: parsed.headers,
    contentLength: !parsed.noContentLength,
    ...(parsed.contentType === undefined
      ? {}
      : { contentType: parsed.contentType }),
  };
}

/**
 * `send --lines`: a message per line of standard input, sent as the line
 * is read, over the one connection. The receipts of the last
 * {@linkcode SEND_WINDOW} lines are awaited while more are read, so a long
 * input costs no round trip per line, and a RECEIPT for each line says
 * which one failed, if one does.
 */
async function sendLines(
  client: StompClient,
  parsed: Parsed,
  io: CliIO,
  step: Step,
): Promise<void> {
  const options = sendOptions(parsed);
  const what = parsed.noReceipt ? "written" : "confirmed";
  const window = new SendWindow(step, (error, line, done) => {
    if (io.signal?.aborted) return error as Error;
    const reason = error instanceof Error ? error.message : String(error);
    return new Error(
      `Cannot send line ${line} of standard input: ${reason} (${
        were(done, what)
      } before it)`,
      { cause: error },
    );
  });
  let input: ReadableStream<Uint8Array>;
  if (io.readStdin === undefined) {
    atTerminal(io, "Reading standard input: one message per line");
    input = Deno.stdin.readable;
  } else {
    input = streamOf(await step(io.readStdin()));
  }
  let bytes = 0;
  let sent = 0;
  const lines: AsyncIterator<InputLine> = readLines(
    input,
    io.signal,
    MAX_BODY,
  );
  // A connection lost while the input is quiet (`tail -f`) ends the tool
  // then, not when the next line comes. One handler on `closed` settles the
  // wait of the moment: a race with `closed` per line would leave a handler
  // on it per line, holding every line until the connection closes.
  let ended: { value: unknown } | undefined;
  let onEnded: ((value: unknown) => void) | undefined;
  client.closed.then(() => LOST, (error: unknown) => error).then((value) => {
    ended = { value };
    onEnded?.(value);
  });
  const nextLine = () =>
    new Promise<IteratorResult<InputLine> | unknown>((resolve, reject) => {
      if (ended !== undefined) return resolve(ended.value);
      onEnded = resolve;
      lines.next().then(resolve, reject);
    }).finally(() => onEnded = undefined);
  while (true) {
    let next: IteratorResult<InputLine> | unknown;
    try {
      next = await step(nextLine());
    } catch (error) {
      if (!(error instanceof RangeError) || io.signal?.aborted) throw error;
      // A line too long to send: those before it go first.
      await window.finish();
      throw new RangeError(`${error.message} (${were(sent, what)} before it)`, {
        cause: error,
      });
    }
    if (!isLine(next)) {
      // The SENDs still waiting fail first, naming their line.
      await window.finish();
      const reason = next instanceof Error ? next.message : "the client closed";
      throw new Error(
        `Cannot send the lines of standard input: ${reason} (${
          were(sent, what)
        })`,
        { cause: next },
      );
    }
    if (next.done) break;
    const { bytes: line, number } = next.value;
    // As mosquitto_pub -l does: an empty line is no message.
    if (line.length === 0) continue;
    let body: Uint8Array | string = line;
    if (parsed.noContentLength) body = textBody(line, `line ${number}`);
    bytes += line.length;
    sent++;
    await window.add(client.send(parsed.destination, body, options), number);
  }
  await window.finish();
  io.error(
    `Sent ${sent} ${
      sent === 1 ? "message" : "messages"
    } (one per line, ${bytes} bytes in all) to ${parsed.destination}${
      parsed.noReceipt
        ? ""
        : ` (${sent === 1 ? "receipt" : "receipts"} confirmed)`
    }`,
  );
}

/**
 * Says what the tool waits for when the process's standard input is a
 * terminal: a user who left out the body would otherwise see it hang.
 */
function atTerminal(io: CliIO, doing: string): void {
  let terminal = false;
  try {
    terminal = Deno.stdin.isTerminal();
  } catch {
    // No standard input to ask: nothing to say.
  }
  if (!terminal) return;
  const end = Deno.build.os === "windows" ? "Ctrl-Z, Enter" : "Ctrl-D";
  io.error(`stomper: ${doing}, until end of input (${end})`);
}

/** "3 messages were confirmed", "1 message was written". */
function were(count: number, what: string): string {
  return count === 1
    ? `1 message was ${what}`
    : `${count} messages were ${what}`;
}

/** What the client's `closed` gives when it closed without an error. */
const LOST = Symbol("lost");

function isLine(
  value: IteratorResult<InputLine> | unknown,
): value is IteratorResult<InputLine> {
  return typeof value === "object" && value !== null && "done" in value;
}

/** A body for --no-content-length: UTF-8 text without NUL. */
function textBody(body: Uint8Array | string, where: string): string {
  // Only a text body can go without content-length: it ends at its NUL.
  if (typeof body !== "string") {
    try {
      body = utf8.decode(body);
    } catch {
      throw new UsageError(
        `Option --no-content-length needs a UTF-8 text body, and ${where} is not UTF-8`,
      );
    }
  }
  if (body.includes("\0")) {
    throw new UsageError(
      `Option --no-content-length cannot send a body holding NUL (the frame would end there): ${where} holds one`,
    );
  }
  return body;
}

async function send(
  client: StompClient,
  parsed: Parsed,
  io: CliIO,
  step: Step,
): Promise<void> {
  if (parsed.lines) return await sendLines(client, parsed, io, step);
  let body: Uint8Array | string;
  if (parsed.body !== undefined && parsed.body !== "-") {
    body = parsed.body;
  } else {
    const read = io.readStdin ?? (() => {
      atTerminal(io, "Reading the body from standard input");
      return readAll(Deno.stdin.readable, io.signal, MAX_BODY);
    });
    // The whole of standard input, or nothing: sent only once it ended.
    body = await step(read());
  }
  if (parsed.noContentLength) body = textBody(body, "standard input");
  const options = sendOptions(parsed);
  const count = parsed.count ?? 1;
  // Call order is wire order: the copies go out in order while up to
  // SEND_WINDOW of them wait for their RECEIPT.
  const window = new SendWindow(step, (error) => error as Error);
  for (let i = 0; i < count; i++) {
    await window.add(client.send(parsed.destination, body, options), i + 1);
  }
  await window.finish();
  const size = typeof body === "string"
    ? new TextEncoder().encode(body).length
    : body.length;
  const confirmed = count === 1
    ? " (receipt confirmed)"
    : " (receipts confirmed)";
  io.error(
    `Sent ${
      count === 1 ? `${size} bytes` : `${count} messages of ${size} bytes each`
    } to ${parsed.destination}${parsed.noReceipt ? "" : confirmed}`,
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
  const idle = parsed.wait === undefined ? undefined : parsed.wait * 1000;
  let received = 0;
  try {
    while (received !== parsed.count) {
      const pending = messages.next();
      const next = idle === undefined
        ? await step(pending)
        : await step(orIdle(pending, idle));
      if (next === IDLE) {
        // Taken by the UNSUBSCRIBE below: ends done, or with its error.
        pending.catch(noop);
        io.error(
          `No message for ${parsed.wait} s: stopping after ${received} ${
            received === 1 ? "message" : "messages"
          }`,
        );
        break;
      }
      if (next.done) break;
      // Acknowledged only once written: a message that could not be stays
      // with the broker, and nothing more is taken.
      await output(next.value, parsed, io, step);
      if (next.value.needsAck) await acknowledge(next.value, parsed, io, step);
      received++;
    }
  } finally {
    // UNSUBSCRIBE goes out at once, before the DISCONNECT that follows.
    await step(subscription.unsubscribe()).catch(noop);
  }
}

/** What {@linkcode orIdle} resolves to when the time has passed. */
const IDLE = Symbol("idle");

/** The promise's value, or IDLE once `ms` milliseconds have passed. */
async function orIdle<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | typeof IDLE> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<typeof IDLE>((resolve) => {
        timer = setTimeout(() => resolve(IDLE), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Acknowledges a message written. With --reconnect, an ACK that the lost
 * connection took with it is no failure: the broker delivers the message
 * again, on the new connection, and the tool writes it again.
 */
async function acknowledge(
  message: StompMessage,
  parsed: Parsed,
  io: CliIO,
  step: Step,
): Promise<void> {
  try {
    await step(message.ack());
  } catch (error) {
    if (
      !parsed.reconnect || io.signal?.aborted ||
      !(error instanceof StompConnectionError)
    ) throw error;
    io.error(`stomper: ${error.message}`);
  }
}
