/**
 * STOMP over WebSocket, for Deno, browsers and any runtime with a standard
 * `WebSocket`: {@linkcode fromWebSocket} wraps a socket,
 * {@linkcode connectWebSocket} opens one. Web APIs only.
 *
 * @module
 */

import { redactUrl } from "../_redact.ts";
import { registerMessageSender } from "./_messages.ts";
import { decodeText, settings, textPieceEnd } from "./_ws_messages.ts";
import { webSocketTls } from "./_wss.ts";
import { failureHint, WEBSOCKET_HINT, websocketPortHint } from "./_url.ts";
import {
  abortPhrase,
  connectSignal,
  DEFAULT_CONNECT_TIMEOUT,
  raceSignal,
} from "./_signal.ts";
import {
  TransportConnectError,
  WebSocketClosedError,
  type WebSocketClosedErrorOptions,
} from "./errors.ts";
import {
  STOMP_SUBPROTOCOLS,
  type WebSocketCloseInfo,
  type WebSocketConnectOptions,
  type WebSocketLike,
  type WebSocketTransport,
  type WebSocketTransportOptions,
} from "./_websocket_types.ts";

export {
  STOMP_SUBPROTOCOLS,
  type WebSocketCloseInfo,
  type WebSocketConnectOptions,
  type WebSocketLike,
  type WebSocketMessageType,
  type WebSocketTransport,
  type WebSocketTransportOptions,
} from "./_websocket_types.ts";

// Deno's WebSocket also takes an options object with an HTTP client (for its
// TLS settings); the DOM's type, loaded in browser builds, does not know it.
type DenoWebSocketConstructor = new (
  url: URL,
  options: { protocols: string[] | undefined; client: unknown },
) => WebSocket;

// WebSocket readyState values, named here rather than read from the global
// class, so that a socket from a library (the ws package under Node 20)
// works where there is no global WebSocket.
const OPEN = 1;
const CLOSING = 2;

// How long a failed connection attempt waits for the close event that
// should follow its error event.
const LATE_CLOSE_MS = 200;
const NORMAL_CLOSURE = 1000;
const NO_STATUS = 1005;
// The polling delay bounds while waiting for bufferedAmount to drain.
const MIN_POLL_MS = 1;
const MAX_POLL_MS = 100;

const utf8Encoder = new TextEncoder();

/**
 * Whether this runs in a browser (every one's user agent starts so), whose
 * console says what its WebSocket events do not.
 */
const inBrowser = () =>
  /^Mozilla\//.test(
    (globalThis.navigator as { userAgent?: string | undefined } | undefined)
      ?.userAgent ??
      "",
  );

/**
 * Wraps a WebSocket (connecting or open) as a {@linkcode StompTransport}:
 * a standard `WebSocket`, or any {@linkcode WebSocketLike} socket, such as
 * a SockJS one (see docs/sockjs.md).
 *
 * - Sets `binaryType` to `"arraybuffer"` (leave it so); `readable` yields
 *   binary messages as bytes and text messages as their UTF-8 bytes. The
 *   WebSocket API cannot pause the peer, so received messages queue up in
 *   `readable` until read.
 * - Each chunk written to `writable` is sent as one message (the view
 *   itself, never its whole backing buffer), binary unless `messageType` is
 *   `"text"` (the default for a socket without `binaryType`, which carries
 *   text only); a chunk longer than `maxMessageBytes` as several, in order.
 *   Writes wait for the socket to open, and wait while `bufferedAmount` is
 *   above `highWaterMark`; a socket without `bufferedAmount` is never
 *   waited for, and the transport says so with `unpaced: true`.
 * - A close with code 1000 or no code ends `readable` normally, as does any
 *   close after `close()` or closing `writable`; any other close errors it
 *   with a {@linkcode WebSocketClosedError} carrying the code and reason.
 * - Closing `writable` closes the socket with code 1000 and resolves once
 *   it has closed; `close()` does the same at once.
 *
 * @example Talking to a loopback WebSocket server
 * ```ts
 * import { fromWebSocket } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   (request) => {
 *     const { socket, response } = Deno.upgradeWebSocket(request);
 *     socket.onmessage = (event) => socket.send(event.data); // echo
 *     return response;
 *   },
 * );
 * const socket = new WebSocket(`ws://127.0.0.1:${server.addr.port}`);
 * const transport = fromWebSocket(socket);
 * const writer = transport.writable.getWriter();
 * await writer.write(new TextEncoder().encode("SEND\ndestination:/q\n\n\0"));
 * const reader = transport.readable.getReader();
 * const { value } = await reader.read();
 * assertEquals(new TextDecoder().decode(value), "SEND\ndestination:/q\n\n\0");
 * await writer.close();
 * assertEquals((await reader.read()).done, true);
 * ```
 *
 * @example Splitting large frames for a server that caps message size
 * ```ts
 * import { encodeFrame, send } from "@stomper/stomp";
 * import { fromWebSocket } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * const sizes: number[] = [];
 * const received = Promise.withResolvers<void>();
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   (request) => {
 *     const { socket, response } = Deno.upgradeWebSocket(request);
 *     socket.binaryType = "arraybuffer";
 *     socket.onmessage = (event) => sizes.push(event.data.byteLength);
 *     socket.onclose = () => received.resolve();
 *     return response;
 *   },
 * );
 * const socket = new WebSocket(`ws://127.0.0.1:${server.addr.port}`);
 * const transport = fromWebSocket(socket, { maxMessageBytes: 64 * 1024 });
 * const frame = encodeFrame(send("/queue/a", new Uint8Array(150 * 1024)));
 * const writer = transport.writable.getWriter();
 * await writer.write(frame);
 * await writer.close();
 * await received.promise;
 * assertEquals(sizes, [65536, 65536, frame.length - 2 * 65536]);
 * ```
 *
 * @param socket A WebSocket, or a {@linkcode WebSocketLike} socket, that is
 * connecting or open.
 * @param options Message type, write high-water mark and message size limit.
 * @returns The transport.
 * @throws {TypeError} For a bad message type, `"binary"` for a socket
 * without `binaryType`, or a socket already closing.
 * @throws {RangeError} For a bad high-water mark or message size limit.
 */
export function fromWebSocket<S extends WebSocketLike = WebSocket>(
  socket: S,
  options: WebSocketTransportOptions = {},
): WebSocketTransport<S> {
  const binary = "binaryType" in socket;
  const { messageType, highWaterMark, maxMessageBytes, maxUnreadBytes } =
    settings(
      options,
      "Cannot wrap WebSocket",
      binary ? "binary" : "text",
    );
  if (!binary && messageType === "binary") {
    throw new TypeError(
      'Cannot wrap WebSocket: it has no binaryType, so it sends text only (SockJS turns bytes into a string of numbers); leave messageType unset or use "text"',
    );
  }
  if (socket.readyState >= CLOSING) {
    throw new TypeError("Cannot wrap WebSocket: it is already closing");
  }
  if (binary) socket.binaryType = "arraybuffer";
  // A socket that cannot say what it holds is never waited for (see
  // highWaterMark): pausing it for timer turns was measured to bound nothing.
  const measured = typeof socket.bufferedAmount === "number";

  let closedLocally = false;
  let closeEvent: WebSocketCloseInfo | undefined;
  // What the close event wakes: the writers sleeping while the socket drains.
  const sleepers = new Set<() => void>();
  // Settled by the close event; writers waiting on open listen to it.
  let resolveClosed!: (info: WebSocketCloseInfo) => void;
  const closed = new Promise<WebSocketCloseInfo>((resolve) =>
    resolveClosed = resolve
  );

  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let readableDone = false;
  // Counted in bytes from 0: desiredSize is minus what waits unread.
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      readableDone = true;
      close();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: 0 }));
  const enqueue = (chunk: Uint8Array) => {
    controller.enqueue(chunk);
    const unread = -controller.desiredSize!;
    if (unread <= maxUnreadBytes || unread === chunk.length) return;
    readableDone = true;
    controller.error(
      new RangeError(
        `Cannot read WebSocket: over maxUnreadBytes (${maxUnreadBytes}) unread; a WebSocket cannot make the server wait: read as it comes, or use a prefetch`,
      ),
    );
    close();
  };

  let errorDetail: string | undefined;
  // A browser closes the sockets of a page it freezes (a background tab) or
  // puts in the back-forward cache, and says so only in its console; the
  // close event comes when the page runs again. A message read after the
  // freeze shows the socket outlived it.
  const page =
    (globalThis as { document?: Partial<EventTarget> | undefined }).document;
  const watchesPage = typeof page?.addEventListener === "function";
  let frozen = false;
  const onFreeze = () => frozen = true;
  if (watchesPage) page!.addEventListener!("freeze", onFreeze);
  const closedError = (context: string) => {
    const options: WebSocketClosedErrorOptions = {
      wasClean: closeEvent?.wasClean ?? false,
      context,
    };
    const detail = errorDetail ??
      (frozen
        ? "the page was frozen, or in the back-forward cache"
        : failedOpen
        ? `${
          inBrowser()
            ? "the browser failed it; its console says why"
            : "the runtime failed it"
        }${textSeen ? "; on a text endpoint, likely invalid UTF-8" : ""}`
        : undefined);
    if (detail !== undefined) options.detail = detail;
    return new WebSocketClosedError(
      closeEvent?.code ?? 1006,
      closeEvent?.reason ?? "",
      options,
    );
  };
  // An error event on an open socket: the runtime failed the connection
  // itself (a text message that is not UTF-8, a protocol error), where a
  // dropped connection only closes. Browsers say why in the console only.
  let isOpen = socket.readyState === OPEN;
  let failedOpen = false;
  let textSeen = false;
  const onError = (event: Event) => {
    // Browsers say nothing about the cause; Deno's ErrorEvent does.
    const message = (event as Partial<ErrorEvent>).message;
    if (typeof message === "string" && message !== "") errorDetail = message;
    else if (isOpen) failedOpen = true;
  };

  const onMessage = (event: Event) => {
    frozen = false;
    if (readableDone) return;
    const data: unknown = (event as MessageEvent).data;
    if (data instanceof ArrayBuffer) {
      enqueue(new Uint8Array(data));
    } else if (typeof data === "string") {
      textSeen = true;
      enqueue(utf8Encoder.encode(data));
    } else {
      readableDone = true;
      controller.error(
        new TypeError(
          `Cannot read WebSocket message: expected an ArrayBuffer or a string, got ${
            Object.prototype.toString.call(data)
          } (was binaryType changed from "arraybuffer"?)`,
        ),
      );
      close();
    }
  };
  const onClose = (event: Event) => {
    // Some runtimes fire close twice when the peer drops the connection.
    if (closeEvent !== undefined) return;
    const { code, reason, wasClean } = event as CloseEvent;
    closeEvent = { code, reason, wasClean };
    socket.removeEventListener("message", onMessage);
    socket.removeEventListener("error", onError);
    socket.removeEventListener("close", onClose);
    if (watchesPage) page!.removeEventListener!("freeze", onFreeze);
    resolveClosed(closeEvent);
    for (const wake of sleepers) wake();
    if (readableDone) return;
    readableDone = true;
    const normal = closedLocally ||
      (wasClean && (code === NORMAL_CLOSURE || code === NO_STATUS));
    if (normal) controller.close();
    else controller.error(closedError("Connection lost"));
  };
  socket.addEventListener("message", onMessage);
  socket.addEventListener("error", onError);
  socket.addEventListener("close", onClose);

  const close = () => {
    closedLocally = true;
    if (socket.readyState < CLOSING) socket.close(NORMAL_CLOSURE);
  };

  const opened = socket.readyState === OPEN
    ? Promise.resolve(true)
    : new Promise<boolean>((resolve) => {
      // Removed by hand: SockJS's addEventListener takes no options.
      const onOpen = () => {
        isOpen = true;
        socket.removeEventListener("open", onOpen);
        resolve(true);
      };
      socket.addEventListener("open", onOpen);
      closed.then(() => {
        socket.removeEventListener("open", onOpen);
        resolve(false);
      });
    });

  /**
   * Waits for `delay` ms, or less if the socket closes. The close event
   * wakes the sleepers: racing each sleep against `closed` would leave a
   * reaction on that promise per sleep for as long as the socket lives.
   */
  const sleep = (delay: number) =>
    new Promise<void>((resolve) => {
      if (closeEvent !== undefined) {
        resolve();
        return;
      }
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, delay);
      sleepers.add(wake);
    });

  /** Whether the socket holds more than the mark (the next write waits). */
  const full = () => measured && socket.bufferedAmount! > highWaterMark;

  /** Waits until bufferedAmount is at most the mark, or the socket closes. */
  const drain = async () => {
    let delay = MIN_POLL_MS;
    let before = socket.bufferedAmount!;
    while (before > highWaterMark && closeEvent === undefined) {
      await sleep(delay);
      const now = socket.bufferedAmount!;
      // Aim the next poll at when the queue should reach the mark at the
      // rate it just drained; back off while it does not drain at all.
      const rate = (before - now) / delay;
      delay = rate > 0
        ? Math.min(
          MAX_POLL_MS,
          Math.max(MIN_POLL_MS, (now - highWaterMark) / rate),
        )
        : Math.min(MAX_POLL_MS, delay * 2);
      before = now;
    }
  };

  /**
   * Sends one chunk on the open socket: one message, or several of at most
   * maxMessageBytes each, sent together so that nothing comes between them.
   */
  const sendMessage = (chunk: Uint8Array) => {
    if (messageType === "binary") {
      if (chunk.length <= maxMessageBytes) socket.send(chunk);
      else {
        for (let at = 0; at < chunk.length; at += maxMessageBytes) {
          socket.send(chunk.subarray(at, at + maxMessageBytes));
        }
      }
    } else if (chunk.length <= maxMessageBytes) {
      socket.send(decodeText(chunk));
    } else {
      // Every piece is decoded before any is sent: a frame that is not
      // UTF-8 then fails whole, and no half of it is left on the wire.
      const pieces: string[] = [];
      for (let at = 0; at < chunk.length;) {
        const end = textPieceEnd(chunk, at, maxMessageBytes);
        pieces.push(decodeText(chunk.subarray(at, end)));
        at = end;
      }
      for (let i = 0; i < pieces.length; i++) socket.send(pieces[i]!);
    }
  };

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (!(await opened) || socket.readyState !== OPEN) {
        throw closedError("Cannot send frame");
      }
      sendMessage(chunk);
      if (full()) await drain();
    },
    async close() {
      close();
      await closed;
    },
    abort() {
      close();
    },
  });

  const transport = {
    readable,
    writable,
    close,
    socket,
    closed,
    messageType,
    ...(measured ? {} : { unpaced: true }),
  };
  registerMessageSender(transport, (chunks) => {
    if (socket.readyState !== OPEN) return false;
    try {
      for (let i = 0; i < chunks.length; i++) sendMessage(chunks[i]!);
    } catch (error) {
      return Promise.reject(error);
    }
    return full() ? drain() : Promise.resolve();
  });
  return transport;
}

/**
 * Opens a WebSocket to a STOMP server (a `ws:` or `wss:` URL), offering the
 * STOMP subprotocols, and resolves with a {@linkcode WebSocketTransport} once
 * it is open.
 *
 * @example Connecting to a loopback WebSocket server
 * ```ts
 * import { connectWebSocket } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   (request) => {
 *     const { socket, response } = Deno.upgradeWebSocket(request, {
 *       protocol: "v12.stomp",
 *     });
 *     socket.onopen = () => socket.close(1000);
 *     return response;
 *   },
 * );
 * const transport = await connectWebSocket(`ws://127.0.0.1:${server.addr.port}`);
 * assertEquals(transport.socket.protocol, "v12.stomp");
 * // The readable ends when the server closes normally.
 * assertEquals(await new Response(transport.readable).text(), "");
 * ```
 *
 * @param url The server's `ws:` or `wss:` URL.
 * For `wss:` URLs in Deno, `caCerts`, `cert` and `key` apply as they do to
 * `connectTcp`'s `tls:`; other runtimes' WebSockets take no TLS
 * settings, so there they are refused (see `caCerts`).
 *
 * @param options Subprotocols, message type, high-water mark, message size
 * limit, TLS settings (Deno), timeout and abort signal.
 * @returns The transport, once the socket is open.
 * @throws {TypeError} For a URL that is not `ws:` or `wss:`, a bad message
 * type, `cert` without `key` (or the reverse), TLS settings for a `ws:`
 * URL, or for a `wss:` URL in a runtime other than Deno.
 * @throws {RangeError} For a bad high-water mark or message size limit
 * (before any socket is opened).
 * @throws {TransportConnectError} When the socket cannot be opened.
 */
export async function connectWebSocket(
  url: string | URL,
  options: WebSocketConnectOptions = {},
): Promise<WebSocketTransport> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The parser's error quotes the URL whole: not kept as the cause.
    throw new TypeError(
      `Cannot connect over WebSocket: invalid URL ${
        JSON.stringify(redactUrl(url))
      }`,
    );
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new TypeError(
      `Cannot connect over WebSocket: unsupported scheme "${parsed.protocol}" in ${
        JSON.stringify(redactUrl(parsed))
      } (expected ws: or wss:)`,
    );
  }
  // Checked before the socket opens, so that a bad option leaves none open.
  const transportOptions = settings(options, "Cannot connect over WebSocket");
  const tlsPart = webSocketTls();
  const tls = tlsPart?.check(options, parsed);
  if (
    tlsPart === undefined &&
    (options.caCerts !== undefined || options.cert !== undefined ||
      options.key !== undefined)
  ) {
    throw new TypeError(
      'Cannot connect over WebSocket: caCerts, cert and key are taken only in Deno, through "@stomper/stomp" ("@stomper/stomp/browser" leaves TLS settings out, and other runtimes\' WebSockets take none); trust the certificate authority in the runtime instead (a browser: its certificate store), or import from "@stomper/stomp" in Deno',
    );
  }
  const deadline = connectSignal(options, "connect over WebSocket");
  const signal = deadline.signal;
  try {
    const protocols = typeof options.protocols === "string"
      ? [options.protocols]
      : [...(options.protocols ?? STOMP_SUBPROTOCOLS)];
    if (typeof globalThis.WebSocket !== "function") {
      throw new TypeError(
        `Cannot connect over WebSocket: this runtime has no global WebSocket (${WEBSOCKET_HINT}; or pass such a socket to fromWebSocket)`,
      );
    }
    const client = tls && tlsPart?.client(tls, parsed);
    let socket: WebSocket;
    try {
      socket = client === undefined
        ? new WebSocket(parsed, protocols)
        : new (WebSocket as unknown as DenoWebSocketConstructor)(parsed, {
          protocols,
          client,
        });
    } catch (error) {
      client?.close();
      // A browser's SecurityError (ws: from an https: page) names no URL.
      throw error instanceof Error && error.name === "SecurityError"
        ? new TransportConnectError(
          `Cannot connect to ${
            JSON.stringify(redactUrl(parsed))
          }: ${error.message}`,
          { url: parsed.href, cause: error },
        )
        : error;
    }
    if (socket.readyState >= CLOSING) {
      // Chromium hands out a closed socket for a URL the page's Content
      // Security Policy blocks, and says why in its console only.
      throw new TransportConnectError(
        `Cannot connect to ${
          JSON.stringify(redactUrl(parsed))
        }: the browser refused it (a Content Security Policy?); its console says why`,
        { url: parsed.href },
      );
    }
    const transport = fromWebSocket(socket, transportOptions);
    let failure: string | undefined;
    const opening = new Promise<void>((resolve, reject) => {
      let lateClose: ReturnType<typeof setTimeout> | undefined;
      const onError = (event: Event) => {
        const message = (event as Partial<ErrorEvent>).message;
        if (typeof message === "string" && message !== "") failure = message;
        // An error before open fails the connection, and a close event should
        // follow; Node 20's WebSocket (undici) sends none, so the attempt ends
        // here if it does not come soon.
        lateClose ??= setTimeout(
          () => onClose({ code: 1006, reason: "", wasClean: false }),
          LATE_CLOSE_MS,
        );
      };
      const onOpen = () => {
        clearTimeout(lateClose);
        socket.removeEventListener("error", onError);
        socket.removeEventListener("close", onClose);
        resolve();
      };
      const onClose = (
        event: Pick<CloseEvent, "code" | "reason" | "wasClean">,
      ) => {
        clearTimeout(lateClose);
        socket.removeEventListener("error", onError);
        socket.removeEventListener("open", onOpen);
        socket.removeEventListener("close", onClose);
        const options: WebSocketClosedErrorOptions = {
          wasClean: event.wasClean,
        };
        if (failure !== undefined) options.detail = failure;
        reject(new WebSocketClosedError(event.code, event.reason, options));
      };
      socket.addEventListener("error", onError);
      socket.addEventListener("open", onOpen, { once: true });
      socket.addEventListener("close", onClose, { once: true });
    });
    try {
      await raceSignal(opening, signal, () => {});
    } catch (cause) {
      transport.close();
      client?.close();
      const aborted = signal?.aborted === true;
      let detail: string;
      if (aborted) {
        detail = abortPhrase(
          signal,
          options.timeout ?? DEFAULT_CONNECT_TIMEOUT,
        );
        if (
          signal.reason instanceof DOMException &&
          signal.reason.name === "TimeoutError"
        ) {
          detail += websocketPortHint(parsed);
        }
      } else if (
        cause instanceof WebSocketClosedError && !cause.wasClean &&
        (cause.code === 1006 || cause.code === 0)
      ) {
        // Browsers hide why (refused, unreachable, upgrade rejected) but in
        // their console, and know whether they are offline; Deno tells.
        const browser = globalThis.navigator as
          | { onLine?: boolean | undefined }
          | undefined;
        detail = `the connection failed${
          failure !== undefined
            ? ` (${tlsPart?.describe(failure, parsed.hostname) ?? failure})`
            : browser?.onLine === false
            ? " (the browser is offline)"
            : ` (refused, unreachable, or the upgrade was rejected${
              inBrowser() ? "; its console says why" : ""
            })`
        }`;
        if (failure !== undefined) detail += failureHint(parsed, failure);
      } else {
        detail = cause instanceof Error ? cause.message : String(cause);
      }
      throw new TransportConnectError(
        `Cannot connect to ${JSON.stringify(redactUrl(parsed))}: ${detail}`,
        { url: parsed.href, cause: aborted ? signal.reason : cause },
      );
    }
    // The client only made the connection, which the socket now owns.
    client?.close();
    return transport;
  } finally {
    deadline.clear();
  }
}
