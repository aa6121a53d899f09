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
import { validTimeout } from "./_options.ts";
import type { Outbox } from "./_outbox.ts";

export class SendRules {
  readonly #maxBody: number;
  readonly #textContentLength: boolean;

  constructor(maxBody: number, textContentLength: boolean) {
    this.#maxBody = maxBody;
    this.#textContentLength = textContentLength;
  }

  /** The error for a body over maxSendBodyBytes, if it is. */
  tooLarge(
    destination: string,
    body: StompBody | undefined,
  ): RangeError | undefined {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only text that might be
    // over the limit is measured.
    if (
      body === undefined || body.length * 3 <= this.#maxBody ||
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
   * Whether a body goes without content-length (text, when asked so by the
   * call or the client's `textContentLength`), or the `TypeError` for a
   * text that cannot: one holding NUL, where its frame would end.
   */
  lengthless(
    destination: string,
    body: StompBody | undefined,
    options: { readonly contentLength?: boolean },
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
