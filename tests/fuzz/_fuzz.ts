/**
 * The decoder fuzz, shared by the unit fuzz (`tests/fuzz_test.ts`) and
 * `deno task fuzz` (`tests/fuzz/fuzz.ts`), so that the two cannot drift:
 * the input generators, the rules every input must satisfy, and the loop.
 *
 * Input `i` of seed `s` comes from its own PRNG seeded from `(s, i)`, so
 * any one input can be replayed alone. Each input is random bytes, mutated
 * valid frames, or random frames encoded for a round trip; each goes
 * through the sync decoder whole, strict and with `resync`; then byte by
 * byte in one of the two modes, in random chunks in the other, and in random
 * chunks with `bodyChunks` in either; then through
 * {@linkcode StompDecoderStream} in 1 to 8 random chunks. The rules:
 *
 * 1. Only the documented errors: `StompSyntaxError` or `RangeError` thrown,
 *    only `RangeError` thrown with `resync`, only `StompSyntaxError`
 *    reported to `onError`; the encoder refuses a frame (with a
 *    `TypeError`) exactly when it cannot be written faithfully.
 * 2. The same outcome however the input is chunked: frames, heart-beats,
 *    reported and thrown errors, and their order; the stream gives the same
 *    frames, or a prefix of them and the same error.
 * 3. Never more bytes buffered than the limits allow, after every chunk.
 * 4. Encoded random frames decode to the same frames and heart-beats.
 *
 * @module
 */

import { concat } from "@std/bytes";
import {
  COMMANDS,
  type DecodeOptions,
  encodeFrame,
  message,
  send,
  StompDecoder,
  StompDecoderStream,
  type StompFrame,
  StompSyntaxError,
  type StompVersion,
  subscribe,
} from "../../mod.ts";
import {
  type Outcome,
  plain,
  type PlainError,
  type PlainFrame,
} from "../_decode.ts";
import { prng } from "../_helpers.ts";

/** Small limits for bad input, so that the fuzz crosses them often. */
export const LIMITS = {
  maxHeaderLineBytes: 64,
  maxHeaderBytes: 256,
  maxHeaders: 8,
  maxBodyBytes: 512,
} as const;

/** Limits every generated round-trip frame fits in. */
export const ROUND_TRIP_LIMITS = {
  maxHeaderLineBytes: 1024,
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 32,
  maxBodyBytes: 16 * 1024,
} as const;

/** Valid frames that mutated inputs start from, besides random ones. */
export const SAMPLES: readonly Uint8Array[] = [
  encodeFrame(
    send("/queue/a", "hello", { receipt: "r", headers: { "x:y": "a\nb" } }),
  ),
  encodeFrame(
    message("/q", new Uint8Array([0, 1, 2, 0, 255]), {
      messageId: "m",
      subscription: "0",
    }),
  ),
  encodeFrame(subscribe("0", "/topic/t", { ack: "client" })),
  new TextEncoder().encode("MESSAGE\r\ndestination:/q\r\n\r\nbody\0\n\n"),
  new TextEncoder().encode("MESSAGE\ndestination:/q\n\nno length\0"),
];

/** The codec under test; tests swap in broken ones to prove the rules bite. */
export interface FuzzCodec {
  /** The sync decoder. */
  readonly Decoder: new (options?: DecodeOptions) => StompDecoder;
  /** The stream decoder. */
  readonly DecoderStream: new (
    options?: DecodeOptions,
  ) => TransformStream<Uint8Array, StompFrame>;
  /** The encoder. */
  readonly encode: typeof encodeFrame;
}

/** The codec of this package. */
export const CODEC: FuzzCodec = {
  Decoder: StompDecoder,
  DecoderStream: StompDecoderStream,
  encode: encodeFrame,
};

/** What kind of input a fuzz input is. */
export type InputKind = "random" | "mutated" | "roundtrip";

/** A frame as the generator meant it, before encoding. */
export interface IntendedFrame {
  command: (typeof COMMANDS)[number];
  headers: [string, string][];
  body: Uint8Array;
}

/** One generated input. */
export interface FuzzInput {
  readonly seed: number;
  readonly index: number;
  readonly kind: InputKind;
  readonly version: StompVersion;
  readonly bytes: Uint8Array;
  /** For round trips: what decoding must give. */
  readonly expected?: { frames: PlainFrame[]; heartbeats: number };
  /** Frames the encoder had to refuse while generating (rule 1). */
  readonly refused: number;
  /** A rule the generation already broke (the encoder's), if any. */
  readonly violation?: string;
  /** Random source for the chunkings, after generation. */
  readonly random: () => number;
}

/** Everything a fuzz run counted. */
export interface FuzzStats {
  inputs: number;
  byKind: Record<InputKind, number>;
  bytes: number;
  /** Frames produced, over every decoding of every input. */
  frames: number;
  heartbeats: number;
  /** Decodings: (input, mode, chunking) triples, the stream's included. */
  chunkings: number;
  /** Errors of the whole-input decodings, by class and how they came. */
  errors: Record<string, number>;
  /** The same errors by message, with values and offsets left out. */
  messages: Record<string, number>;
  /** Frames that made the round trip. */
  roundTrips: number;
  /** Frames the encoder refused, rightly. */
  refused: number;
  /** The input that took longest. */
  slowest: { index: number; ms: number };
}

/** A broken rule. */
export interface FuzzFailure {
  readonly seed: number;
  readonly index: number;
  readonly kind: InputKind;
  readonly version: StompVersion;
  /** What went wrong. */
  readonly message: string;
  /** The input bytes, as a JSON string of Latin-1 characters. */
  readonly input: string;
}

/** Options of {@linkcode runFuzz}. */
export interface FuzzOptions {
  /** Inputs to run (from index 0, or from `from`). */
  count: number;
  /** The seed: same seed, same inputs. */
  seed: number;
  /** First input index. @default {0} */
  from?: number;
  /** The codec. @default {CODEC} */
  codec?: FuzzCodec;
  /** Called after each input with the number done. */
  onProgress?: (done: number, stats: FuzzStats) => void;
}

/** What {@linkcode runFuzz} found. */
export interface FuzzReport {
  readonly stats: FuzzStats;
  /** The first broken rule; the run stops there. */
  readonly failure?: FuzzFailure;
}

const INTERESTING = [0x00, 0x0a, 0x0d, 0x3a, 0x5c, 0x63, 0x6e, 0x72, 0xff];
const NAMES = [
  "destination",
  "receipt",
  "content-type",
  "content-length",
  "id",
  "ack",
  "x",
  "",
];
// Characters that matter to escaping and UTF-8, plus plain ones.
const ALPHABET = [
  ..."abcXYZ019-_ /.",
  ":",
  "\n",
  "\r",
  "\\",
  "\\c",
  "\\n",
  "\t",
  "\0",
  "é",
  "€",
  "😀",
];
const ESCAPED_ALPHABET = ALPHABET.filter((c) => c !== "\0");
const UNESCAPED_ALPHABET = ESCAPED_ALPHABET.filter((c) => !/[\n\r:]/.test(c));
const VERSIONS: readonly StompVersion[] = ["1.0", "1.1", "1.2"];
const encoder = new TextEncoder();

function mix(x: number): number {
  // splitmix32's finaliser: nearby (seed, index) pairs give unrelated seeds.
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/**
 * The seed of input `index` of run `seed`.
 *
 * @param seed The run's seed.
 * @param index The input's index.
 * @returns A 32-bit seed.
 */
export function inputSeed(seed: number, index: number): number {
  return mix((seed >>> 0) ^ mix(index + 0x9e3779b9));
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function int(random: () => number, max: number): number {
  return Math.floor(random() * (max + 1));
}

function randomText(
  random: () => number,
  max: number,
  alphabet: readonly string[],
): string {
  let text = "";
  const length = int(random, max);
  for (let i = 0; i < length; i++) text += pick(random, alphabet);
  return text;
}

function randomBody(random: () => number): Uint8Array {
  const r = random();
  if (r < 0.3) return new Uint8Array(0);
  const body = new Uint8Array(int(random, r < 0.9 ? 64 : 2048));
  for (let i = 0; i < body.length; i++) {
    body[i] = random() < 0.3 ? pick(random, INTERESTING) : int(random, 255);
  }
  return body;
}

/**
 * A random frame: mostly one the version can carry (so that most get
 * through), sometimes one with anything in it, NUL and empty names too.
 */
function randomFrame(
  random: () => number,
  version: StompVersion,
): IntendedFrame {
  const command = pick(random, COMMANDS);
  const wild = random() < 0.2;
  const alphabet = wild
    ? ALPHABET
    : version === "1.0" || command === "CONNECT" || command === "CONNECTED"
    ? UNESCAPED_ALPHABET
    : ESCAPED_ALPHABET;
  const headers: [string, string][] = [];
  const count = int(random, 6);
  for (let i = 0; i < count; i++) {
    const name = random() < 0.6
      ? pick(random, wild ? NAMES : NAMES.slice(0, -1))
      : randomText(random, 8, alphabet) || "n";
    headers.push([name, randomText(random, 12, alphabet)]);
  }
  return { command, headers, body: randomBody(random) };
}

/**
 * Whether the encoder can write the frame faithfully under the version, by
 * the rules it documents, stated independently of its code: no NUL, and no
 * empty name; where headers are not escaped (STOMP 1.0, CONNECT, CONNECTED)
 * no LF, no `:` in a name and no value ending in CR; under 1.1 no value
 * ending in CR. Content-length headers do not count: the encoder replaces
 * them.
 */
export function writable(frame: IntendedFrame, version: StompVersion): boolean {
  const escaped = version !== "1.0" && frame.command !== "CONNECT" &&
    frame.command !== "CONNECTED";
  for (const [name, value] of frame.headers) {
    if (name === "content-length") continue;
    if (name === "" || name.includes("\0") || value.includes("\0")) {
      return false;
    }
    if (!escaped) {
      if (name.includes("\n") || value.includes("\n")) return false;
      if (name.includes(":") || value.endsWith("\r")) return false;
    } else if (version === "1.1" && value.endsWith("\r")) {
      return false;
    }
  }
  return true;
}

/** The frame the decoder must give for a written frame. */
function decodedForm(frame: IntendedFrame): PlainFrame {
  const headers = frame.headers.filter(([name]) => name !== "content-length");
  if (frame.body.length > 0) {
    headers.push(["content-length", String(frame.body.length)]);
  }
  return { command: frame.command, headers, body: frame.body };
}

const LF_BYTES = new Uint8Array([0x0a]);
const CRLF_BYTES = new Uint8Array([0x0d, 0x0a]);

/**
 * Encodes 1 to 3 random writable frames with heart-beats around them,
 * checking rule 1 for the encoder on the way.
 */
function roundTrip(
  random: () => number,
  version: StompVersion,
  encode: typeof encodeFrame,
): {
  bytes: Uint8Array;
  frames: PlainFrame[];
  heartbeats: number;
  refused: number;
  violation?: string;
} {
  const parts: Uint8Array[] = [];
  const frames: PlainFrame[] = [];
  let heartbeats = 0;
  let refused = 0;
  const eols = () => {
    const n = random() < 0.6 ? 0 : int(random, 2);
    for (let i = 0; i < n; i++) {
      parts.push(random() < 0.5 ? LF_BYTES : CRLF_BYTES);
      heartbeats++;
    }
  };
  const count = 1 + int(random, 2);
  eols();
  for (let f = 0; f < count; f++) {
    let frame = randomFrame(random, version);
    // A few tries for a writable one; each refusal is checked too.
    for (let attempt = 0; attempt < 4; attempt++) {
      const ok = writable(frame, version);
      let bytes: Uint8Array | undefined;
      try {
        bytes = encode(frame, { version });
      } catch (error) {
        if (!(error instanceof TypeError)) {
          return {
            bytes: concat(parts),
            frames,
            heartbeats,
            refused,
            violation: `encodeFrame threw ${describe(error)}, not a TypeError`,
          };
        }
        if (ok) {
          return {
            bytes: concat(parts),
            frames,
            heartbeats,
            refused,
            violation: `encodeFrame refused a writable ${frame.command} frame ${
              JSON.stringify(frame.headers)
            } under ${version}: ${error.message}`,
          };
        }
        refused++;
        frame = randomFrame(random, version);
        continue;
      }
      if (!ok) {
        return {
          bytes: concat(parts),
          frames,
          heartbeats,
          refused,
          violation: `encodeFrame wrote an unwritable ${frame.command} frame ${
            JSON.stringify(frame.headers)
          } under ${version}`,
        };
      }
      parts.push(bytes);
      frames.push(decodedForm(frame));
      break;
    }
    eols();
  }
  return { bytes: concat(parts), frames, heartbeats, refused };
}

function randomBytes(random: () => number): Uint8Array {
  const prefix = random() < 0.3
    ? encoder.encode(pick(random, COMMANDS) + pick(random, ["\n", "\r\n"]))
    : new Uint8Array(0);
  const input = new Uint8Array(prefix.length + int(random, 400));
  input.set(prefix);
  // Biased towards the bytes that matter to the grammar.
  for (let i = prefix.length; i < input.length; i++) {
    input[i] = random() < 0.5 ? pick(random, INTERESTING) : int(random, 255);
  }
  return input;
}

/**
 * A frame near or over the limits of {@linkcode LIMITS}: many or long
 * header lines, and a body without content-length, up to twice the limits.
 */
function oversized(random: () => number): Uint8Array {
  let head = pick(random, COMMANDS) + "\n";
  for (let i = int(random, 2 * LIMITS.maxHeaders); i > 0; i--) {
    const line = int(random, LIMITS.maxHeaderLineBytes + 8);
    head += "h" + i + ":" + "v".repeat(Math.max(0, line - 3)) + "\n";
  }
  const body = new Uint8Array(int(random, 2 * LIMITS.maxBodyBytes)).fill(0x62);
  return concat([encoder.encode(head + "\n"), body, new Uint8Array(1)]);
}

function mutate(random: () => number, source: Uint8Array): Uint8Array {
  const bytes = [...source];
  const mutations = 1 + int(random, 3);
  for (let m = 0; m < mutations; m++) {
    const at = int(random, bytes.length);
    const kind = random();
    if (kind < 0.3) bytes[at] = int(random, 255);
    else if (kind < 0.5) bytes.splice(at, 1);
    else if (kind < 0.75) bytes.splice(at, 0, pick(random, INTERESTING));
    else if (kind < 0.85) bytes.splice(at, 0, 0x30 + int(random, 9));
    else if (kind < 0.95) {
      bytes.splice(at, 0, ...bytes.slice(at, at + int(random, 32)));
    } else bytes.length = at;
  }
  return new Uint8Array(bytes);
}

/**
 * Generates input `index` of run `seed`: the same bytes every time.
 *
 * @param seed The run's seed.
 * @param index The input's index.
 * @param codec The codec whose encoder makes valid frames.
 * @returns The input.
 */
export function generateInput(
  seed: number,
  index: number,
  codec: FuzzCodec = CODEC,
): FuzzInput {
  const random = prng(inputSeed(seed, index));
  const version = pick(random, VERSIONS);
  const r = random();
  const base = { seed, index, version, random };
  if (r < 0.25) {
    return { ...base, kind: "random", bytes: randomBytes(random), refused: 0 };
  }
  if (r < 0.7) {
    const sources: Uint8Array[] = [];
    let refused = 0;
    for (let i = 0, n = 1 + int(random, 1); i < n; i++) {
      const source = random();
      if (source < 0.35) sources.push(pick(random, SAMPLES));
      else if (source < 0.55) sources.push(oversized(random));
      else {
        const made = roundTrip(random, version, codec.encode);
        if (made.violation !== undefined) {
          return {
            ...base,
            kind: "mutated",
            bytes: made.bytes,
            refused,
            violation: made.violation,
          };
        }
        refused += made.refused;
        sources.push(made.bytes);
      }
    }
    const bytes = mutate(random, concat(sources));
    return { ...base, kind: "mutated", bytes, refused };
  }
  const made = roundTrip(random, version, codec.encode);
  return {
    ...base,
    kind: "roundtrip",
    bytes: made.bytes,
    refused: made.refused,
    expected: { frames: made.frames, heartbeats: made.heartbeats },
    ...(made.violation === undefined ? {} : { violation: made.violation }),
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function plainError(error: unknown): PlainError {
  if (error instanceof StompSyntaxError) {
    return { name: error.name, message: error.message, offset: error.offset };
  }
  if (error instanceof Error) {
    return { name: error.name, message: error.message };
  }
  return { name: typeof error, message: String(error) };
}

/** A broken rule found while decoding; carries the message. */
class Violation extends Error {}

/** One decoding: the outcome, rules 1 and 3 checked on the way. */
function decodeWith(
  codec: FuzzCodec,
  input: Uint8Array,
  lengths: Iterable<number>,
  options: DecodeOptions,
  stats: FuzzStats,
): Outcome {
  const outcome: Outcome = {
    frames: [],
    heartbeats: 0,
    reported: [],
    order: "",
  };
  const resync = options.resync === true;
  const decoder = new codec.Decoder({
    ...options,
    onHeartbeat() {
      outcome.heartbeats++;
      outcome.order += "H";
    },
    ...(resync
      ? {
        onError(error: StompSyntaxError) {
          if (!(error instanceof StompSyntaxError)) {
            throw new Violation(
              `onError received ${describe(error)}, not a StompSyntaxError`,
            );
          }
          outcome.reported.push(plainError(error));
          outcome.order += "E";
        },
      }
      : {}),
  });
  const bound = Math.max(
    options.maxBodyBytes ?? Infinity,
    options.maxHeaderBytes ?? Infinity,
  );
  const onFrame = (frame: StompFrame) => {
    outcome.frames.push(plain(frame));
    outcome.order += "F";
  };
  const buffered = () => {
    if (decoder.buffered > bound) {
      throw new Violation(
        `buffered ${decoder.buffered} bytes, over the limit of ${bound}`,
      );
    }
  };
  let at = 0;
  try {
    for (const length of lengths) {
      if (at >= input.length) break;
      decoder.decode(input.subarray(at, at + length), onFrame);
      at += length;
      buffered();
    }
    if (at < input.length) {
      decoder.decode(input.subarray(at), onFrame);
      buffered();
    }
    decoder.end();
  } catch (error) {
    if (error instanceof Violation) throw error;
    if (!(error instanceof StompSyntaxError || error instanceof RangeError)) {
      throw new Violation(`decoder threw ${describe(error)}`);
    }
    if (resync && !(error instanceof RangeError)) {
      throw new Violation(`decoder threw ${describe(error)} despite resync`);
    }
    outcome.thrown = plainError(error);
  }
  stats.frames += outcome.frames.length;
  stats.chunkings++;
  return outcome;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function frameDifference(a: PlainFrame, b: PlainFrame): string | undefined {
  if (a.command !== b.command) return `command ${a.command} vs ${b.command}`;
  const ha = JSON.stringify(a.headers);
  const hb = JSON.stringify(b.headers);
  if (ha !== hb) return `headers ${ha} vs ${hb}`;
  if (!sameBytes(a.body, b.body)) {
    return `body of ${a.body.length} vs ${b.body.length} bytes`;
  }
  return undefined;
}

function errorText(error: PlainError | undefined): string {
  return error === undefined ? "none" : `${error.name}: ${error.message}`;
}

/** Where two outcomes differ, or `undefined` if they do not. */
export function outcomeDifference(
  a: Outcome,
  b: Outcome,
): string | undefined {
  if (a.order !== b.order) return `order ${a.order} vs ${b.order}`;
  for (let i = 0; i < a.frames.length; i++) {
    const difference = frameDifference(a.frames[i]!, b.frames[i]!);
    if (difference !== undefined) return `frame ${i}: ${difference}`;
  }
  for (let i = 0; i < a.reported.length; i++) {
    const x = errorText(a.reported[i]);
    const y = errorText(b.reported[i]);
    if (x !== y) return `reported error ${i}: ${x} vs ${y}`;
  }
  if (errorText(a.thrown) !== errorText(b.thrown)) {
    return `thrown error: ${errorText(a.thrown)} vs ${errorText(b.thrown)}`;
  }
  return undefined;
}

function* ones(): Generator<number> {
  while (true) yield 1;
}

function randomLengths(random: () => number): number[] {
  // A list, not a generator: the stream needs the same cuts as a list.
  const max = pick(random, [2, 3, 7, 16, 40, 64, 1000]);
  const lengths: number[] = [];
  for (let total = 0; total < 4096; total += lengths.at(-1)!) {
    lengths.push(1 + int(random, max - 1));
  }
  return lengths;
}

/**
 * Lengths of 1 to 8 chunks cut at random places: the stream costs some
 * 100 µs per input and more per chunk, so it gets few, and the sync decoder
 * (the same code inside) the many.
 */
function fewLengths(random: () => number, total: number): number[] {
  const cuts = [0, total];
  for (let i = int(random, 7); i > 0; i--) cuts.push(int(random, total));
  cuts.sort((a, b) => a - b);
  const lengths: number[] = [];
  for (let i = 1; i < cuts.length; i++) {
    if (cuts[i]! > cuts[i - 1]!) lengths.push(cuts[i]! - cuts[i - 1]!);
  }
  return lengths;
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

function template(message: string): string {
  // Values and offsets vary; the kind of error is what is counted.
  return message.replace(/"(?:[^"\\]|\\.)*"(?:\.\.\.)?/g, "…")
    .replace(/[0-9]+/g, "N");
}

function tally(outcome: Outcome, stats: FuzzStats): void {
  for (const error of outcome.reported) {
    bump(stats.errors, `${error.name} reported`);
    bump(stats.messages, template(error.message));
  }
  if (outcome.thrown !== undefined) {
    bump(stats.errors, `${outcome.thrown.name} thrown`);
    bump(stats.messages, template(outcome.thrown.message));
  }
}

function cut(input: Uint8Array, lengths: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const length of lengths) {
    if (at >= input.length) break;
    chunks.push(input.subarray(at, at + length));
    at += length;
  }
  if (at < input.length) chunks.push(input.subarray(at));
  return chunks;
}

/** Rule 2 for the stream: the same frames, or a prefix and the same error. */
async function checkStream(
  codec: FuzzCodec,
  input: Uint8Array,
  lengths: readonly number[],
  options: DecodeOptions,
  reference: Outcome,
  stats: FuzzStats,
): Promise<void> {
  const frames: PlainFrame[] = [];
  let heartbeats = 0;
  const reported: PlainError[] = [];
  let thrown: PlainError | undefined;
  const stream = new codec.DecoderStream({
    ...options,
    onHeartbeat: () => heartbeats++,
    ...(options.resync
      ? {
        onError: (error: StompSyntaxError) => reported.push(plainError(error)),
      }
      : {}),
  });
  // A writer and a reader rather than pipeThrough: a fifth of the cost.
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const writing = (async () => {
    for (const chunk of cut(input, lengths)) await writer.write(chunk);
    await writer.close();
  })();
  writing.catch(() => {});
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      frames.push(plain(value));
    }
  } catch (error) {
    thrown = plainError(error);
  }
  await writing.catch(() => {});
  stats.chunkings++;
  const expected = reference.frames;
  const where = "stream";
  if (errorText(thrown) !== errorText(reference.thrown)) {
    throw new Violation(
      `${where}: error ${errorText(thrown)} vs ${errorText(reference.thrown)}`,
    );
  }
  if (
    thrown === undefined
      ? frames.length !== expected.length
      : frames.length > expected.length
  ) {
    throw new Violation(
      `${where}: ${frames.length} frames vs ${expected.length}`,
    );
  }
  for (let i = 0; i < frames.length; i++) {
    const difference = frameDifference(frames[i]!, expected[i]!);
    if (difference !== undefined) {
      throw new Violation(`${where}: frame ${i}: ${difference}`);
    }
  }
  if (thrown === undefined) {
    if (heartbeats !== reference.heartbeats) {
      throw new Violation(
        `${where}: ${heartbeats} heart-beats vs ${reference.heartbeats}`,
      );
    }
    const a = JSON.stringify(reported.map(errorText));
    const b = JSON.stringify(reference.reported.map(errorText));
    if (a !== b) throw new Violation(`${where}: reported ${a} vs ${b}`);
  }
}

/**
 * Runs one input through every rule.
 *
 * @param input The input.
 * @param codec The codec.
 * @param stats Where to count.
 * @returns What rule broke, or `undefined`.
 */
export async function checkInput(
  input: FuzzInput,
  codec: FuzzCodec,
  stats: FuzzStats,
): Promise<string | undefined> {
  stats.inputs++;
  stats.byKind[input.kind]++;
  stats.bytes += input.bytes.length;
  stats.refused += input.refused;
  if (input.violation !== undefined) return input.violation;
  const random = input.random;
  const limits = input.kind === "roundtrip" ? ROUND_TRIP_LIMITS : LIMITS;
  const bytes = input.bytes;
  try {
    const modes: DecodeOptions[] = [
      { ...limits, version: input.version },
      { ...limits, version: input.version, resync: true },
    ];
    const names = ["strict", "resync"];
    const references = modes.map((options) => {
      const whole = decodeWith(codec, bytes, [], options, stats);
      tally(whole, stats);
      stats.heartbeats += whole.heartbeats;
      return whole;
    });
    // Byte by byte in one mode, random chunks in the other, and random
    // chunks with bodyChunks in either: nine decodings per input would cost
    // half as many inputs again.
    const bytewise = int(random, 1);
    const ways: [number, string, Iterable<number>, boolean][] = [
      [bytewise, "byte by byte", ones(), false],
      [1 - bytewise, "random chunks", randomLengths(random), false],
      [
        int(random, 1),
        "random chunks, bodyChunks",
        randomLengths(random),
        true,
      ],
    ];
    for (const [mode, way, lengths, bodyChunks] of ways) {
      const options = bodyChunks
        ? { ...modes[mode]!, bodyChunks: true }
        : modes[mode]!;
      const outcome = decodeWith(codec, bytes, lengths, options, stats);
      const difference = outcomeDifference(references[mode]!, outcome);
      if (difference !== undefined) {
        return `${names[mode]}, whole vs ${way}: ${difference}`;
      }
    }
    const expected = input.expected;
    if (expected !== undefined) {
      const whole = references[0]!;
      if (whole.thrown !== undefined || whole.reported.length > 0) {
        return `round trip: ${
          errorText(whole.thrown ?? whole.reported[0])
        } decoding what the encoder wrote`;
      }
      if (whole.frames.length !== expected.frames.length) {
        return `round trip: ${whole.frames.length} frames decoded, ${expected.frames.length} encoded`;
      }
      for (let i = 0; i < whole.frames.length; i++) {
        const difference = frameDifference(
          whole.frames[i]!,
          expected.frames[i]!,
        );
        if (difference !== undefined) {
          return `round trip: frame ${i}, decoded vs encoded: ${difference}`;
        }
      }
      if (whole.heartbeats !== expected.heartbeats) {
        return `round trip: ${whole.heartbeats} heart-beats decoded, ${expected.heartbeats} written`;
      }
      stats.roundTrips += whole.frames.length;
    }
    const mode = random() < 0.5 ? 0 : 1;
    await checkStream(
      codec,
      bytes,
      fewLengths(random, bytes.length),
      modes[mode]!,
      references[mode]!,
      stats,
    );
  } catch (error) {
    if (error instanceof Violation) return error.message;
    return `unexpected ${describe(error)}`;
  }
  return undefined;
}

/**
 * Fresh, empty counters.
 *
 * @returns The counters.
 */
export function newStats(): FuzzStats {
  return {
    inputs: 0,
    byKind: { random: 0, mutated: 0, roundtrip: 0 },
    bytes: 0,
    frames: 0,
    heartbeats: 0,
    chunkings: 0,
    errors: {},
    messages: {},
    roundTrips: 0,
    refused: 0,
    slowest: { index: -1, ms: 0 },
  };
}

/** Input bytes as a JSON string of Latin-1 characters, for a report. */
export function showBytes(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return JSON.stringify(text);
}

/**
 * Runs `count` inputs from `from`, stopping at the first broken rule.
 *
 * @param options Count, seed, first index, codec, progress callback.
 * @returns The counters and the failure, if any.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const codec = options.codec ?? CODEC;
  const stats = newStats();
  const from = options.from ?? 0;
  for (let i = 0; i < options.count; i++) {
    const index = from + i;
    const started = performance.now();
    const input = generateInput(options.seed, index, codec);
    const broken = await checkInput(input, codec, stats);
    const ms = performance.now() - started;
    if (ms > stats.slowest.ms) stats.slowest = { index, ms };
    if (broken !== undefined) {
      return {
        stats,
        failure: {
          seed: options.seed,
          index,
          kind: input.kind,
          version: input.version,
          message: broken,
          input: showBytes(input.bytes),
        },
      };
    }
    options.onProgress?.(i + 1, stats);
  }
  return { stats };
}
