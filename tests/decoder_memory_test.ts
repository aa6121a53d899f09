// What the decoder holds while a frame arrives: in proportion to the bytes
// received, however small the chunks (no view per byte of a trickled body
// or header block) and whatever length a frame declares. The heap itself is
// measured in tests/integration/trickle_memory_test.ts; these tests check
// deterministically what the decoder keeps: which pushed bytes it still
// refers to (by overwriting a chunk after pushing it) and what it allocated
// (`buffered`). Every body case also runs whole, byte by byte and in random
// splits, with chunks that share one buffer and with chunks that own theirs.

import {
  assertEquals,
  assertLessOrEqual,
  assertStrictEquals,
} from "@std/assert";
import { type DecodeOptions, StompDecoder, type StompFrame } from "../mod.ts";
import {
  bytes,
  decodeAllWays,
  decodeChunks,
  type Outcome,
  plain,
} from "./_decode.ts";
import { prng } from "./_helpers.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** A body of `length` bytes without NUL. */
function body(length: number, seed = 1): Uint8Array {
  const random = prng(seed);
  return new Uint8Array(length).map(() => 1 + Math.floor(random() * 255));
}

function join(...parts: (string | Uint8Array)[]): Uint8Array {
  const encoded = parts.map((p) => typeof p === "string" ? bytes(p) : p);
  const out = new Uint8Array(encoded.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of encoded) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Decodes `input` in chunks that each own their buffer (as a socket read
 * hands them out), and overwrites each chunk once the next is pushed: the
 * outcome is right only if the decoder kept no reference to a chunk it was
 * done with, save by the documented rules (checked through `frames`).
 */
function decodeOwned(
  input: Uint8Array,
  lengths: Iterable<number>,
  options: DecodeOptions = {},
): { frames: StompFrame[]; thrown?: unknown } {
  const frames: StompFrame[] = [];
  const decoder = new StompDecoder(options);
  let at = 0;
  try {
    for (const length of lengths) {
      if (at >= input.length) break;
      decoder.decode(input.slice(at, at + length), (f) => frames.push(f));
      at += length;
    }
    if (at < input.length) {
      decoder.decode(input.slice(at), (f) => frames.push(f));
    }
    decoder.end();
  } catch (error) {
    return { frames, thrown: error };
  }
  return { frames };
}

function* randomLengths(seed: number, max: number): Generator<number> {
  const random = prng(seed);
  while (true) yield 1 + Math.floor(random() * max);
}

function* ones(): Generator<number> {
  while (true) yield 1;
}

/**
 * Decodes every way (decodeAllWays: whole, byte by byte, random splits of
 * one buffer) and again in chunks that own their buffers, with and without
 * bodyChunks; all must agree. Returns the outcome.
 */
function decodeEveryWay(input: Uint8Array, options: DecodeOptions = {}) {
  const whole = decodeAllWays(input, options);
  assertEquals(decodeAllWays(input, { ...options, bodyChunks: true }), whole);
  const splits: [string, Iterable<number>][] = [
    ["owned, byte by byte", ones()],
    ["owned, 1-3 bytes", randomLengths(1, 3)],
    ["owned, 1-2000 bytes", randomLengths(2, 2000)],
    ["owned, 1-70000 bytes", randomLengths(3, 70000)],
  ];
  for (const bodyChunks of [false, true]) {
    for (const [name, lengths] of splits) {
      const owned = decodeOwned(input, lengths, { ...options, bodyChunks });
      assertEquals(
        owned.frames.map(plain),
        whole.frames,
        `${name}, bodyChunks ${bodyChunks}`,
      );
      assertEquals(owned.thrown === undefined, whole.thrown === undefined);
    }
  }
  return whole;
}

Deno.test("StompDecoder decodes bodies that span chunks the same whatever their size, length and splits", () => {
  const sizes = [0, 1, 1000, 4 * KiB + 1, 64 * KiB, 64 * KiB + 1, 200 * KiB];
  for (const size of sizes) {
    const b = body(size, size);
    // With content-length (NULs inside), then without, then a small frame.
    const withNuls = b.map((x, i) => i % 1000 === 7 ? 0 : x);
    const input = join(
      `MESSAGE\ndestination:/q\ncontent-length:${size}\n\n`,
      withNuls,
      "\0\n",
      "MESSAGE\ndestination:/q\n\n",
      b,
      "\0",
      "RECEIPT\nreceipt-id:1\n\n\0",
    );
    const out = decodeEveryWay(input);
    assertEquals(out.thrown, undefined);
    assertEquals(out.frames.map((f) => f.body), [
      withNuls,
      b,
      new Uint8Array(),
    ]);
    assertEquals(out.heartbeats, 1);
  }
});

Deno.test("StompDecoder keeps to maxBodyBytes for bodies collected in blocks", () => {
  // The limit, with and without content-length, just under and over it, a
  // limit that is not a block size.
  for (const limit of [5000, 70_000]) {
    const fits = body(limit);
    const ok = decodeEveryWay(
      join(
        "SEND\n\n",
        fits,
        "\0SEND\ncontent-length:",
        `${limit}\n\n`,
        fits,
        "\0",
      ),
      { maxBodyBytes: limit },
    );
    assertEquals(ok.frames.map((f) => f.body.length), [limit, limit]);
    const over = decodeAllWays(join("SEND\n\n", body(limit + 1), "\0"), {
      maxBodyBytes: limit,
    });
    assertEquals(
      over.thrown?.message,
      `Frame body exceeds the limit of ${limit} bytes at byte ${6 + limit}`,
    );
  }
});

Deno.test("StompDecoder copies a body trickled in tiny chunks into blocks and keeps no chunk (with bodyChunks, only the first)", () => {
  const size = 300 * KiB;
  const b = body(size);
  for (const head of ["MESSAGE\n\n", `MESSAGE\ncontent-length:${size}\n\n`]) {
    for (const bodyChunks of [false, true]) {
      const decoder = new StompDecoder({ bodyChunks });
      assertEquals(decoder.push(bytes(head)), []);
      let previous: Uint8Array | undefined;
      let first: Uint8Array | undefined;
      let most = 0;
      for (let i = 0; i < size; i++) {
        const chunk = b.slice(i, i + 1); // a chunk that owns its buffer
        first ??= chunk;
        assertEquals(decoder.push(chunk), []);
        // The chunk before is not referred to any more: overwrite it (with
        // bodyChunks, the body's first piece stays a view).
        if (!bodyChunks || previous !== first) previous?.fill(0);
        previous = chunk;
        most = Math.max(most, decoder.buffered - 2 * (i + 1));
      }
      const [frame] = decoder.push(bytes("\0"));
      if (bodyChunks) {
        // The first piece's view, then a few blocks, not a view per byte.
        assertStrictEquals(frame!.bodyChunks[0]!.buffer, first!.buffer);
        assertLessOrEqual(frame!.bodyChunks.length, 20);
      }
      assertEquals(frame?.body, b, `${head.length} ${bodyChunks}`);
      assertEquals(decoder.buffered, 0);
      // What it allocated: at most twice the bytes received, plus a block.
      assertLessOrEqual(most, 64 * KiB);
    }
  }
});

Deno.test("StompDecoder holds at most about twice what a trickled body received, plus a block", () => {
  for (const declared of [undefined, 4 * MiB]) {
    const decoder = new StompDecoder();
    const head = declared === undefined
      ? "MESSAGE\n\n"
      : `MESSAGE\ncontent-length:${declared}\n\n`;
    decoder.push(bytes(head));
    const one = new Uint8Array([0x61]);
    let received = 0;
    for (const target of [1, 10, 5000, 70_000, 300_000, 1_000_000]) {
      while (received < target) {
        decoder.push(one.slice());
        received++;
      }
      assertLessOrEqual(
        decoder.buffered,
        2 * received + 64 * KiB,
        `${received} bytes received, content-length ${declared}`,
      );
    }
  }
});

Deno.test("StompDecoder does not allocate a large declared content-length before its bytes come", () => {
  const declared = 64 * MiB;
  const head = `MESSAGE\ndestination:/q\ncontent-length:${declared}\n\n`;
  // In one chunk with the head, and after it.
  for (const chunks of [[head + "abc"], [head, "abc"], [head, "a", "b", "c"]]) {
    const decoder = new StompDecoder();
    for (const chunk of chunks) assertEquals(decoder.push(bytes(chunk)), []);
    assertLessOrEqual(decoder.buffered, 64 * KiB);
  }
  // As bytes come, it grows with them, geometrically.
  const decoder = new StompDecoder();
  decoder.push(bytes(head));
  const piece = new Uint8Array(100 * KiB).fill(0x61);
  let received = 0;
  let most = 0;
  while (received < 8 * MiB) {
    decoder.push(piece.slice(0, 500));
    decoder.push(piece.slice());
    received += 500 + piece.length;
    most = Math.max(most, decoder.buffered - 2 * received);
  }
  assertLessOrEqual(most, 128 * KiB);
  // A modest declared length is allocated in full once it spans chunks.
  const modest = new StompDecoder();
  modest.push(bytes("MESSAGE\ncontent-length:60000\n\nab"));
  modest.push(bytes("cd"));
  assertEquals(modest.buffered, 60000);
});

Deno.test("StompDecoder keeps large pieces by reference and copies pieces of a much larger buffer", () => {
  const b = body(512 * KiB);
  const head = bytes(`MESSAGE\ncontent-length:${b.length}\n\n`);
  const wire = join(head, b, "\0");
  // 64 KiB chunks that own their buffers: kept by reference, joined once.
  const cut = [0, 40_000, 104_000, 300_000, wire.length];
  const owned = cut.slice(1).map((end, i) => wire.slice(cut[i], end));
  const decoder = new StompDecoder({ bodyChunks: true });
  for (const chunk of owned.slice(0, -1)) decoder.push(chunk);
  const [frame] = decoder.push(owned.at(-1)!);
  assertEquals(
    frame?.bodyChunks.map((c) => c.buffer),
    owned.map((c) => c.buffer),
  );
  assertEquals(frame?.body, b);
  // Views of a buffer many times larger than the body: keeping them would
  // keep the buffer for a few KiB of body each, so they are copied, and
  // overwriting the buffer then changes nothing.
  const shared = new Uint8Array(16 * MiB);
  shared.set(wire);
  for (const bodyChunks of [false, true]) {
    const viewing = new StompDecoder({ bodyChunks });
    const frames: StompFrame[] = [];
    for (let at = 0; at < wire.length; at += 2000) {
      const end = Math.min(at + 2000, wire.length);
      viewing.decode(shared.subarray(at, end), (f) => frames.push(f));
      if (at > 0 && end < wire.length) shared.fill(0, at, end);
    }
    assertEquals(frames[0]?.body, b);
    shared.set(wire);
  }
});

Deno.test("StompDecoder hands out a large body that came in one chunk as a view of it", () => {
  const b = body(100 * KiB);
  for (
    const head of ["MESSAGE\n\n", `MESSAGE\ncontent-length:${b.length}\n\n`]
  ) {
    const decoder = new StompDecoder();
    decoder.push(bytes(head));
    const chunk = b.slice();
    assertEquals(decoder.push(chunk), []);
    assertEquals(decoder.buffered, b.length); // by reference
    const [frame] = decoder.push(bytes("\0"));
    assertStrictEquals(frame?.body.buffer, chunk.buffer);
  }
});

Deno.test("StompDecoder copies a header block trickled byte by byte and keeps no chunk", () => {
  const value = "v".repeat(20_000);
  const wire = bytes(`SEND\ndestination:/q\nx:${value}\nempty:\n\nhi\0`);
  const expected = decodeChunks(wire, []);
  const out: Outcome = decodeAllWays(wire);
  assertEquals(out, expected);
  const owned = decodeOwned(wire, ones());
  assertEquals(owned.frames.map(plain), expected.frames);
  // Overwriting each chunk once the next is pushed changes nothing.
  const decoder = new StompDecoder();
  let previous: Uint8Array | undefined;
  const frames: StompFrame[] = [];
  for (let i = 0; i < wire.length; i++) {
    const chunk = wire.slice(i, i + 1);
    decoder.decode(chunk, (f) => frames.push(f));
    previous?.fill(0x7a);
    previous = chunk;
  }
  assertEquals(frames.map(plain), expected.frames);
  assertEquals(frames[0]?.headers.get("x"), value);
});
