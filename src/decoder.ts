/**
 * Decoding bytes to STOMP frames: the synchronous {@linkcode StompDecoder}
 * (and `decodeFrame` for one frame); `decoder_stream.ts` has the stream that
 * wraps it.
 *
 * @module
 */

import { concat } from "@std/bytes";
import { notBytes } from "./_body.ts";
import { BodyCollector, copyInto } from "./_collector.ts";
import { checkVersion } from "./_escape.ts";
import { HEAD_INVALID, HeadParser, quote } from "./_head.ts";
import { checkOptions } from "./_keys.ts";
import { type DecodeOptions, decodeOptions } from "./_decode_options.ts";
import { StompSyntaxError } from "./errors.ts";
import { StompFrame, type StompVersion } from "./frame.ts";

export {
  type DecodeLimitOptions,
  type DecodeLimits,
  type DecodeOptions,
  DEFAULT_DECODE_LIMITS,
} from "./_decode_options.ts";

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
/** The header scratch's first size (it grows, within maxHeaderBytes). */
const SCRATCH_BYTES = 4096;

// Decoder states, as plain numbers for the hot loop.
const State = {
  FrameStart: 0,
  FrameStartCr: 1,
  Header: 2,
  BodyLength: 3,
  BodyNul: 4,
  Skip: 5,
  Failed: 6,
} as const;
type State = typeof State[keyof typeof State];

/**
 * The synchronous STOMP decoder: push bytes, get frames.
 *
 * Output is the same however the input is split, down to one byte at a time,
 * and each byte is examined a bounded number of times. A body that lies inside
 * one pushed chunk is handed out as a view of that chunk (so do not reuse
 * pushed buffers); a body spread over chunks is joined into one array when
 * it completes. Memory stays in proportion to the bytes received, however
 * small the chunks: pieces of a KiB or more are kept by reference until
 * then, smaller ones are copied as they arrive into blocks that grow with
 * the body (at most about twice the bytes received), and a declared
 * content-length is allocated in full only up to 64 KiB (such a body is
 * copied once, into an array of its length); a larger one grows with what
 * arrives, and gets its array once half of it has come. With the
 * `bodyChunks` option the frame keeps those views and blocks and joins them
 * when its `body` is first read. A header block that
 * spans chunks is copied as it arrives.
 *
 * Malformed input throws a {@linkcode StompSyntaxError} (or, with `resync`,
 * is reported and skipped); crossing a limit throws a `RangeError` before the
 * offending bytes are buffered. After a thrown error the decoder stays failed.
 *
 * @example Decoding frames split across chunks
 * ```ts
 * import { StompDecoder } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = new TextEncoder().encode("MESSAGE\ndestination:/q\n\nhi\0\n");
 * const decoder = new StompDecoder();
 * assertEquals(decoder.push(bytes.subarray(0, 10)), []);
 * const [frame] = decoder.push(bytes.subarray(10));
 * assertEquals(frame?.command, "MESSAGE");
 * assertEquals(frame?.text, "hi");
 * decoder.end();
 * ```
 *
 * @example Keeping a body that spans chunks as the chunks it came in
 * ```ts
 * import { StompDecoder } from "@stomper/stomp";
 * import { assertEquals, assertStrictEquals } from "@std/assert";
 *
 * const decoder = new StompDecoder({ bodyChunks: true });
 * const head = new TextEncoder().encode("MESSAGE\ncontent-length:4096\n\n");
 * const first = new Uint8Array(2048).fill(0x61);
 * const second = new Uint8Array(2049).fill(0x62); // its last byte the NUL
 * second[2048] = 0;
 * assertEquals(decoder.push(head), []);
 * assertEquals(decoder.push(first), []);
 * const [frame] = decoder.push(second);
 * assertEquals(frame?.bodyLength, 4096);
 * assertEquals(frame?.bodyChunks.length, 2);
 * assertStrictEquals(frame?.bodyChunks[0]?.buffer, first.buffer);
 * assertStrictEquals(frame?.bodyChunks[1]?.buffer, second.buffer);
 * assertEquals(frame?.body.length, 4096); // joined here, once
 * ```
 */
export class StompDecoder {
  #version: StompVersion;
  readonly #maxLine: number;
  readonly #maxHead: number;
  readonly #maxHeaders: number;
  readonly #maxBody: number;
  /** Parses each header block; holds the command and headers of the frame. */
  readonly #head: HeadParser;
  readonly #onHeartbeat: (() => void) | undefined;
  readonly #onError: ((error: StompSyntaxError) => void) | undefined;
  /** The `bodyChunks` option: spanning bodies are kept as their pieces. */
  readonly #keepPieces: boolean;

  #state: State = State.FrameStart;
  #failure: Error | undefined;
  /**
   * Stream offset of byte 0 of the chunk to decode next; while a callback
   * runs, of the byte after its frame or heart-beat (see `offset`).
   */
  #base = 0;

  // Header block in progress.
  #headStart = 0;
  /** Bytes of a header block that spans chunks, copied into `#scratch`. */
  #headLength = 0;
  #lineLength = 0;
  #lines = 0;
  #lastByte = 0;

  // Body in progress.
  /** The body that spans chunks, however small they are. */
  readonly #body: BodyCollector;
  /** Body bytes still to come, with a content-length. */
  #bodyRemaining = 0;

  /**
   * Where a header block that spans chunks is copied as it arrives: it only
   * lives until it is parsed, and a fresh typed array costs Deno 250-800 ns.
   * Grows (within maxHeaderBytes) for a larger block.
   */
  #scratch = new Uint8Array(SCRATCH_BYTES);

  /**
   * Constructs a new instance.
   *
   * @param options Version, limits, heart-beat, resync and body options.
   */
  constructor(options: DecodeOptions = {}) {
    const o = decodeOptions(options);
    this.#version = checkVersion(o.version ?? "1.2", "Cannot create decoder");
    this.#maxLine = o.maxHeaderLineBytes;
    this.#maxHead = o.maxHeaderBytes;
    this.#maxHeaders = o.maxHeaders;
    this.#maxBody = o.maxBodyBytes;
    this.#head = new HeadParser({
      maxLine: this.#maxLine,
      maxHead: this.#maxHead,
      maxHeaders: this.#maxHeaders,
      maxBody: this.#maxBody,
    });
    this.#onHeartbeat = o.onHeartbeat;
    this.#onError = o.resync ? o.onError : undefined;
    this.#keepPieces = o.bodyChunks === true;
    this.#body = new BodyCollector(this.#keepPieces);
  }

  /** The version whose escaping rules apply to the frames that follow. */
  get version(): StompVersion {
    return this.#version;
  }
  set version(version: StompVersion) {
    this.#version = checkVersion(version, "Cannot set decoder version");
  }

  /**
   * Bytes decoded so far: after a call to `push` or `decode`, all it was
   * given; while `onFrame` or `onHeartbeat` runs, those up to the end of
   * that frame (its NUL) or heart-beat (its EOL), so that the difference
   * between two of them is the exact size on the wire of what came between.
   *
   * @example Measuring each frame and heart-beat
   * ```ts
   * import { StompDecoder } from "@stomper/stomp";
   * import { assertEquals } from "@std/assert";
   *
   * const sizes: number[] = [];
   * let mark = 0;
   * const measure = () => {
   *   sizes.push(decoder.offset - mark);
   *   mark = decoder.offset;
   * };
   * const decoder = new StompDecoder({ onHeartbeat: measure });
   * decoder.decode(
   *   new TextEncoder().encode("RECEIPT\nreceipt-id:7\n\n\0\r\nERROR\n\n\0"),
   *   measure,
   * );
   * assertEquals(sizes, [23, 2, 8]);
   * assertEquals(decoder.offset, 33);
   * ```
   */
  get offset(): number {
    return this.#base;
  }

  /**
   * Bytes the decoder holds for the unfinished frame: the header bytes
   * received so far, or the body bytes received so far (pieces of at least
   * a KiB by reference, smaller ones copied), or when larger, the arrays
   * allocated to copy them into: at most about twice the bytes received,
   * plus a block of 64 KiB at most (a declared content-length is not
   * allocated in full before half of it has come, unless it is at most 64
   * KiB).
   * Never more than the limits allow.
   *
   * @example A declared length is not allocated before its bytes come
   * ```ts
   * import { StompDecoder } from "@stomper/stomp";
   * import { assert, assertEquals } from "@std/assert";
   *
   * const decoder = new StompDecoder();
   * const head = "MESSAGE\ncontent-length:50000000\n\n";
   * decoder.push(new TextEncoder().encode(head + "abc"));
   * assertEquals(decoder.buffered, 3);
   * decoder.push(new Uint8Array(10_000).fill(0x61));
   * assert(decoder.buffered < 100_000, `${decoder.buffered} bytes held`);
   * ```
   */
  get buffered(): number {
    const state = this.#state;
    if (state === State.Header) return this.#headLength;
    if (state === State.BodyLength || state === State.BodyNul) {
      return Math.max(this.#body.length, this.#body.allocated);
    }
    return 0;
  }

  /** Stream offset where the latest frame began (the one in progress, if any). */
  get frameOffset(): number {
    return this.#headStart;
  }

  /**
   * Decodes a chunk and returns the frames it completes.
   *
   * When the chunk holds frames and then an error, the error is thrown and
   * those frames are not returned; {@linkcode StompDecoder.decode} delivers
   * them before throwing.
   *
   * @param chunk The next bytes of the stream.
   * @returns The frames completed by this chunk, in order.
   * @throws {TypeError} When `chunk` is not a `Uint8Array` (a string, an
   * `ArrayBuffer`): nothing of it is decoded, and the decoder goes on with
   * the next chunk.
   */
  push(chunk: Uint8Array): StompFrame[] {
    const frames: StompFrame[] = [];
    this.decode(chunk, (frame) => frames.push(frame));
    return frames;
  }

  /**
   * Decodes a chunk, calling `onFrame` for each frame it completes, in order,
   * before any error found later in the chunk is thrown.
   *
   * @param chunk The next bytes of the stream.
   * @param onFrame Receives each frame. What it (or `onHeartbeat`, or
   * `onError`) throws ends the call and leaves the decoder failed: later
   * calls throw the same error.
   * @throws {TypeError} When `chunk` is not a `Uint8Array`, as `push`.
   */
  decode(chunk: Uint8Array, onFrame: (frame: StompFrame) => void): void {
    if (!(chunk instanceof Uint8Array)) chunk = foreignChunk(chunk);
    if (this.#state === State.Failed) throw this.#failure;
    let base = this.#base;
    let n = chunk.length;
    let pos = 0;
    try {
      while (pos < n) {
        switch (this.#state) {
          case State.FrameStart: {
            const byte = chunk[pos]!;
            if (byte === LF) {
              pos++;
              if (this.#onHeartbeat !== undefined) {
                this.#base = base + pos;
                this.#onHeartbeat();
              }
              continue;
            }
            if (byte === CR) {
              if (pos + 1 === n) {
                pos++;
                this.#state = State.FrameStartCr;
                continue;
              }
              if (chunk[pos + 1] === LF) {
                pos += 2;
                if (this.#onHeartbeat !== undefined) {
                  this.#base = base + pos;
                  this.#onHeartbeat();
                }
                continue;
              }
            }
            this.#startHead(base + pos);
            continue;
          }
          case State.FrameStartCr: {
            if (chunk[pos] === LF) {
              pos++;
              this.#state = State.FrameStart;
              if (this.#onHeartbeat !== undefined) {
                this.#base = base + pos;
                this.#onHeartbeat();
              }
              continue;
            }
            // The CR was data: the first byte of a (malformed) command line.
            this.#startHead(base + pos - 1);
            this.#scratch[0] = CR;
            this.#headLength = this.#lineLength = 1;
            this.#lastByte = CR;
            continue;
          }
          case State.Header: {
            if (this.#headLength === 0) {
              // The common case: the whole block lies in this chunk. Else
              // (it does not end here, crosses a limit or is malformed) the
              // block is delimited below and parsed, or reported, then.
              const end = this.#head.parse(
                chunk,
                pos,
                this.#headStart,
                this.#version,
              );
              if (end >= 0) {
                pos = this.#afterHead(chunk, end, base, onFrame);
                continue;
              }
            }
            const segment = pos;
            let end = -1;
            let nul = -1;
            while (true) {
              const lf = chunk.indexOf(LF, pos);
              const stop = lf === -1 ? n : lf;
              const length = this.#lineLength + stop - pos;
              // A CR last may be the start of a CRLF, which maxLine leaves
              // out; if it is not, the next byte crosses the limit.
              const content = length -
                ((stop > pos ? chunk[stop - 1] : this.#lastByte) === CR
                  ? 1
                  : 0);
              const seen = this.#headLength + (lf === -1 ? n : lf + 1) -
                segment;
              if (
                content > this.#maxLine || seen > this.#maxHead ||
                (lf !== -1 && this.#lines > this.#maxHeaders && length > 0 &&
                  !(length === 1 &&
                    (lf > pos ? chunk[lf - 1] : this.#lastByte) === CR))
              ) {
                nul = this.#overLimit(chunk, segment, base, pos, lf, content);
                break;
              }
              if (lf === -1) {
                // The NUL check of a partial block happens here, at the end of
                // each chunk, so a peer that sends a frame with no blank line
                // gets an error now instead of a wait for more input.
                nul = chunk.indexOf(NUL, segment);
                this.#lineLength = length;
                this.#lastByte = chunk[n - 1]!;
                pos = n;
                break;
              }
              const before = lf > pos ? chunk[lf - 1] : this.#lastByte;
              this.#lineLength = 0;
              this.#lastByte = LF;
              pos = lf + 1;
              if (length === 0 || (length === 1 && before === CR)) {
                end = pos;
                break;
              }
              this.#lines++;
            }
            if (nul !== -1) {
              this.#headLength = 0;
              this.#report(
                new StompSyntaxError(
                  "Unexpected NUL in header block",
                  base + nul,
                ),
              );
              pos = nul + 1;
              this.#state = State.FrameStart;
              continue;
            }
            if (end === -1) {
              this.#keepHead(chunk, segment, n);
              continue;
            }
            let block: Uint8Array;
            if (this.#headLength === 0) {
              block = chunk.subarray(segment, end);
            } else {
              this.#keepHead(chunk, segment, end);
              block = this.#scratch.subarray(0, this.#headLength);
            }
            this.#headLength = 0;
            // Delimited and within the limits, the block parses to its end
            // or to a syntax error (never to HEAD_OPEN).
            if (
              this.#head.parse(block, 0, this.#headStart, this.#version) ===
                HEAD_INVALID
            ) {
              const error = this.#head.error!;
              // Resync: skip to the first NUL at or after the error. If the
              // header block holds one, decode again from just after it.
              this.#report(error);
              const nul = block.indexOf(NUL, error.offset - this.#headStart);
              if (nul === -1) {
                this.#state = State.Skip;
              } else {
                const replay = block.subarray(nul + 1);
                chunk = concat([replay, chunk.subarray(pos)]);
                base += pos - replay.length;
                n = chunk.length;
                pos = 0;
                this.#state = State.FrameStart;
              }
              continue;
            }
            pos = this.#afterHead(chunk, pos, base, onFrame);
            continue;
          }
          case State.BodyLength: {
            const remaining = this.#bodyRemaining;
            const available = n - pos;
            if (available <= remaining) {
              // Collected in memory in proportion to what has arrived, not
              // to the declared length (see _collector.ts).
              this.#body.add(chunk, pos, n);
              this.#bodyRemaining = remaining - available;
              pos = n;
              continue;
            }
            const last = pos + remaining;
            if (chunk[last] !== NUL) {
              this.#body.clear();
              pos = this.#missingNul(base + last) - base;
              continue;
            }
            this.#emitBody(chunk, pos, last, base + last, onFrame);
            pos = last + 1;
            continue;
          }
          case State.BodyNul: {
            const nul = chunk.indexOf(NUL, pos);
            const end = nul === -1 ? n : nul;
            const received = this.#body.length;
            if (received + end - pos > this.#maxBody) {
              this.#fail(
                new RangeError(
                  `Frame body exceeds the limit of ${this.#maxBody} bytes at byte ${
                    base + pos + this.#maxBody - received
                  }`,
                ),
              );
            }
            if (nul === -1) {
              this.#body.add(chunk, pos, n);
              pos = n;
              continue;
            }
            this.#emitBody(chunk, pos, nul, base + nul, onFrame);
            pos = nul + 1;
            continue;
          }
          case State.Skip: {
            const nul = chunk.indexOf(NUL, pos);
            if (nul === -1) {
              pos = n;
            } else {
              pos = nul + 1;
              this.#state = State.FrameStart;
            }
            continue;
          }
          default:
            throw this.#failure;
        }
      }
    } catch (error) {
      // A callback threw: the rest of the chunk is not decoded, so the next
      // chunk cannot be either (it would start inside whatever that held).
      if ((this.#state as State) !== State.Failed) this.#fail(error as Error);
      throw error;
    } finally {
      this.#base = base + n;
    }
  }

  /**
   * Declares the end of input. Throws a {@linkcode StompSyntaxError} when the
   * input ended inside a frame (with `resync`, reports it instead).
   */
  end(): void {
    if (this.#state === State.Failed) throw this.#failure;
    if (this.#state === State.FrameStart || this.#state === State.Skip) {
      return;
    }
    const error = new StompSyntaxError(
      "Input ended inside a frame that started",
      this.#state === State.FrameStartCr ? this.#base - 1 : this.#headStart,
    );
    this.#state = State.FrameStart;
    this.#headLength = 0;
    this.#body.clear();
    this.#report(error);
  }

  #startHead(offset: number): void {
    this.#state = State.Header;
    this.#headStart = offset;
    this.#headLength = 0;
    this.#lineLength = 0;
    this.#lines = 0;
    this.#lastByte = 0;
  }

  /**
   * A limit was crossed in this chunk. Returns the index of a NUL that comes
   * before the crossing (that syntax error is reported instead, as it would
   * be had the input arrived in smaller chunks), else throws a RangeError at
   * the first byte beyond the earliest limit crossed.
   */
  #overLimit(
    chunk: Uint8Array,
    segment: number,
    base: number,
    pos: number,
    lf: number,
    length: number,
  ): number {
    const lineStart = base + pos - this.#lineLength;
    const crossings: [number, string][] = [];
    if (length > this.#maxLine) {
      crossings.push([
        lineStart + this.#maxLine,
        `Header line exceeds the limit of ${this.#maxLine} bytes`,
      ]);
    }
    if (
      this.#headLength + (lf === -1 ? chunk.length : lf + 1) - segment >
        this.#maxHead
    ) {
      crossings.push([
        this.#headStart + this.#maxHead,
        `Header block exceeds the limit of ${this.#maxHead} bytes`,
      ]);
    }
    if (crossings.length === 0) {
      crossings.push([
        base + lf,
        `Frame has more than ${this.#maxHeaders} headers`,
      ]);
    }
    crossings.sort((a, b) => a[0] - b[0]);
    const [offset, message] = crossings[0]!;
    const nul = chunk.subarray(0, offset - base + 1).indexOf(NUL, segment);
    if (nul !== -1) return nul;
    this.#fail(new RangeError(`${message} at byte ${offset}`));
  }

  #fail(error: Error): never {
    this.#state = State.Failed;
    this.#failure = error;
    this.#headLength = 0;
    this.#body.clear();
    throw error;
  }

  /** Throws the error, or with resync hands it to `onError`. */
  #report(error: StompSyntaxError): void {
    if (this.#onError === undefined) this.#fail(error);
    this.#onError(error);
  }

  /** Returns the position to continue from after a body not followed by NUL. */
  #missingNul(offset: number): number {
    this.#report(
      new StompSyntaxError(
        "Frame body is not followed by NUL where content-length says it ends",
        offset,
      ),
    );
    this.#state = State.Skip;
    return offset;
  }

  /**
   * After a header block: reads content-length, then hands out a body that
   * lies in this chunk or sets the state to collect it. Returns the position
   * to go on from.
   */
  #afterHead(
    chunk: Uint8Array,
    pos: number,
    base: number,
    onFrame: (frame: StompFrame) => void,
  ): number {
    let length = this.#head.length;
    if (length === undefined) {
      const declared = this.#head.headers!.get("content-length")!;
      length = this.#parseLength(declared, base + pos);
      if (length === -1) {
        this.#state = State.Skip;
        return pos;
      }
    }
    if (length === -1) {
      // A body that ends at the first NUL: when it lies in this chunk, hand
      // it out now rather than through one more turn of the state machine.
      const nul = chunk.indexOf(NUL, pos);
      if (nul !== -1 && nul - pos <= this.#maxBody) {
        this.#emit(chunk.subarray(pos, nul), base + nul, onFrame);
        return nul + 1;
      }
      this.#body.start(this.#maxBody, false);
      this.#state = State.BodyNul;
      return pos;
    }
    if (pos + length < chunk.length) {
      // Fast path: body and NUL inside this chunk, body handed out as a view.
      if (chunk[pos + length] !== NUL) {
        return this.#missingNul(base + pos + length) - base;
      }
      this.#emit(
        chunk.subarray(pos, pos + length),
        base + pos + length,
        onFrame,
      );
      return pos + length + 1;
    }
    this.#bodyRemaining = length;
    this.#body.start(length, true);
    this.#state = State.BodyLength;
    return pos;
  }

  /** Returns the body length, or -1 after reporting a syntax error. */
  #parseLength(value: string, offset: number): number {
    if (!/^[0-9]+$/.test(value)) {
      this.#report(
        new StompSyntaxError(`Invalid content-length ${quote(value)}`, offset),
      );
      return -1;
    }
    const length = Number(value);
    if (length > this.#maxBody) {
      this.#fail(
        new RangeError(
          `Frame content-length ${value} exceeds the limit of ${this.#maxBody} bytes at byte ${offset}`,
        ),
      );
    }
    return length;
  }

  /** Hands out a frame whose NUL is at stream offset `nul`. */
  #emit(
    body: Uint8Array,
    nul: number,
    onFrame: (frame: StompFrame) => void,
  ): void {
    const head = this.#head;
    const frame = new StompFrame(head.command, head.headers, body);
    head.headers = undefined;
    this.#state = State.FrameStart;
    this.#base = nul + 1;
    onFrame(frame);
  }

  /**
   * Hands out a body that spans chunks, completed by `chunk[from, to)`,
   * whose NUL is at stream offset `nul`.
   */
  #emitBody(
    chunk: Uint8Array,
    from: number,
    to: number,
    nul: number,
    onFrame: (frame: StompFrame) => void,
  ): void {
    if (!this.#keepPieces) {
      this.#emit(this.#body.take(chunk, from, to), nul, onFrame);
      return;
    }
    const pieces = this.#body.takePieces(chunk, from, to);
    if (pieces.length === 1) {
      this.#emit(pieces[0]!, nul, onFrame);
      return;
    }
    const head = this.#head;
    const frame = StompFrame.fromChunks(head.command, head.headers, pieces);
    head.headers = undefined;
    this.#state = State.FrameStart;
    this.#base = nul + 1;
    onFrame(frame);
  }

  /**
   * Copies `chunk[from, to)` of a header block that spans chunks into the
   * scratch, grown when the block is larger (the limits were checked).
   */
  #keepHead(chunk: Uint8Array, from: number, to: number): void {
    const at = this.#headLength;
    const length = at + to - from;
    if (length > this.#scratch.length) {
      const grown = new Uint8Array(
        Math.max(length, Math.min(2 * this.#scratch.length, this.#maxHead)),
      );
      grown.set(this.#scratch.subarray(0, at));
      this.#scratch = grown;
    }
    copyInto(this.#scratch, at, chunk, from, to);
    this.#headLength = length;
  }
}

/**
 * Decodes exactly one frame from a complete byte array, like stomper's
 * `unpack_frame`: heart-beat EOLs around the frame are allowed; anything else
 * (no frame, more than one frame, an unfinished frame) is a
 * {@linkcode StompSyntaxError}.
 *
 * @example Decoding one frame
 * ```ts
 * import { decodeFrame } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = decodeFrame(new TextEncoder().encode("RECEIPT\nreceipt-id:1\n\n\0\n"));
 * assertEquals(frame.headers.get("receipt-id"), "1");
 * ```
 *
 * @param bytes The encoded frame.
 * @param options Version and limits (`resync` is not allowed here).
 * @returns The frame.
 */
export function decodeFrame(
  bytes: Uint8Array,
  options: Omit<DecodeOptions, "resync" | "onError"> = {},
): StompFrame {
  const decoder = new StompDecoder({
    ...checkOptions("Cannot decode frame", options),
    resync: false,
  });
  let frame: StompFrame | undefined;
  decoder.decode(bytes, (decoded) => {
    if (frame !== undefined) {
      throw new StompSyntaxError(
        "Expected one frame but found a second",
        decoder.frameOffset,
      );
    }
    frame = decoded;
  });
  decoder.end();
  if (frame === undefined) {
    throw new StompSyntaxError(
      "Expected one frame but found none",
      bytes.length,
    );
  }
  return frame;
}

/**
 * A chunk that is not a `Uint8Array` of this realm: one of another realm (an
 * iframe's, a `node:vm` context's) as a view here; anything else, which
 * JavaScript callers can pass (a text WebSocket message, an ArrayBuffer), is
 * a `TypeError`, never bytes read as nothing.
 */
function foreignChunk(chunk: unknown): Uint8Array {
  if (Object.prototype.toString.call(chunk) === "[object Uint8Array]") {
    const view = chunk as Uint8Array;
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  }
  throw new TypeError(
    `Cannot decode frames: a chunk must be a Uint8Array, got ${
      notBytes(chunk)
    }`,
  );
}
