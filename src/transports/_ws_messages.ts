// The WebSocket transport's messages: its options checked with their
// defaults, and a frame cut into text messages between characters.

import type {
  WebSocketMessageType,
  WebSocketTransportOptions,
} from "./websocket.ts";

const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
// Twice the decoder's default maxBodyBytes: room for a largest frame and more.
const DEFAULT_MAX_UNREAD_BYTES = 128 * 1024 * 1024;
// ignoreBOM: a U+FEFF that starts a piece of a split frame is body, not a mark.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// The longest UTF-8 sequence, and the mask and value of its continuation bytes.
const MAX_UTF8_BYTES = 4;
const CONTINUATION_MASK = 0xc0;
const CONTINUATION = 0x80;

/** The transport options, checked, with their defaults. */
export interface WebSocketSettings {
  readonly messageType: WebSocketMessageType;
  readonly highWaterMark: number;
  readonly maxMessageBytes: number;
  readonly maxUnreadBytes: number;
}

/** Checks the options; `context` starts the error messages. */
export function settings(
  options: WebSocketTransportOptions,
  context: string,
  defaultType: WebSocketMessageType = "binary",
): WebSocketSettings {
  const messageType = options.messageType ?? defaultType;
  if (messageType !== "binary" && messageType !== "text") {
    throw new TypeError(
      `${context}: messageType must be "binary" or "text", got ${
        JSON.stringify(messageType)
      }`,
    );
  }
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 0) {
    throw new RangeError(
      `${context}: highWaterMark must be a non-negative integer, got ${highWaterMark}`,
    );
  }
  const maxMessageBytes = limit(options, "maxMessageBytes", Infinity, context);
  if (messageType === "text" && maxMessageBytes < MAX_UTF8_BYTES) {
    throw new RangeError(
      `${context}: maxMessageBytes must be at least 4 for text messages (a character can take 4 bytes), got ${maxMessageBytes}`,
    );
  }
  const maxUnreadBytes = limit(
    options,
    "maxUnreadBytes",
    DEFAULT_MAX_UNREAD_BYTES,
    context,
  );
  return { messageType, highWaterMark, maxMessageBytes, maxUnreadBytes };
}

/** A byte limit: a positive integer, or Infinity for none. */
function limit(
  options: WebSocketTransportOptions,
  name: "maxMessageBytes" | "maxUnreadBytes",
  fallback: number,
  context: string,
): number {
  const value: unknown = options[name] ?? fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `${context}: ${name} must be a number, got ${typeof value} ${
        JSON.stringify(String(value))
      }`,
    );
  }
  if (value !== Infinity && (!Number.isSafeInteger(value) || value < 1)) {
    throw new RangeError(
      `${context}: ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

/**
 * Where the message that starts at `start` ends: `max` bytes on, or sooner
 * so as not to cut a UTF-8 sequence. Valid UTF-8 has at most 3 continuation
 * bytes after a lead byte; with more, the text is invalid and cut anywhere
 * (decoding it fails).
 */
export function textPieceEnd(
  bytes: Uint8Array,
  start: number,
  max: number,
): number {
  const end = start + max;
  if (end >= bytes.length) return bytes.length;
  let cut = end;
  while (
    cut > end - (MAX_UTF8_BYTES - 1) &&
    (bytes[cut]! & CONTINUATION_MASK) === CONTINUATION
  ) {
    cut--;
  }
  return (bytes[cut]! & CONTINUATION_MASK) === CONTINUATION ? end : cut;
}

/** Decodes a text message, or says why the frame cannot be sent as one. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new TypeError(
      'Cannot send frame as a text message: it is not valid UTF-8 (use messageType "binary")',
      { cause },
    );
  }
}
