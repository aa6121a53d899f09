/**
 * The one interface every transport implements, and that the client uses.
 *
 * @module
 */

/**
 * A connection that moves bytes both ways, as a pair of web streams.
 *
 * Every chunk written to `writable` is one or more whole encoded frames or
 * heart-beats (as {@linkcode StompEncoderStream} produces them): one, unless
 * the transport sets `coalesce`, so a message-based transport such as a
 * WebSocket can send one frame per message. `readable` gives the bytes
 * received, in any chunking.
 *
 * @example A transport from any readable and writable pair
 * ```ts
 * import type { StompTransport } from "@stomper/stomp/transports";
 *
 * const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
 * const loopback: StompTransport = { readable, writable, close() {} };
 * ```
 */
export interface StompTransport {
  /** The bytes received from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /**
   * Takes the bytes to send: one encoded frame or heart-beat per chunk, or
   * several with `coalesce`.
   */
  readonly writable: WritableStream<Uint8Array>;
  /**
   * Whether a chunk may hold several frames: true for a byte stream (TCP,
   * TLS), where the client then gathers frames issued together into one
   * write; unset for a transport that keeps frame boundaries (WebSocket).
   */
  readonly coalesce?: boolean | undefined;
  /**
   * Whether writes resolve without waiting for the network, because the
   * transport cannot tell what it still holds: true for a WebSocket-like
   * socket without `bufferedAmount` (SockJS), whose HTTP transports keep
   * what they have not yet posted in memory. `StompClient` then bounds what
   * is in flight with receipts instead (its `unconfirmedBytes` option);
   * unset for a transport whose writes wait while it is full.
   */
  readonly unpaced?: boolean | undefined;
  /**
   * Closes the connection at once, in both directions, releasing the
   * resource even if the streams are locked or mid-write.
   */
  close(): void;
}
