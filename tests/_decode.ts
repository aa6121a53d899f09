// Shared helper: every decoder case runs whole, byte by byte and with random
// splits, and must give the same frames, heart-beats and errors each way.

import { assertEquals } from "@std/assert";
import { type DecodeOptions, StompDecoder, StompSyntaxError } from "../mod.ts";
import { prng } from "./_helpers.ts";

/** A decoded frame as plain data, comparable with assertEquals. */
export interface PlainFrame {
  command: string;
  headers: [string, string][];
  body: Uint8Array;
}

/** An error as plain data. */
export interface PlainError {
  name: string;
  message: string;
  offset?: number;
}

/** Everything a decoding produced, in order. */
export interface Outcome {
  frames: PlainFrame[];
  heartbeats: number;
  /** Errors reported through `onError` (resync mode). */
  reported: PlainError[];
  /** The error thrown by push or end, if any. */
  thrown?: PlainError;
  /** Interleaving of frames (F), heart-beats (H) and reported errors (E). */
  order: string;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string; `\0` in the string is a NUL byte. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function plainError(error: unknown): PlainError {
  if (error instanceof StompSyntaxError) {
    return { name: error.name, message: error.message, offset: error.offset };
  }
  if (error instanceof Error) {
    return { name: error.name, message: error.message };
  }
  throw error;
}

/** Plain form of a frame. */
export function plain(frame: {
  command: string;
  headers: Iterable<[string, string]>;
  body: Uint8Array;
}): PlainFrame {
  return {
    command: frame.command,
    headers: [...frame.headers],
    body: frame.body,
  };
}

/** Decodes `input` cut at the given chunk lengths (the rest in one chunk). */
export function decodeChunks(
  input: Uint8Array,
  lengths: Iterable<number>,
  options: DecodeOptions = {},
): Outcome {
  const outcome: Outcome = {
    frames: [],
    heartbeats: 0,
    reported: [],
    order: "",
  };
  const decoder = new StompDecoder({
    ...options,
    onHeartbeat() {
      outcome.heartbeats++;
      outcome.order += "H";
    },
    ...(options.resync
      ? {
        onError(error: StompSyntaxError) {
          outcome.reported.push(plainError(error));
          outcome.order += "E";
        },
      }
      : {}),
  });
  const onFrame = (
    frame: Parameters<Parameters<StompDecoder["decode"]>[1]>[0],
  ) => {
    outcome.frames.push(plain(frame));
    outcome.order += "F";
  };
  let at = 0;
  try {
    for (const length of lengths) {
      if (at >= input.length) break;
      decoder.decode(input.subarray(at, at + length), onFrame);
      at += length;
    }
    if (at < input.length) decoder.decode(input.subarray(at), onFrame);
    decoder.end();
  } catch (error) {
    outcome.thrown = plainError(error);
  }
  return outcome;
}

function* ones(): Generator<number> {
  while (true) yield 1;
}

function* randomLengths(random: () => number, max: number): Generator<number> {
  while (true) yield 1 + Math.floor(random() * max);
}

/**
 * Decodes `input` whole, byte by byte and with random splits (several seeds
 * and sizes); asserts every way gives the same outcome and returns it.
 */
export function decodeAllWays(
  input: Uint8Array | string,
  options: DecodeOptions = {},
): Outcome {
  const data = typeof input === "string" ? bytes(input) : input;
  const whole = decodeChunks(data, [], options);
  assertEquals(decodeChunks(data, ones(), options), whole, "byte by byte");
  for (let seed = 1; seed <= 12; seed++) {
    const random = prng(seed);
    const max = [2, 3, 7, 16, 64, 1000][seed % 6]!;
    assertEquals(
      decodeChunks(data, randomLengths(random, max), options),
      whole,
      `random splits, seed ${seed}, chunks of 1 to ${max} bytes`,
    );
  }
  return whole;
}
