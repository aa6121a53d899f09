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

/**
 * A copy of an encoded SEND frame asking a receipt with `id` (which needs
 * no escaping), its header first after the command; `undefined` when the
 * frame is not a SEND or asks one already.
 */
export function withReceipt(
  frame: Uint8Array,
  id: string,
): Uint8Array | undefined {
  // The command line, then each header line up to the empty one.
  for (let at = 0, line = 0; frame[at] !== LF; line++) {
    const end = frame.indexOf(LF, at);
    if (end === -1) return undefined;
    const text = String.fromCharCode(
      ...frame.subarray(at, Math.min(end, at + 8)),
    );
    if (line === 0 ? text !== "SEND" : text === "receipt:") return undefined;
    at = end + 1;
  }
  const header = new TextEncoder().encode(`receipt:${id}\n`);
  const out = new Uint8Array(frame.length + header.length);
  out.set(frame.subarray(0, 5));
  out.set(header, 5);
  out.set(frame.subarray(5), 5 + header.length);
  return out;
}
