// The header block parser: one pass over the bytes marks each line (its
// start, first colon and end) and notes which unusual bytes occur; the
// command and headers are then made from the marks and one string of the
// block. Headers with nothing to unescape slice that string on demand; the
// others are sliced, checked and unescaped at once. Errors come in the order
// a reader of the whole block finds them: a NUL, then invalid UTF-8, then
// the command, then each line in turn.

import { escapes, unescapeHeader } from "./_escape.ts";
import { StompSyntaxError } from "./errors.ts";
import { COMMANDS, type StompCommand, type StompVersion } from "./frame.ts";
import { StompHeaders } from "./headers.ts";

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;

/** {@linkcode HeadParser.parse}: no end within the bytes and the limits. */
export const HEAD_OPEN = -1;
/** {@linkcode HeadParser.parse}: the block is malformed; see `error`. */
export const HEAD_INVALID = -2;

/** Quotes text for an error message, cut at 64 characters. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? text.slice(0, 64) + "..." : text);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// For blocks already known to be ASCII: Deno's non-fatal UTF-8 decoder is a
// single fast call, the fatal one about four times slower.
const ascii = new TextDecoder("utf-8", { ignoreBOM: true });

// What the scan must notice about a byte; 0 for most. The kinds other than
// LF and COLON are or-ed together per block.
const PLAIN = 0;
const KIND_LF = 1;
const KIND_COLON = 2;
const KIND_ESCAPE = 4;
const KIND_NUL = 8;
const KIND_HIGH = 16;
/** Not a byte: some header line has no colon or an empty name. */
const MALFORMED = 32;
const BYTE_KIND = new Uint8Array(256);
BYTE_KIND[LF] = KIND_LF;
BYTE_KIND[0x3a] = KIND_COLON;
BYTE_KIND[0x5c] = KIND_ESCAPE;
BYTE_KIND[NUL] = KIND_NUL;
BYTE_KIND.fill(KIND_HIGH, 0x80);

// UTF-16 code units per byte of valid UTF-8: none for a continuation byte,
// two for the lead of a four-byte sequence (a surrogate pair).
const UNITS = new Uint8Array(256).fill(1);
UNITS.fill(0, 0x80, 0xc0);
UNITS.fill(2, 0xf0);

// The commands by length, to recognise a command line without a string.
const COMMANDS_BY_LENGTH: StompCommand[][] = [];
for (const command of COMMANDS) {
  (COMMANDS_BY_LENGTH[command.length] ??= []).push(command);
}

function commandAt(
  bytes: Uint8Array,
  start: number,
  end: number,
): StompCommand | undefined {
  const candidates = COMMANDS_BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  next: for (const command of candidates) {
    for (let i = 0; i < command.length; i++) {
      if (command.charCodeAt(i) !== bytes[start + i]) continue next;
    }
    return command;
  }
  return undefined;
}

/**
 * A content-length of at most 15 digits within the limit, else `undefined`
 * (left to the decoder's check, which reports what is wrong with it).
 */
function digits(value: string, max: number): number | undefined {
  const length = value.length;
  if (length === 0 || length > 15) return undefined;
  let result = 0;
  for (let i = 0; i < length; i++) {
    const digit = value.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    result = result * 10 + digit;
  }
  return result <= max ? result : undefined;
}

/** The limits a header block is parsed within. */
export interface HeadLimits {
  readonly maxLine: number;
  readonly maxHead: number;
  readonly maxHeaders: number;
  readonly maxBody: number;
}

/**
 * Parses STOMP header blocks. One instance per decoder: it keeps the marks
 * array between blocks, and the result of the latest block in its fields.
 */
export class HeadParser {
  /** The command of the latest block parsed. */
  command: StompCommand = "MESSAGE";
  /** Its headers; the decoder clears this once the frame is handed out. */
  headers: StompHeaders | undefined;
  /**
   * Its body length from content-length: -1 when there is none, `undefined`
   * when the value is not a plain number within `maxBody` (for the decoder
   * to check and report).
   */
  length: number | undefined;
  /** The error of the latest block found malformed. */
  error: StompSyntaxError | undefined;

  readonly #limits: HeadLimits;
  /** Per header line: start, first colon (-1 if none), end without EOL. */
  #marks = new Int32Array(3 * 16);
  /** The marks of a UTF-8 block in UTF-16 code units (see `#units`). */
  #unitMarks = new Int32Array(0);

  constructor(limits: HeadLimits) {
    this.#limits = limits;
  }

  /**
   * Parses the header block that starts at `bytes[start]`, which is byte
   * `offset` of the stream. Returns the index after its blank line, or
   * {@linkcode HEAD_OPEN} when the block does not end inside `bytes` within
   * the limits (the decoder then gathers it, or reports the limit), or
   * {@linkcode HEAD_INVALID} with the syntax error in `error`.
   */
  parse(
    bytes: Uint8Array,
    start: number,
    offset: number,
    version: StompVersion,
  ): number {
    const { maxLine, maxHead, maxHeaders } = this.#limits;
    // Beyond maxHeaderBytes the decoder reports the limit.
    const stop = Math.min(bytes.length, start + maxHead);
    let marks = this.#marks;
    let lines = 0;
    let kinds = 0;
    let i = start;
    for (; i < stop; i++) {
      const kind = BYTE_KIND[bytes[i]!]!;
      if (kind === KIND_LF) break;
      kinds |= kind;
    }
    if (i === stop) return HEAD_OPEN;
    const commandEnd = i > start && bytes[i - 1] === CR ? i - 1 : i;
    if (commandEnd - start > maxLine) return HEAD_OPEN;
    i++;
    // Each header line in two tight loops, the name up to its first colon,
    // then the value up to LF: a third faster than one loop over both.
    for (;;) {
      const lineStart = i;
      let colon = -1;
      for (; i < stop; i++) {
        const kind = BYTE_KIND[bytes[i]!]!;
        if (kind === PLAIN) continue;
        if (kind === KIND_COLON) {
          colon = i++;
          break;
        }
        if (kind === KIND_LF) break;
        kinds |= kind;
      }
      if (colon !== -1) {
        for (; i < stop; i++) {
          const kind = BYTE_KIND[bytes[i]!]!;
          if (kind === PLAIN || kind === KIND_COLON) continue;
          if (kind === KIND_LF) break;
          kinds |= kind;
        }
      }
      if (i === stop) return HEAD_OPEN;
      const lineEnd = i > lineStart && bytes[i - 1] === CR ? i - 1 : i;
      if (lineEnd - lineStart > maxLine) return HEAD_OPEN;
      i++;
      if (lineEnd === lineStart) {
        return this.#make(
          bytes,
          start,
          commandEnd,
          lines,
          kinds,
          i,
          offset,
          version,
        );
      }
      if (lines >= maxHeaders) return HEAD_OPEN;
      if (colon === -1 || colon === lineStart) kinds |= MALFORMED;
      if (3 * lines + 3 > marks.length) {
        const grown = new Int32Array(marks.length * 2);
        grown.set(marks);
        this.#marks = marks = grown;
      }
      marks[3 * lines] = lineStart;
      marks[3 * lines + 1] = colon;
      marks[3 * lines + 2] = lineEnd;
      lines++;
    }
  }

  /** Makes the command and headers of a block {@linkcode parse} marked. */
  #make(
    bytes: Uint8Array,
    start: number,
    commandEnd: number,
    lines: number,
    kinds: number,
    end: number,
    offset: number,
    version: StompVersion,
  ): number {
    const marks = this.#marks;
    if ((kinds & KIND_NUL) !== 0) {
      return this.#invalid(
        "Unexpected NUL in header block",
        offset + bytes.indexOf(NUL, start) - start,
      );
    }
    const high = (kinds & KIND_HIGH) !== 0;
    // One string for the block; names and values are slices of it.
    let text = "";
    let from = start;
    if (high) {
      try {
        text = utf8.decode(bytes.subarray(start, end));
      } catch {
        return this.#badUtf8(bytes, start, end, offset);
      }
    }
    const command = commandAt(bytes, start, commandEnd);
    if (command === undefined) {
      const name = utf8.decode(bytes.subarray(start, commandEnd));
      return this.#invalid(`Unknown command ${quote(name)}`, offset);
    }
    if (!high && lines > 0) {
      from = marks[0]!;
      text = ascii.decode(bytes.subarray(from, marks[3 * lines - 1]));
    }
    this.command = command;
    // Where each name starts, its colon and its value ends in the text:
    // byte offsets, or for UTF-8 counted in UTF-16 code units.
    const at = high ? this.#units(bytes, start, lines) : marks;
    const shift = high ? 0 : from;
    const escaped = (kinds & KIND_ESCAPE) !== 0 && escapes(command, version);
    if (escaped || (kinds & MALFORMED) !== 0) {
      return this.#slice(
        text,
        at,
        shift,
        lines,
        escaped,
        end,
        offset - start,
      );
    }
    // Nothing to unescape: the headers keep the text and slice a name or
    // value when it is asked for. Most consumers read a few headers of each
    // frame, and each slice is an allocation.
    const offsets: number[] = [];
    let length: number | undefined = -1;
    for (let k = 0; k < 3 * lines; k += 3) {
      const lineStart = at[k]! - shift;
      const colon = at[k + 1]! - shift;
      const lineEnd = at[k + 2]! - shift;
      offsets.push(lineStart, colon, lineEnd);
      if (
        length === -1 && colon - lineStart === 14 &&
        text.startsWith("content-length", lineStart)
      ) {
        length = digits(text.slice(colon + 1, lineEnd), this.#limits.maxBody);
      }
    }
    this.length = length;
    this.headers = StompHeaders.fromText(text, offsets);
    return end;
  }

  /**
   * Makes the headers of a block with escapes or a malformed line one by
   * one, from the text at offsets `at` (less `shift`): checks, unescapes,
   * and returns `end` or reports the first malformed line. `base` is the
   * stream offset of byte 0 of the bytes.
   */
  #slice(
    text: string,
    at: Int32Array,
    shift: number,
    lines: number,
    escaped: boolean,
    end: number,
    base: number,
  ): number {
    const marks = this.#marks;
    const list: string[] = new Array(2 * lines);
    let length: number | undefined = -1;
    for (let k = 0; k < lines; k++) {
      const lineStart = at[3 * k]! - shift;
      const colon = at[3 * k + 1]! - shift;
      const lineEnd = at[3 * k + 2]! - shift;
      if (marks[3 * k + 1] === -1 || colon === lineStart) {
        const line = quote(text.slice(lineStart, lineEnd));
        return this.#invalid(
          marks[3 * k + 1] === -1
            ? `Header line ${line} has no ':'`
            : `Header line ${line} has an empty name`,
          base + marks[3 * k]!,
        );
      }
      let name = text.slice(lineStart, colon);
      let value = text.slice(colon + 1, lineEnd);
      if (escaped) {
        const n = unescapeHeader(name);
        const v = unescapeHeader(value);
        if (typeof n === "number" || typeof v === "number") {
          const [part, index] = typeof n === "number"
            ? [name, -1 - n]
            : [value, -1 - (v as number)];
          return this.#invalid(
            `Undefined escape sequence ${
              quote(part.slice(index, index + 2))
            } in header line ${quote(text.slice(lineStart, lineEnd))}`,
            base + marks[3 * k]!,
          );
        }
        name = n;
        value = v;
      }
      list[2 * k] = name;
      list[2 * k + 1] = value;
      if (length === -1 && name === "content-length") {
        length = digits(value, this.#limits.maxBody);
      }
    }
    this.length = length;
    this.headers = StompHeaders.fromFlat(list);
    return end;
  }

  /**
   * The marks of a UTF-8 block counted in UTF-16 code units from `start`,
   * for slicing its text.
   */
  #units(bytes: Uint8Array, start: number, lines: number): Int32Array {
    const marks = this.#marks;
    let units = this.#unitMarks;
    if (units.length < 3 * lines) {
      this.#unitMarks = units = new Int32Array(marks.length);
    }
    let at = start;
    let count = 0;
    for (let k = 0; k < 3 * lines; k++) {
      const mark = marks[k]!;
      if (mark === -1) {
        units[k] = -1;
        continue;
      }
      for (; at < mark; at++) count += UNITS[bytes[at]!]!;
      units[k] = count;
    }
    return units;
  }

  #invalid(message: string, offset: number): number {
    this.error = new StompSyntaxError(message, offset);
    return HEAD_INVALID;
  }

  /** Reports the first line (EOL included) that is not valid UTF-8. */
  #badUtf8(
    bytes: Uint8Array,
    start: number,
    end: number,
    offset: number,
  ): number {
    let at = start;
    while (at < end) {
      const lf = bytes.indexOf(LF, at);
      const next = lf === -1 || lf >= end ? end : lf + 1;
      try {
        utf8.decode(bytes.subarray(at, next));
      } catch {
        break;
      }
      at = next;
    }
    return this.#invalid("Invalid UTF-8 in header line", offset + at - start);
  }
}
