// The public types of the WebSocket transport (src/transports/websocket.ts
// re-exports them): the sockets it takes, its options, what it returns.

import type { StompTransport } from "./transport.ts";

/**
 * The STOMP subprotocols offered by default, the newest first.
 *
 * @example Reading the subprotocols
 * ```ts
 * import { STOMP_SUBPROTOCOLS } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(STOMP_SUBPROTOCOLS[0], "v12.stomp");
 * ```
 */
export const STOMP_SUBPROTOCOLS: readonly string[] = Object.freeze([
  "v12.stomp",
  "v11.stomp",
  "v10.stomp",
]);

/** How frames are sent: as binary or as text WebSocket messages. */
export type WebSocketMessageType = "binary" | "text";

/**
 * What {@linkcode fromWebSocket} needs of a socket: the standard
 * `WebSocket`'s, which WebSocket-like objects have too, such as a SockJS
 * socket (`sockjs-client`, the fallback transport of Spring applications) or
 * one from the `ws` package.
 *
 * Two members are optional, and their absence changes how the transport
 * works:
 * - Without `binaryType`, the socket is taken to carry text only (SockJS
 *   turns anything else into a string): frames go as text messages unless
 *   `messageType` says otherwise, and `"binary"` is refused.
 * - Without `bufferedAmount`, the socket cannot say how much it still holds,
 *   so writes never wait for it: the transport is marked
 *   {@linkcode StompTransport.unpaced}, and `StompClient` bounds what is in
 *   flight with receipts instead (its `unconfirmedBytes` option).
 *
 * Events are read with `addEventListener`: `message` (its `data` a string
 * or an `ArrayBuffer`), `close` (its `code`, `reason` and `wasClean`),
 * `open` and `error`.
 *
 * @example A SockJS socket is a WebSocketLike
 * ```ts
 * import { fromWebSocket, type WebSocketLike } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * // The shape of `new SockJS(url)` from sockjs-client: no binaryType, no
 * // bufferedAmount. This one stays connecting.
 * const sockJsLike: WebSocketLike = {
 *   readyState: 0,
 *   send() {},
 *   close() {},
 *   addEventListener() {},
 *   removeEventListener() {},
 * };
 * const transport = fromWebSocket(sockJsLike);
 * assertEquals(transport.messageType, "text");
 * // Its writes cannot wait for the network: StompClient asks for receipts.
 * assertEquals(transport.unpaced, true);
 * ```
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /**
   * Set to `"arraybuffer"` by the transport; absent on a socket that sends
   * text only.
   */
  binaryType?: string | undefined;
  /** Bytes queued but not yet sent; absent on a socket that cannot tell. */
  readonly bufferedAmount?: number | undefined;
  /** Sends one message: a string as text, bytes as binary. */
  send(data: string | Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listens to `open`, `message`, `error` and `close`. */
  addEventListener(type: string, listener: (event: Event) => void): void;
  /** Stops listening. */
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

/** Options of {@linkcode fromWebSocket}. */
export interface WebSocketTransportOptions {
  /**
   * Send each frame as a binary message, or as a text message (for servers
   * that want text, and for sockets that carry text only, such as SockJS).
   * A frame that is not valid UTF-8 cannot be sent as text: it is not sent
   * and its write rejects with a `TypeError`, which (as any failed write)
   * errors `writable`. `StompClient` checks the body of each SEND before it
   * gets there, so over a text transport it rejects only that send, and the
   * connection stays.
   *
   * @default {"binary", or "text" for a socket without binaryType}
   */
  messageType?: WebSocketMessageType | undefined;
  /**
   * Bytes queued in the socket (`bufferedAmount`) above which a write waits
   * until the queue drains back to this mark. A socket without
   * `bufferedAmount` (SockJS) cannot say what it holds, so there writes
   * never wait and the transport is marked `unpaced`: only the server can
   * confirm what it has taken, and `StompClient` asks it with receipts (its
   * `unconfirmedBytes` option; see docs/sockjs.md).
   *
   * @default {1048576}
   */
  highWaterMark?: number | undefined;
  /**
   * The largest WebSocket message to send, in bytes: a longer frame (or
   * heart-beat) goes out as several consecutive messages of at most this
   * size, which a server that parses STOMP as a byte stream joins again
   * (Spring, RabbitMQ Web-STOMP). For servers that refuse large messages:
   * Spring on Tomcat closes the connection on one over 8 KiB by default.
   * Text messages are cut between characters only, so one may be up to 3
   * bytes shorter, and need a limit of at least 4 (the longest UTF-8
   * character).
   *
   * @default {Infinity}
   */
  maxMessageBytes?: number | undefined;
  /**
   * The most bytes received and not yet read from `readable`. A WebSocket
   * cannot make its peer wait: what the reader does not take queues up
   * here. `StompClient` stops reading while a subscription's buffer is
   * full, and a broker that does not wait for acknowledgements (a topic, or
   * the `auto` ack mode) goes on sending, so an unread subscription would
   * hold all of it. Past this many bytes `readable` errors with a
   * `RangeError` that says so, and the socket closes (code 1000): bound
   * what the broker sends ahead with a prefetch instead (see
   * docs/browser.md). One message larger than this is still let through
   * when nothing else waits. `Infinity` holds everything.
   *
   * @default {134217728}
   */
  maxUnreadBytes?: number | undefined;
}

/** Options of {@linkcode connectWebSocket}. */
export interface WebSocketConnectOptions extends WebSocketTransportOptions {
  /**
   * For `wss:` URLs: extra root certificates, in PEM format, trusted in
   * addition to the default ones (the server's certificate authority). Deno
   * only: no standard WebSocket takes TLS settings, so elsewhere (browsers,
   * Node, a WebSocket from a library) `connectWebSocket` refuses them with
   * a `TypeError` rather than connect without them; trust the authority in
   * the runtime instead (`NODE_EXTRA_CA_CERTS` for Node, the system's or
   * browser's certificate store), or connect with a `tls:` URL. Unused for
   * `ws:` URLs (refused there, as a sign that `wss:` was meant). Loaded
   * from `"@stomper/stomp/browser"`, which leaves TLS settings out to stay
   * small, it refuses them in every runtime.
   */
  caCerts?: string[] | undefined;
  /**
   * For `wss:` URLs: a client certificate chain in PEM format, for mutual
   * TLS (with `key`). Deno only, like `caCerts`.
   */
  cert?: string | undefined;
  /** The client certificate's private key in PEM format (with `cert`). */
  key?: string | undefined;
  /**
   * The subprotocols to offer; the server picks one (see the socket's
   * `protocol`).
   *
   * @default {["v12.stomp", "v11.stomp", "v10.stomp"]}
   */
  protocols?: string | readonly string[] | undefined;
  /** Aborts the connection attempt. */
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds to wait for the socket to open before giving up; 0 waits for
   * ever.
   *
   * @default {10000}
   */
  timeout?: number | undefined;
}

/** How a WebSocket closed: the fields of its close event. */
export interface WebSocketCloseInfo {
  /** The close code (1005 when the peer sent none, 1006 when it dropped). */
  readonly code: number;
  /** The peer's reason; empty when none. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
}

/**
 * A {@linkcode StompTransport} over a WebSocket, or over a
 * {@linkcode WebSocketLike} socket `S`.
 */
export interface WebSocketTransport<S extends WebSocketLike = WebSocket>
  extends StompTransport {
  /** The underlying socket; its `protocol` is the subprotocol agreed. */
  readonly socket: S;
  /**
   * How frames are sent: the `messageType` option, else `"binary"`, or
   * `"text"` for a socket without `binaryType`.
   */
  readonly messageType: WebSocketMessageType;
  /**
   * Settles when the socket has closed, with how: a normal end of `readable`
   * can still carry a reason worth showing (RabbitMQ closes with code 1000
   * and "STOMP died" when its side of the session fails).
   */
  readonly closed: Promise<WebSocketCloseInfo>;
}
