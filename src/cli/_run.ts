// What the stomper tool does once its command line is parsed: connect,
// then send, or subscribe and write what arrives, acknowledging a message
// only once it is written.

import { StompClient } from "../client/client.ts";
import type { StompClientOptions } from "../client/options.ts";
import type { StompMessage } from "../client/message.ts";
import { traceLogger } from "../client/trace.ts";
import type { OpenTransportOptions } from "../transports/open.ts";
import { raceSignal } from "../transports/_signal.ts";
import { type Parsed, UsageError } from "./_flags.ts";
import {
  type CliIO,
  OutputError,
  readAll,
  readEnv,
  writeStdout,
} from "./_io.ts";

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
  if (parsed.noContentLength) {
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
    receipt: !parsed.noReceipt,
    headers: parsed.headers,
    contentLength: !parsed.noContentLength,
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
