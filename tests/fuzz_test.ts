// Bad input: random bytes, mutated valid frames and encoded random frames
// must give frames or the documented errors (StompSyntaxError, RangeError),
// the same however chunked, never more buffered bytes than the limits, and
// the frames that were encoded. The generators and rules live in
// tests/fuzz/_fuzz.ts, shared with `deno task fuzz` (1,000,000 inputs); this
// runs a few thousand of them, and proves each rule catches a broken codec.

import { assert, assertEquals, assertGreater, assertMatch } from "@std/assert";
import {
  type DecodeOptions,
  encodeFrame,
  StompDecoder,
  StompFrame,
  type StompSyntaxError,
} from "../mod.ts";
import {
  CODEC,
  type FuzzCodec,
  type FuzzReport,
  generateInput,
  runFuzz,
  showBytes,
  writable,
} from "./fuzz/_fuzz.ts";

Deno.test("runFuzz keeps every rule over 1,500 inputs and reaches every kind of input and error", async () => {
  const { stats, failure } = await runFuzz({ count: 1500, seed: 1 });
  assertEquals(failure, undefined);
  assertEquals(stats.inputs, 1500);
  for (const kind of ["random", "mutated", "roundtrip"] as const) {
    assertGreater(stats.byKind[kind], 200, kind);
  }
  for (
    const error of [
      "StompSyntaxError thrown",
      "StompSyntaxError reported",
      "RangeError thrown",
    ]
  ) {
    assertGreater(stats.errors[error] ?? 0, 0, error);
  }
  // Every documented limit and most syntax errors, not only the easy ones.
  for (
    const message of [
      "Header line exceeds the limit of N bytes at byte N",
      "Header block exceeds the limit of N bytes at byte N",
      "Frame has more than N headers at byte N",
      "Frame body exceeds the limit of N bytes at byte N",
      "Frame content-length N exceeds the limit of N bytes at byte N",
      "Unknown command … at byte N",
      "Undefined escape sequence … in header line … at byte N",
      "Frame body is not followed by NUL where content-length says it ends at byte N",
    ]
  ) {
    assertGreater(stats.messages[message] ?? 0, 0, message);
  }
  assertGreater(stats.roundTrips, 500);
  assertGreater(stats.refused, 0);
  assertEquals(stats.chunkings, 1500 * 6);
});

Deno.test("generateInput gives the same bytes for the same seed and index, other bytes for others", () => {
  const a = generateInput(7, 123);
  assertEquals(showBytes(generateInput(7, 123).bytes), showBytes(a.bytes));
  assertEquals(generateInput(7, 123).kind, a.kind);
  const others = new Set<string>();
  for (let i = 0; i < 50; i++) others.add(showBytes(generateInput(7, i).bytes));
  others.add(showBytes(generateInput(8, 123).bytes));
  assertGreater(others.size, 45);
});

Deno.test("writable follows the encoder's documented refusals", () => {
  const frame = (headers: [string, string][], command = "SEND" as const) => ({
    command,
    headers,
    body: new Uint8Array(0),
  });
  assert(writable(frame([["a:b", "c\nd"]]), "1.2"));
  assert(!writable(frame([["a:b", "c"]]), "1.0"));
  assert(!writable(frame([["a", "c\nd"]]), "1.0"));
  assert(!writable(frame([["a", "c\0"]]), "1.2"));
  assert(!writable(frame([["", "c"]]), "1.2"));
  assert(!writable(frame([["a", "c\r"]]), "1.1"));
  assert(writable(frame([["a", "c\r"]]), "1.2"));
  assert(writable(frame([["content-length", "\0"]]), "1.0"));
});

/** Runs until a broken rule, and checks that replaying it alone breaks it again. */
async function expectFailure(
  codec: FuzzCodec,
  pattern: RegExp,
): Promise<FuzzReport["failure"]> {
  const { failure } = await runFuzz({ count: 3000, seed: 1, codec });
  assert(failure !== undefined, "no rule broke");
  assertMatch(failure.message, pattern);
  const replay = await runFuzz({
    count: 1,
    seed: failure.seed,
    from: failure.index,
    codec,
  });
  assertEquals(replay.failure, failure);
  assertEquals(replay.stats.inputs, 1);
  // The same input passes with the real codec.
  const real = await runFuzz({
    count: 1,
    seed: failure.seed,
    from: failure.index,
  });
  assertEquals(real.failure, undefined);
  return failure;
}

Deno.test("runFuzz reports an undocumented error, and its replay fails the same (mock: a broken decoder)", async () => {
  class Throws extends StompDecoder {
    override decode(chunk: Uint8Array, onFrame: (f: StompFrame) => void) {
      if (chunk.includes(0xff)) throw new TypeError("Broken on purpose");
      super.decode(chunk, onFrame);
    }
  }
  await expectFailure(
    { ...CODEC, Decoder: Throws },
    /decoder threw TypeError: Broken on purpose/,
  );
});

Deno.test("runFuzz reports a syntax error thrown despite resync (mock: a broken decoder)", async () => {
  class Rethrows extends StompDecoder {
    constructor(options: DecodeOptions = {}) {
      super(
        options.resync
          ? {
            ...options,
            onError: (error: StompSyntaxError) => {
              throw error;
            },
          }
          : options,
      );
    }
  }
  await expectFailure(
    { ...CODEC, Decoder: Rethrows },
    /threw StompSyntaxError: .* despite resync/,
  );
});

Deno.test("runFuzz reports output that depends on the chunking (mock: a broken decoder)", async () => {
  class Chunky extends StompDecoder {
    override decode(chunk: Uint8Array, onFrame: (f: StompFrame) => void) {
      // Loses the frames a one-byte chunk completes.
      super.decode(chunk, chunk.length === 1 ? () => {} : onFrame);
    }
  }
  await expectFailure(
    { ...CODEC, Decoder: Chunky },
    /whole vs byte by byte: order/,
  );
});

Deno.test("runFuzz reports more bytes buffered than the limits (mock: a broken decoder)", async () => {
  class Hoards extends StompDecoder {
    override get buffered(): number {
      return super.buffered === 0 ? 0 : super.buffered + 512;
    }
  }
  await expectFailure(
    { ...CODEC, Decoder: Hoards },
    /buffered [0-9]+ bytes, over the limit of [0-9]+/,
  );
});

Deno.test("runFuzz reports an encoder that writes what it cannot write faithfully (mock: a broken encoder)", async () => {
  const encode: typeof encodeFrame = (frame, options) => {
    try {
      return encodeFrame(frame, options);
    } catch {
      // Drops the headers it cannot write instead of refusing.
      return encodeFrame({ command: "SEND" }, options);
    }
  };
  await expectFailure({ ...CODEC, encode }, /wrote an unwritable/);
});

Deno.test("runFuzz reports a round trip that changes a frame (mock: a broken encoder)", async () => {
  const encode: typeof encodeFrame = (frame, options) => {
    if (typeof frame !== "object" || frame.command !== "MESSAGE") {
      return encodeFrame(frame, options);
    }
    const headers = new StompFrame("SEND", frame.headers).headers;
    headers.append("extra", "x");
    return encodeFrame({ ...frame, headers }, options);
  };
  await expectFailure(
    { ...CODEC, encode },
    /round trip: frame [0-9]+, decoded vs encoded: headers/,
  );
});

Deno.test("runFuzz reports a stream that loses frames (mock: a broken stream)", async () => {
  class Leaky extends TransformStream<Uint8Array, StompFrame> {
    constructor(options: DecodeOptions = {}) {
      const decoder = new StompDecoder(options);
      let n = 0;
      super({
        transform(chunk, controller) {
          decoder.decode(chunk, (frame) => {
            if (n++ % 2 === 0) controller.enqueue(frame);
          });
        },
        flush() {
          decoder.end();
        },
      });
    }
  }
  await expectFailure(
    { ...CODEC, DecoderStream: Leaky },
    /^stream: /,
  );
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
