// Encoding: the client's only caller of the encoder and of the plain fast
// path. Bytes on the wire change here and nowhere else: a plain frame (no
// header needing escapes) is written straight into a buffer the outbox
// gives, any other frame goes through the general encoder for the
// connection's version.

import { encodeFrame } from "../encoder.ts";
import { StompFrame, type StompVersion } from "../frame.ts";

// The plain path is re-exported as it is, not wrapped: it is the hot path,
// and a wrapper around it costs a measurable share of a send.
export {
  /**
   * Writes a plain frame at `at` in `out` (room for {@linkcode plainBound}
   * bytes): the position after it, or -1 when it is not plain (it needs the
   * general encoder). Without `contentLength` a text body goes without its
   * header (a NUL in it was refused at the call).
   */
  encodePlainInto as encodePlain,
  /**
   * The most bytes {@linkcode encodePlain} can write for a frame (escaped
   * for `version`, or as they are without one).
   */
  plainFrameBound as plainBound,
} from "../_plain.ts";

/**
 * Encodes any frame for `version` into a buffer of its own, its body
 * replaced by `text` when given; a `TypeError` when the version cannot
 * carry it.
 */
export function encodeWhole(
  frame: StompFrame,
  version: StompVersion,
  text?: string,
  contentLength = true,
): Uint8Array {
  return encodeFrame(
    text === undefined
      ? frame
      : new StompFrame(frame.command, frame.headers, text),
    { version, contentLength },
  );
}

const LF = 0x0a;
const CR = 0x0d;
const SEND_LINE = new TextEncoder().encode("SEND\n");
const RECEIPT_NAME = new TextEncoder().encode("receipt:");

/** Whether `bytes` holds `part` at `at`. */
function holds(bytes: Uint8Array, at: number, part: Uint8Array): boolean {
  if (at + part.length > bytes.length) return false;
  for (let i = 0; i < part.length; i++) {
    if (bytes[at + i] !== part[i]) return false;
  }
  return true;
}

/**
 * A copy of an encoded SEND frame asking a receipt with `id` (which needs
 * no escaping), its header first after the command; `undefined` when the
 * frame is not a SEND or asks one already.
 */
export function withReceipt(
  frame: Uint8Array,
  id: string,
): Uint8Array | undefined {
  if (!holds(frame, 0, SEND_LINE)) return undefined;
  let at = SEND_LINE.length;
  // The header lines, up to the empty line before the body.
  while (at < frame.length && frame[at] !== LF && frame[at] !== CR) {
    if (holds(frame, at, RECEIPT_NAME)) return undefined;
    const end = frame.indexOf(LF, at);
    if (end === -1) return undefined;
    at = end + 1;
  }
  const header = new TextEncoder().encode(`receipt:${id}\n`);
  const out = new Uint8Array(frame.length + header.length);
  out.set(frame.subarray(0, SEND_LINE.length));
  out.set(header, SEND_LINE.length);
  out.set(frame.subarray(SEND_LINE.length), SEND_LINE.length + header.length);
  return out;
}
