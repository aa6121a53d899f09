// The encoder's fast path: frames whose command and headers are plain ASCII,
// with nothing to escape or refuse under any version. Such a frame's bytes
// are the same for STOMP 1.0, 1.1 and 1.2, so they can be written before the
// version is known and stay valid on any connection. Given a version, the
// writers also escape ASCII headers for it (the bytes are then that
// version's only: for frames bound to one connection, such as ACK). `encodeFrame` uses the
// header writer; the client also writes whole frames straight into its
// outgoing batches with `encodePlainInto`, without a buffer per frame.

import { escapeHeader, escapes } from "./_escape.ts";
import type { StompVersion } from "./frame.ts";

const NUL = 0x00;
const LF = 0x0a;
const COLON = 0x3a;

// Characters the fast path leaves to the general encoder: those it escapes or
// refuses under some version (backslash, LF, CR, colon, NUL), and non-ASCII.
const SPECIAL = new Uint8Array(128);
for (const code of [0x5c, LF, 0x0d, COLON, NUL]) SPECIAL[code] = 1;

const utf8 = new TextEncoder();

/**
 * Writes `text` at `at` if every character is plain ASCII; returns the new
 * position, or -1.
 */
function writePlain(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 || SPECIAL[code] === 1) return -1;
    out[at++] = code;
  }
  return at;
}

/**
 * Writes a header name or value at `at`: plain as it is, else (given a
 * version) escaped for that version. Returns the new position, or -1 for
 * what is left to the general encoder (non-ASCII, or what the version
 * cannot carry, which the general encoder then refuses with its message).
 */
function writeHeaderText(
  out: Uint8Array,
  at: number,
  text: string,
  isName: boolean,
  command: string,
  version: StompVersion | undefined,
): number {
  const plain = writePlain(out, at, text);
  if (plain !== -1 || version === undefined) return plain;
  let wire: string;
  try {
    wire = escapeHeader(
      text,
      isName,
      escapes(command, version),
      version,
      command,
    );
  } catch {
    return -1;
  }
  for (let i = 0; i < wire.length; i++) {
    const code = wire.charCodeAt(i);
    if (code >= 0x80) return -1;
    out[at++] = code;
  }
  return at;
}

/** Writes ASCII `text` (known to be plain) at `at`; returns the new position. */
function writeAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/**
 * The most bytes the header block of `command` with the flat header list
 * `list` takes in the fast path: command and LF, each header's colon and LF,
 * a content-length line (at most 16 digits) and the blank line.
 */
export function plainHeadBound(
  command: string,
  list: readonly string[],
  version?: StompVersion,
): number {
  // Escaping at most doubles a header's length.
  const scale = version === undefined ? 1 : 2;
  let size = command.length + 1 + 32 + 1;
  for (let i = 0; i < list.length; i++) size += scale * list[i]!.length + 1;
  return size;
}

/**
 * Writes the command and headers at `at`, leaving out any `content-length`
 * (the encoder writes the true one). Returns the position after the last
 * header line, or -1 if anything is not plain ASCII or a name is empty.
 * `out` must have {@linkcode plainHeadBound} bytes of room at `at`.
 */
export function writePlainHeaders(
  out: Uint8Array,
  at: number,
  command: string,
  list: readonly string[],
  version?: StompVersion,
): number {
  at = writePlain(out, at, command);
  if (at === -1) return -1;
  out[at++] = LF;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (name === "content-length") continue;
    if (name.length === 0) return -1;
    at = writeHeaderText(out, at, name, true, command, version);
    if (at === -1) return -1;
    out[at++] = COLON;
    at = writeHeaderText(out, at, list[i + 1]!, false, command, version);
    if (at === -1) return -1;
    out[at++] = LF;
  }
  return at;
}

/**
 * Ends a header block: the content-length line (for a body, unless
 * `withLength` is false) and the blank line.
 */
export function writeHeadEnd(
  out: Uint8Array,
  at: number,
  bodyLength: number,
  withLength = true,
): number {
  if (bodyLength > 0 && withLength) {
    at = writeAscii(out, at, "content-length:");
    at = writeAscii(out, at, String(bodyLength));
    out[at++] = LF;
  }
  out[at++] = LF;
  return at;
}

/**
 * The most bytes {@linkcode encodePlainInto} writes for a frame: its header
 * block, its body (text counted at 3 bytes per UTF-16 unit, the most UTF-8
 * takes) and the NUL.
 */
export function plainFrameBound(
  command: string,
  list: readonly string[],
  body: string | Uint8Array,
  version?: StompVersion,
): number {
  const bodyBound = typeof body === "string" ? body.length * 3 : body.length;
  return plainHeadBound(command, list, version) + bodyBound + 1;
}

/**
 * Encodes a whole frame at `at` in `out`, text bodies straight from the
 * string (no intermediate buffer), and returns the position after its NUL;
 * -1 (with `out` partly written) if a header is not plain, for the general
 * encoder to handle. `out` must have {@linkcode plainFrameBound} bytes of
 * room at `at`. With `withLength` false no content-length is written (the
 * caller has checked that the body holds no NUL).
 */
export function encodePlainInto(
  out: Uint8Array,
  at: number,
  command: string,
  list: readonly string[],
  body: string | Uint8Array,
  version?: StompVersion,
  withLength = true,
): number {
  const headers = writePlainHeaders(out, at, command, list, version);
  if (headers === -1) return -1;
  if (typeof body !== "string") {
    at = writeHeadEnd(out, headers, body.length, withLength);
    out.set(body, at);
    at += body.length;
    out[at] = NUL;
    return at + 1;
  }
  // Written on the guess that the text is ASCII (one byte per unit, so the
  // content-length is known); if it is not, the body moves once to make room
  // for the longer number.
  let start = writeHeadEnd(out, headers, body.length, withLength);
  const { written } = utf8.encodeInto(body, out.subarray(start));
  if (written !== body.length && withLength) {
    // "content-length:", the digits, LF, and the blank line's LF.
    const end = headers + 17 + String(written).length;
    if (end !== start) out.copyWithin(end, start, start + written);
    writeHeadEnd(out, headers, written);
    start = end;
  }
  out[start + written] = NUL;
  return start + written + 1;
}

/** The bytes `text` takes in UTF-8 (a lone surrogate as U+FFFD). */
export function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) length += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      // A surrogate pair is 2 UTF-16 units and 4 bytes; a lone one becomes U+FFFD.
      if (low >= 0xdc00 && low <= 0xdfff) {
        length += 2;
        i++;
      } else length += 2;
    } else length += 2;
  }
  return length;
}
