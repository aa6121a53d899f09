// Bad input: random bytes and mutated valid frames must give frames or the
// documented errors (StompSyntaxError, RangeError), never anything else, never
// a hang, and never more buffered bytes than the limits.

import { assert, assertEquals } from "@std/assert";
import {
  type DecodeOptions,
  encodeFrame,
  message,
  send,
  StompDecoder,
  StompSyntaxError,
  subscribe,
} from "../mod.ts";
import { decodeChunks, prng } from "./_decode.ts";

const LIMITS = {
  maxHeaderLineBytes: 64,
  maxHeaderBytes: 256,
  maxHeaders: 8,
  maxBodyBytes: 512,
} as const;

function check(
  input: Uint8Array,
  random: () => number,
  options: DecodeOptions,
) {
  const reported: unknown[] = [];
  const decoder = new StompDecoder({
    ...LIMITS,
    ...options,
    ...(options.resync
      ? { onError: (e: StompSyntaxError) => reported.push(e) }
      : {}),
  });
  let at = 0;
  try {
    while (at < input.length) {
      const length = 1 + Math.floor(random() * 40);
      decoder.push(input.subarray(at, at + length));
      at += length;
      assert(
        decoder.buffered <= LIMITS.maxBodyBytes,
        `buffered ${decoder.buffered}`,
      );
    }
    decoder.end();
  } catch (error) {
    assert(
      error instanceof StompSyntaxError || error instanceof RangeError,
      `unexpected ${error}`,
    );
    if (options.resync) {
      assert(error instanceof RangeError, `resync threw ${error}`);
    }
  }
  for (const error of reported) assert(error instanceof StompSyntaxError);
}

const SAMPLES = [
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
];

Deno.test("StompDecoder survives random bytes with only documented errors", () => {
  const random = prng(42);
  for (let round = 0; round < 300; round++) {
    const input = new Uint8Array(Math.floor(random() * 600));
    // Bias towards the bytes that matter to the grammar.
    const interesting = [0x00, 0x0a, 0x0d, 0x3a, 0x5c, 0x63, 0x6e, 0xff];
    for (let i = 0; i < input.length; i++) {
      input[i] = random() < 0.5
        ? interesting[Math.floor(random() * 8)]!
        : Math.floor(random() * 256);
    }
    check(input, random, {});
    check(input, random, { resync: true });
  }
});

Deno.test("StompDecoder survives mutated valid frames with only documented errors", () => {
  const random = prng(7);
  for (let round = 0; round < 2000; round++) {
    const sample = SAMPLES[round % SAMPLES.length]!;
    const bytes = [...sample, ...SAMPLES[(round + 1) % SAMPLES.length]!];
    const mutations = 1 + Math.floor(random() * 4);
    for (let m = 0; m < mutations; m++) {
      const at = Math.floor(random() * bytes.length);
      const kind = random();
      if (kind < 0.4) bytes[at] = Math.floor(random() * 256);
      else if (kind < 0.7) bytes.splice(at, 1);
      else {bytes.splice(
          at,
          0,
          [0x00, 0x0a, 0x0d, 0x3a, 0x5c][Math.floor(random() * 5)]!,
        );}
    }
    const input = new Uint8Array(bytes);
    check(input, random, {});
    check(input, random, { resync: true });
    // Chunking never changes the outcome, even for broken input.
    const options = { ...LIMITS, resync: true, onError() {} };
    const whole = decodeChunks(input, [], options);
    const split = [1, 2, 3, 5, 8, 13, 21, 34, 55];
    assertEquals(whole, decodeChunks(input, split, options));
    // So does keeping spanning bodies as chunk views.
    assertEquals(
      whole,
      decodeChunks(input, split, { ...options, bodyChunks: true }),
    );
  }
});

Deno.test("StompDecoder stops a flood without a NUL at the body limit", () => {
  const decoder = new StompDecoder({ maxBodyBytes: 1 << 20 });
  decoder.push(new TextEncoder().encode("SEND\n\n"));
  const flood = new Uint8Array(64 * 1024).fill(0x41);
  let pushed = 0;
  let error: unknown;
  try {
    for (let i = 0; i < 1000; i++) {
      decoder.push(flood);
      pushed += flood.length;
    }
  } catch (e) {
    error = e;
  }
  assert(error instanceof RangeError);
  assertEquals(pushed, 1 << 20);
  assert(decoder.buffered === 0);
});
