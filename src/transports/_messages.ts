// A faster way for the client to write through a transport that keeps one
// frame per message (WebSocket): several messages in one call, without a
// WritableStream write (and its promises) per frame. Private to the package:
// a transport registers its sender here, and the client's writer looks it up.

import type { StompTransport } from "./transport.ts";

/**
 * Sends each chunk as one message (or, over a size limit, as consecutive
 * messages of its pieces), in order, and resolves once the transport can take
 * more (its buffer below its mark). Returns `false`, having sent
 * nothing, when it cannot send now (not open yet), so that the caller writes
 * through `writable` instead.
 */
export type MessageSender = (
  chunks: readonly Uint8Array[],
) => false | Promise<void>;

const senders = new WeakMap<StompTransport, MessageSender>();

/** Registers `transport`'s sender. */
export function registerMessageSender(
  transport: StompTransport,
  sender: MessageSender,
): void {
  senders.set(transport, sender);
}

/** The sender `transport` registered, if any. */
export function messageSender(
  transport: StompTransport,
): MessageSender | undefined {
  return senders.get(transport);
}
