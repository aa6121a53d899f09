// SEND preparation, for send, request, reply and transaction send: the
// checks made at the call (a body over maxSendBodyBytes; a text going
// without content-length, decided here and only here), the session options
// of a SEND, and the fast paths of the common SEND (no receipt, timeout or
// signal), which need neither a frame nor an operation.

import type { StompBody } from "../frame.ts";
import { StompHeaders, type StompHeadersInit } from "../headers.ts";
import { utf8Length } from "../_plain.ts";
import type { Connection } from "./_connection.ts";
import type { ClientSendOptions } from "./options.ts";
import { type ClientSettings, validTimeout } from "./_options.ts";
import type { Outbox } from "./_outbox.ts";
import { DEFAULT_DECODE_LIMITS } from "../decoder.ts";

/** What a SEND's header lines are checked against. */
interface SendHeaders {
  readonly contentType?: string | undefined;
  readonly headers?: StompHeadersInit | undefined;
}

export class SendRules {
  readonly #maxBody: number;
  readonly #textContentLength: boolean;
  readonly #maxLine: number;

  constructor(
    settings: Pick<
      ClientSettings,
      "maxSendBody" | "textContentLength" | "limits"
    >,
  ) {
    this.#maxBody = settings.maxSendBody;
    this.#textContentLength = settings.textContentLength;
    this.#maxLine = settings.limits.maxHeaderLineBytes ??
      DEFAULT_DECODE_LIMITS.maxHeaderLineBytes;
  }

  /**
   * The error for a body over maxSendBodyBytes, for a header line longer
   * than this client decodes (decodeLimits.maxHeaderLineBytes), or for a
   * header the client writes itself (see `OWN`), if so.
   */
  refusal(
    destination: string,
    body: StompBody | undefined,
    options: SendHeaders = {},
    inTransaction = false,
  ): RangeError | TypeError | undefined {
    const long = this.#headersRefusal(destination, options, inTransaction);
    if (long !== undefined) return long;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only text that might be
    // over the limit is measured.
    if (
      body === undefined || body === null || body.length * 3 <= this.#maxBody ||
      !(typeof body === "string" || body instanceof Uint8Array)
    ) return undefined;
    const bytes = typeof body === "string" ? utf8Length(body) : body.length;
    if (bytes <= this.#maxBody) return undefined;
    return new RangeError(
      `Cannot send to ${
        JSON.stringify(destination)
      }: the body is ${bytes} bytes, over maxSendBodyBytes (${this.#maxBody}), which matches what consumers decode by default (decodeLimits.maxBodyBytes); raise both to send it`,
    );
  }

  /**
   * The error for a header line (`name:value`, escaped) past
   * maxHeaderLineBytes (consumers with the default limits could not decode
   * the message, and a broker would deliver it again and again), or for a
   * header the client writes itself; one walk over the headers finds both.
   */
  #headersRefusal(
    destination: string,
    options: SendHeaders,
    inTransaction: boolean,
  ): RangeError | TypeError | undefined {
    let long = this.#over("destination", destination) ??
      this.#over("content-type", options.contentType);
    const headers = options.headers;
    if (long !== undefined || headers === undefined || headers === null) {
      return long === undefined
        ? undefined
        : this.#lineError(destination, long);
    }
    const type = options.contentType;
    let own: string | undefined;
    if (headers instanceof StompHeaders || Symbol.iterator in headers) {
      for (const [name, value] of headers as Iterable<[string, string]>) {
        long ??= this.#over(name, value);
        own ??= ownHeader(name, value, type, inTransaction);
      }
    } else {
      const record = headers as Readonly<Record<string, string | undefined>>;
      for (const name in record) {
        const value = record[name];
        long ??= this.#over(name, value);
        own ??= ownHeader(name, value, type, inTransaction);
      }
    }
    return own !== undefined
      ? new TypeError(
        `Cannot send to ${JSON.stringify(destination)}: the ${own}`,
      )
      : long === undefined
      ? undefined
      : this.#lineError(destination, long);
  }

  /** The header and its line's bytes, when it might be over the limit. */
  #over(name: unknown, value: unknown): [string, number] | undefined {
    if (typeof name !== "string" || typeof value !== "string") return;
    // Escaping doubles a byte at most, UTF-8 takes 3 per unit at most.
    if ((name.length + value.length) * 3 < this.#maxLine) return;
    const bytes = lineBytes(name) + 1 + lineBytes(value);
    return bytes > this.#maxLine ? [name, bytes] : undefined;
  }

  #lineError(destination: string, [name, bytes]: [string, number]) {
    return new RangeError(
      `Cannot send to ${JSON.stringify(destination)}: the header ${
        JSON.stringify(name)
      } is a line of ${bytes} bytes, over decodeLimits.maxHeaderLineBytes (${this.#maxLine}), so consumers with that limit cannot decode the message; shorten it, or raise the limit here and on every consumer`,
    );
  }

  /**
   * Whether a body goes without content-length (text, when asked so by the
   * call or the client's `textContentLength`), or the `TypeError` for a
   * text that cannot: one holding NUL, where its frame would end.
   */
  lengthless(
    destination: string,
    body: StompBody | undefined,
    options: { readonly contentLength?: boolean | undefined },
  ): boolean | TypeError {
    if (
      typeof body !== "string" || body.length === 0 ||
      (options.contentLength ?? this.#textContentLength) !== false
    ) return false;
    const nul = body.indexOf("\0");
    if (nul === -1) return true;
    return new TypeError(
      `Cannot send to ${
        JSON.stringify(destination)
      }: the text holds a NUL character at index ${nul}, which a SEND without content-length (contentLength: false) cannot carry; send it with content-length, or as bytes`,
    );
  }
}

// The headers the client writes itself, and what to use instead: a second
// one of that name would be ignored (brokers take the first, the client's).
const OWN: Readonly<Record<string, string>> = {
  destination: "the destination argument",
  receipt: "receipt: true",
  "content-length": "contentLength",
  // With contentType given.
  "content-type": "contentType",
  // In a transaction.
  transaction: "the transaction",
};

/** What to say of `name` if it is a header the client writes itself. */
function ownHeader(
  name: string,
  value: unknown,
  contentType: unknown,
  inTransaction: boolean,
): string | undefined {
  if (
    value === undefined || !Object.hasOwn(OWN, name) ||
    (name === "content-type" && contentType === undefined) ||
    (name === "transaction" && !inTransaction)
  ) return undefined;
  return `${JSON.stringify(name)} header is the client's own (use ${
    OWN[name]
  })`;
}

/** A header name or value's bytes once escaped (STOMP 1.1, 1.2). */
function lineBytes(text: string): number {
  let bytes = utf8Length(text);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // LF, CR, ':' and '\\' are written as two bytes.
    if (unit === 10 || unit === 13 || unit === 58 || unit === 92) bytes++;
  }
  return bytes;
}

// fatal: a body that is not UTF-8 throws instead of becoming U+FFFD.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Over a transport that carries text only (a WebSocket sending text
 * messages, as SockJS does), the `TypeError` for a body that is not UTF-8:
 * its frame could not be sent, and only this SEND fails for it.
 */
export function notText(
  destination: string,
  body: StompBody | undefined,
): TypeError | undefined {
  if (!(body instanceof Uint8Array) || body.length === 0) return undefined;
  try {
    strictUtf8.decode(body);
    return undefined;
  } catch {
    return new TypeError(
      `Cannot send to ${
        JSON.stringify(destination)
      }: the body is not valid UTF-8, and the connection carries text only (a WebSocket sending text messages, as over SockJS); send text, or encode the bytes (as Base64, say)`,
    );
  }
}

/** The session's options for a SEND of these call options. */
export function sendOptions(
  options: ClientSendOptions,
): { receipt?: boolean; contentType?: string; headers?: StompHeadersInit } {
  return {
    ...(options.receipt === undefined ? {} : { receipt: options.receipt }),
    ...(options.contentType === undefined
      ? {}
      : { contentType: options.contentType }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  };
}

/**
 * The header list of a SEND without a receipt, validated as the builder
 * would; `undefined` when the general path must see it (to refuse it).
 */
export function sendHeaderList(
  destination: string,
  body: StompBody | undefined,
  options: ClientSendOptions,
): string[] | undefined {
  if (!validTimeout(options.timeout)) return undefined;
  // Only the general path refuses a signal that is not one.
  const signal = options.signal;
  if (signal !== undefined && typeof signal.addEventListener !== "function") {
    return undefined;
  }
  if (
    body !== undefined && typeof body !== "string" &&
    !(body instanceof Uint8Array)
  ) return undefined;
  if (typeof destination !== "string" || destination === "") {
    return undefined;
  }
  const contentType = options.contentType;
  const list = ["destination", destination];
  if (contentType !== undefined) {
    if (typeof contentType !== "string" || contentType === "") {
      return undefined;
    }
    list.push("content-type", contentType);
  }
  if (options.headers !== undefined) {
    let extra: readonly string[];
    try {
      extra = StompHeaders.flat(new StompHeaders(options.headers));
    } catch {
      return undefined;
    }
    for (let i = 0; i < extra.length; i++) list.push(extra[i]!);
  }
  return list;
}

/**
 * The common SEND, connected, within the send buffer, without a receipt:
 * accepted at once, so it needs no operation, and its frame is encoded
 * straight into the outgoing batch. Returns false, having queued nothing,
 * for anything else (an invalid argument, headers that need escaping),
 * which the general path then handles or refuses.
 */
export function sendNow(
  outbox: Outbox,
  connection: Connection,
  destination: string,
  body: StompBody | undefined,
  options: ClientSendOptions,
  lengthless: boolean,
): boolean {
  const list = sendHeaderList(destination, body, options);
  if (list === undefined) return false;
  if (
    !outbox.pushPlain(
      "SEND",
      list,
      body ?? "",
      undefined,
      undefined,
      !lengthless,
    )
  ) return false;
  connection.kick();
  return true;
}

/**
 * The common SEND that has to wait (no connection yet, or past
 * sendBufferSize), without a receipt, timeout or signal: queued as its
 * header list and body (see Outbox.pushSend), encoded at its turn; its
 * promise settles as an operation's would (`report` gets a failure of its
 * own). `undefined`, having queued nothing, for anything else.
 */
export function sendLater(
  outbox: Outbox,
  destination: string,
  body: StompBody | undefined,
  options: ClientSendOptions,
  lengthless: boolean,
  report: (error: Error) => void,
): Promise<void> | undefined {
  if (options.timeout !== undefined || options.signal !== undefined) {
    return undefined;
  }
  const list = sendHeaderList(destination, body, options);
  if (list === undefined) return undefined;
  return outbox.pushSend(list, body ?? "", lengthless, report);
}
