// Deterministic workloads for the benchmark: every byte comes from a seeded
// PRNG, so two runs (and two machines) decode exactly the same input.

import { Buffer } from "node:buffer";
import { StompFrame } from "../../src/frame.ts";
import { prngUint32 } from "../_helpers.ts";

const NUL = 0x00;
const LF = 0x0a;

/** The wire chunk size of W1 to W4, as a socket read might deliver it. */
export const CHUNK_SIZE = 64 * 1024;

/** One frame as the generator wrote it: the ground truth for the checks. */
export interface ExpectedFrame {
  readonly command: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

/**
 * The same input chunks in the three shapes the contenders take. Each chunk
 * owns its `ArrayBuffer`, as a socket read does, so "the body is a view of
 * the chunk" can be told apart from "the body is a view of the whole input".
 */
export interface Chunks {
  /** For @stomp/stompjs, whose `parseChunk` takes an `ArrayBuffer`. */
  readonly buffers: readonly ArrayBuffer[];
  /** For our decoder: one `Uint8Array` over each buffer. */
  readonly views: readonly Uint8Array<ArrayBuffer>[];
  /** For stompit: one Node `Buffer` over each buffer (no copy). */
  readonly nodeBuffers: readonly Buffer[];
  /** The set of chunk buffers, to count bodies that are views. */
  readonly owners: ReadonlySet<ArrayBufferLike>;
}

/** A decoder workload: one pre-built byte stream and its chunks. */
export interface DecodeWorkload {
  readonly id: DecodeId;
  readonly title: string;
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Where each chunk ends. */
  readonly boundaries: readonly number[];
  readonly frameCount: number;
  /**
   * The frames as written, for the checks; dropped before timing so that
   * half a million small objects do not slow down every collection.
   */
  expected: readonly ExpectedFrame[] | undefined;
  readonly heartbeats: number;
  readonly bodyBytes: number;
  /** Frames whose body lies inside one chunk: these must come out as views. */
  readonly bodiesInOneChunk: number;
}

/** An encoder workload: frames ready to serialise, in both libraries' forms. */
export interface EncodeWorkload {
  readonly id: string;
  readonly title: string;
  /** Our frames. */
  readonly frames: readonly StompFrame[];
  /** The same frames as `[command, headers record, body]` for @stomp/stompjs. */
  readonly plain: readonly {
    readonly command: string;
    readonly headers: Record<string, string>;
    readonly body: Uint8Array;
  }[];
  readonly bodyBytes: number;
}

class Writer {
  #buffer = new Uint8Array(1 << 20);
  length = 0;
  #encoder = new TextEncoder();

  #reserve(extra: number): void {
    if (this.length + extra <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.length));
    this.#buffer = next;
  }

  text(text: string): void {
    this.#reserve(text.length * 3);
    this.length += this.#encoder.encodeInto(
      text,
      this.#buffer.subarray(this.length),
    ).written;
  }

  bytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  byte(byte: number): void {
    this.#reserve(1);
    this.#buffer[this.length++] = byte;
  }

  done(): Uint8Array<ArrayBuffer> {
    return this.#buffer.slice(0, this.length);
  }
}

const QUEUES = ["orders", "prices", "events", "audit"];
const TEXT =
  "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.,";

interface MessageSpec {
  readonly count: number;
  readonly bodySize: number;
  readonly binary: boolean;
  /** Which frames carry content-length. */
  readonly contentLength: (index: number) => boolean;
  /** The heart-beat EOL written after frame `index`, if any. */
  readonly eolAfter?: (index: number) => string;
}

function randomBody(
  random: () => number,
  size: number,
  binary: boolean,
): Uint8Array {
  const body = new Uint8Array(size);
  if (binary) {
    for (let i = 0; i < size; i += 4) {
      const word = random();
      body[i] = word;
      body[i + 1] = word >>> 8;
      body[i + 2] = word >>> 16;
      body[i + 3] = word >>> 24;
    }
    // Make sure the NUL-inside-body case is really exercised.
    body[size >> 1] = NUL;
  } else {
    for (let i = 0; i < size; i++) {
      body[i] = TEXT.charCodeAt(random() % TEXT.length);
    }
  }
  return body;
}

function messages(
  seed: number,
  spec: MessageSpec,
): {
  bytes: Uint8Array<ArrayBuffer>;
  frames: ExpectedFrame[];
  heartbeats: number;
} {
  const random = prngUint32(seed);
  const writer = new Writer();
  const layout: {
    headers: [string, string][];
    start: number;
    end: number;
  }[] = [];
  let heartbeats = 0;
  const session = random().toString(36);
  for (let i = 0; i < spec.count; i++) {
    // RabbitMQ's MESSAGE header set, in its order.
    const headers: [string, string][] = [
      ["subscription", `sub-${i % 4}`],
      ["destination", `/queue/bench.${QUEUES[random() % QUEUES.length]}`],
      ["message-id", `T_sub-${i % 4}@@session-${session}@@${i + 1}`],
      ["redelivered", random() % 16 === 0 ? "true" : "false"],
      [
        "content-type",
        spec.binary ? "application/octet-stream" : "text/plain;charset=utf-8",
      ],
    ];
    if (spec.contentLength(i)) {
      headers.push(["content-length", String(spec.bodySize)]);
    }
    writer.text("MESSAGE\n");
    for (const [name, value] of headers) writer.text(`${name}:${value}\n`);
    writer.byte(LF);
    const start = writer.length;
    writer.bytes(randomBody(random, spec.bodySize, spec.binary));
    layout.push({ headers, start, end: writer.length });
    writer.byte(NUL);
    const eol = spec.eolAfter?.(i) ?? "";
    if (eol !== "") {
      for (let k = 0; k < eol.length; k++) writer.byte(eol.charCodeAt(k));
      heartbeats++;
    }
  }
  const bytes = writer.done();
  const frames = layout.map(({ headers, start, end }) => ({
    command: "MESSAGE",
    headers,
    body: bytes.subarray(start, end),
  }));
  return { bytes, frames, heartbeats };
}

/** Splits `bytes` at the given boundaries into chunks that own their buffers. */
export function chunksOf(
  bytes: Uint8Array,
  boundaries: readonly number[],
): Chunks {
  const buffers: ArrayBuffer[] = [];
  let at = 0;
  for (const end of boundaries) {
    buffers.push(bytes.slice(at, end).buffer);
    at = end;
  }
  const views = buffers.map((buffer) => new Uint8Array(buffer));
  return {
    buffers,
    views,
    nodeBuffers: buffers.map((buffer) => Buffer.from(buffer)),
    owners: new Set(buffers),
  };
}

function fixedBoundaries(length: number, size: number): number[] {
  const boundaries: number[] = [];
  for (let at = size; at < length; at += size) boundaries.push(at);
  boundaries.push(length);
  return boundaries;
}

function randomBoundaries(
  length: number,
  seed: number,
  min: number,
  max: number,
): number[] {
  const random = prngUint32(seed);
  const boundaries: number[] = [];
  let at = 0;
  while (at < length) {
    at = Math.min(length, at + min + (random() % (max - min + 1)));
    boundaries.push(at);
  }
  return boundaries;
}

function countBodiesInOneChunk(
  frames: readonly ExpectedFrame[],
  boundaries: readonly number[],
): number {
  let count = 0;
  let chunk = 0;
  let chunkStart = 0;
  for (const frame of frames) {
    const start = frame.body.byteOffset;
    const end = start + frame.body.length;
    while (boundaries[chunk]! <= start) chunkStart = boundaries[chunk++]!;
    if (end <= boundaries[chunk]! && start >= chunkStart) count++;
  }
  return count;
}

const cache = new WeakMap<DecodeWorkload, Chunks>();

/** The chunks of a workload, built on first use. */
export function chunks(workload: DecodeWorkload): Chunks {
  let built = cache.get(workload);
  if (built === undefined) {
    built = chunksOf(workload.bytes, workload.boundaries);
    cache.set(workload, built);
  }
  return built;
}

function fromMessages(
  id: DecodeId,
  title: string,
  built: ReturnType<typeof messages>,
  boundaries: number[],
): DecodeWorkload {
  let bodyBytes = 0;
  for (const frame of built.frames) bodyBytes += frame.body.length;
  return {
    id,
    title,
    bytes: built.bytes,
    boundaries,
    frameCount: built.frames.length,
    expected: built.frames,
    heartbeats: built.heartbeats,
    bodyBytes,
    bodiesInOneChunk: countBodiesInOneChunk(built.frames, boundaries),
  };
}

/** The decoder workloads. */
export const DECODE_IDS = ["W1", "W2", "W3", "W4", "W5"] as const;

/** A decoder workload id. */
export type DecodeId = typeof DECODE_IDS[number];

// W1: RabbitMQ-style MESSAGE frames with 5 headers, plus content-length on
// every other one, so both ways a body can end are exercised.
const W1: MessageSpec = {
  count: 100_000,
  bodySize: 100,
  binary: false,
  contentLength: (i) => i % 2 === 0,
};

/** Builds one decoder workload. */
export function decodeWorkload(id: DecodeId): DecodeWorkload {
  switch (id) {
    case "W1": {
      const w1 = messages(1, W1);
      return fromMessages(
        id,
        "100,000 MESSAGE frames, 5-6 headers, 100 B text body (content-length on half)",
        w1,
        fixedBoundaries(w1.bytes.length, CHUNK_SIZE),
      );
    }
    case "W2": {
      const w2 = messages(2, {
        count: 10_000,
        bodySize: 16 * 1024,
        binary: true,
        contentLength: () => true,
      });
      return fromMessages(
        id,
        "10,000 MESSAGE frames, 16 KiB binary body with NULs, content-length",
        w2,
        fixedBoundaries(w2.bytes.length, CHUNK_SIZE),
      );
    }
    case "W3": {
      const w3 = messages(3, {
        count: 100,
        bodySize: 1024 * 1024,
        binary: true,
        contentLength: () => true,
      });
      return fromMessages(
        id,
        "100 MESSAGE frames, 1 MiB binary body, content-length",
        w3,
        fixedBoundaries(w3.bytes.length, CHUNK_SIZE),
      );
    }
    case "W4": {
      // W1 (same seed, so the same frames) with a heart-beat after every
      // frame, one in eight as CR LF.
      const w4 = messages(1, {
        ...W1,
        eolAfter: (i) => i % 8 === 7 ? "\r\n" : "\n",
      });
      return fromMessages(
        id,
        "W1 with a heart-beat EOL after every frame (1 in 8 is CR LF)",
        w4,
        fixedBoundaries(w4.bytes.length, CHUNK_SIZE),
      );
    }
    case "W5": {
      const w1 = messages(1, W1);
      return fromMessages(
        id,
        "W1 fed in random chunks of 1 to 17 bytes",
        w1,
        randomBoundaries(w1.bytes.length, 5, 1, 17),
      );
    }
  }
}

function sends(
  id: string,
  title: string,
  seed: number,
  count: number,
  bodySize: number,
  binary: boolean,
): EncodeWorkload {
  const random = prngUint32(seed);
  const frames: StompFrame[] = [];
  const plain: EncodeWorkload["plain"][number][] = [];
  for (let i = 0; i < count; i++) {
    const headers: Record<string, string> = {
      destination: `/queue/bench.${QUEUES[random() % QUEUES.length]}`,
      "content-type": binary
        ? "application/octet-stream"
        : "text/plain;charset=utf-8",
      persistent: "true",
      "correlation-id": `c-${random().toString(36)}`,
      receipt: `r-${i}`,
    };
    const body = randomBody(random, bodySize, binary);
    frames.push(new StompFrame("SEND", headers, body));
    plain.push({ command: "SEND", headers, body });
  }
  return { id, title, frames, plain, bodyBytes: count * bodySize };
}

/** The encoder workloads. */
export const ENCODE_IDS = ["E1", "E2"] as const;

/** Builds E1 or E2. */
export function encodeWorkload(id: typeof ENCODE_IDS[number]): EncodeWorkload {
  return id === "E1"
    ? sends(
      "E1",
      "100,000 SEND frames, 5 headers, 100 B body",
      11,
      100_000,
      100,
      false,
    )
    : sends(
      "E2",
      "10,000 SEND frames, 5 headers, 16 KiB binary body",
      12,
      10_000,
      16 * 1024,
      true,
    );
}

/** A buffer of `size` bytes without a NUL, for the `indexOf(0)` scan limit. */
export function scanBuffer(size: number): Uint8Array {
  return new Uint8Array(size).fill(0x41);
}
