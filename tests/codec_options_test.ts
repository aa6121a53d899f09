// Options of the codec given from JavaScript, where no compiler catches a
// misspelt name: `maxBodyByte: 10` used to leave the body limit at its 64 MiB
// default, silently. An unknown name is now a TypeError naming it and the
// closest known one, checked when the decoder or encoder is made.

import { assertEquals, assertThrows } from "@std/assert";
import {
  decodeFrame,
  type DecodeOptions,
  encodeFrame,
  type EncodeOptions,
  send,
  StompDecoder,
  StompDecoderStream,
  StompEncoderStream,
} from "../mod.ts";
import { bytes } from "./_decode.ts";
import { prng } from "./_helpers.ts";

const FRAME = "SEND\ndestination:/q\n\nhi\0";

/** Misspelt decoder options and what the error says after "unknown option". */
const DECODE_TYPOS: [Record<string, unknown>, string][] = [
  [{ maxBodyByte: 10 }, '"maxBodyByte" (did you mean "maxBodyBytes"?)'],
  [{ maxheaders: 2 }, '"maxheaders" (did you mean "maxHeaders"?)'],
  [{ maxHeaderByte: 2 }, '"maxHeaderByte" (did you mean "maxHeaderBytes"?)'],
  [{ onheartbeat: () => {} }, '"onheartbeat" (did you mean "onHeartbeat"?)'],
  [{ bodyChunk: true }, '"bodyChunk" (did you mean "bodyChunks"?)'],
  [{ versoin: "1.1" }, '"versoin" (did you mean "version"?)'],
  [{ limits: { maxBodyBytes: 1 } }, '"limits"'],
];

Deno.test("StompDecoder refuses an unknown option, naming the closest known one", () => {
  for (const [options, detail] of DECODE_TYPOS) {
    const error = assertThrows(
      () => new StompDecoder(options as DecodeOptions),
      TypeError,
    );
    assertEquals(
      error.message,
      `Cannot create decoder: unknown option ${detail}`,
    );
  }
});

Deno.test("StompDecoderStream refuses an unknown option when it is made", () => {
  for (const [options, detail] of DECODE_TYPOS) {
    assertThrows(
      () => new StompDecoderStream(options as DecodeOptions),
      TypeError,
      `Cannot create decoder: unknown option ${detail}`,
    );
  }
});

Deno.test("decodeFrame refuses an unknown option", () => {
  assertThrows(
    () => decodeFrame(bytes(FRAME), { maxBodyByte: 1 } as DecodeOptions),
    TypeError,
    'unknown option "maxBodyByte" (did you mean "maxBodyBytes"?)',
  );
});

Deno.test("StompDecoder takes every known option, and an unknown one set to undefined", () => {
  const decoder = new StompDecoder({
    version: "1.1",
    maxHeaderLineBytes: 100,
    maxHeaderBytes: 1000,
    maxHeaders: 10,
    maxBodyBytes: 2,
    onHeartbeat: () => {},
    resync: false,
    onError: () => {},
    bodyChunks: true,
    maxBodyByte: undefined,
  } as DecodeOptions);
  const frames: string[] = [];
  decoder.decode(bytes(FRAME), (frame) => frames.push(frame.text));
  assertEquals(frames, ["hi"]);
});

/** `target` behind a proxy that counts every read of it. */
function counted<T extends object>(
  target: T,
): { value: T; reads: () => number } {
  let reads = 0;
  const handler: ProxyHandler<T> = {};
  for (const trap of ["get", "has", "ownKeys", "getOwnPropertyDescriptor"]) {
    // deno-lint-ignore no-explicit-any
    (handler as any)[trap] = (...args: unknown[]) => {
      reads++;
      // deno-lint-ignore no-explicit-any
      return (Reflect as any)[trap](...args);
    };
  }
  return { value: new Proxy(target, handler), reads: () => reads };
}

Deno.test("StompDecoderStream reads its options when it is made, never per frame", async () => {
  const options = counted({ maxBodyBytes: 10, bodyChunks: false });
  const stream = new StompDecoderStream(options.value);
  const made = options.reads();
  const frames = await Array.fromAsync(
    ReadableStream.from([bytes(FRAME.repeat(5)), bytes(FRAME)])
      .pipeThrough(stream),
  );
  assertEquals(frames.length, 6);
  assertEquals(options.reads(), made);
});

Deno.test("encodeFrame refuses an unknown option, naming the closest known one", () => {
  for (
    const [options, detail] of [
      [
        { contentlength: false },
        '"contentlength" (did you mean "contentLength"?)',
      ],
      [{ versoin: "1.0" }, '"versoin" (did you mean "version"?)'],
      [{ escape: false }, '"escape"'],
    ] as const
  ) {
    const error = assertThrows(
      () => encodeFrame(send("/q", "x"), options as unknown as EncodeOptions),
      TypeError,
    );
    assertEquals(
      error.message,
      `Cannot encode frame: unknown option ${detail}`,
    );
  }
  assertEquals(
    encodeFrame(send("/q", "x"), {
      version: "1.1",
      contentLength: false,
      contentlength: undefined,
    } as EncodeOptions).length,
    "SEND\ndestination:/q\n\nx\0".length,
  );
});

Deno.test("StompEncoderStream refuses an unknown option when it is made, and reads its options then only", async () => {
  assertThrows(
    () => new StompEncoderStream({ contentlenght: false } as EncodeOptions),
    TypeError,
    'Cannot create encoder: unknown option "contentlenght" (did you mean "contentLength"?)',
  );
  const options = counted({ contentLength: false, version: "1.1" } as const);
  const stream = new StompEncoderStream(options.value);
  const made = options.reads();
  const chunks = await Array.fromAsync(
    ReadableStream.from([send("/q", "x"), send("/q", "y")]).pipeThrough(stream),
  );
  assertEquals(chunks.length, 2);
  assertEquals(options.reads(), made);
});

// JavaScript callers pass null for "no options"; anything else that is not an
// object is a TypeError saying what it was.

/** Values that are neither an options object nor null, and how they show. */
const NOT_OPTIONS: [unknown, string][] = [
  [5, "got 5"],
  ["1.2", 'got "1.2"'],
  [true, "got true"],
  [() => {}, "got a function"],
];

Deno.test("StompDecoder takes null as no options, decoding whole, byte by byte and in random splits", () => {
  const input = bytes(`${FRAME}\n${FRAME}`);
  const cuts: number[][] = [[], Array(input.length).fill(1)];
  const random = prng(7);
  for (let round = 0; round < 8; round++) {
    cuts.push(Array.from({ length: 20 }, () => 1 + Math.floor(random() * 9)));
  }
  for (const lengths of cuts) {
    const decoder = new StompDecoder(null as unknown as DecodeOptions);
    const texts: string[] = [];
    let at = 0;
    for (const length of [...lengths, input.length]) {
      decoder.decode(
        input.subarray(at, at + length),
        (frame) => texts.push(frame.text),
      );
      at += length;
      if (at >= input.length) break;
    }
    decoder.end();
    assertEquals(texts, ["hi", "hi"], `cut at ${lengths}`);
  }
  assertEquals(
    decodeFrame(bytes(FRAME), null as unknown as DecodeOptions).text,
    "hi",
  );
});

Deno.test("StompDecoderStream takes null as no options", async () => {
  const frames = await Array.fromAsync(
    ReadableStream.from([bytes(FRAME).subarray(0, 3), bytes(FRAME).subarray(3)])
      .pipeThrough(new StompDecoderStream(null as unknown as DecodeOptions)),
  );
  assertEquals(frames.map((frame) => frame.text), ["hi"]);
});

Deno.test("StompDecoder, StompDecoderStream and decodeFrame refuse options that are not an object, saying what they got", () => {
  for (const [options, detail] of NOT_OPTIONS) {
    const given = options as DecodeOptions;
    for (
      const [make, what] of [
        [() => new StompDecoder(given), "Cannot create decoder"],
        [() => new StompDecoderStream(given), "Cannot create decoder"],
        [() => decodeFrame(bytes(FRAME), given), "Cannot decode frame"],
      ] as const
    ) {
      const error = assertThrows(make, TypeError);
      assertEquals(
        error.message,
        `${what}: options must be an object, ${detail}`,
      );
    }
  }
});

Deno.test("encodeFrame and StompEncoderStream take null as no options", async () => {
  const frame = send("/q", "x");
  const none = null as unknown as EncodeOptions;
  assertEquals(encodeFrame(frame, none), encodeFrame(frame));
  const chunks = await Array.fromAsync(
    ReadableStream.from([frame]).pipeThrough(new StompEncoderStream(none)),
  );
  assertEquals(chunks, [encodeFrame(frame)]);
});

Deno.test("encodeFrame and StompEncoderStream refuse options that are not an object, saying what they got", () => {
  for (const [options, detail] of NOT_OPTIONS) {
    const given = options as EncodeOptions;
    assertThrows(
      () => encodeFrame(send("/q", "x"), given),
      TypeError,
      `Cannot encode frame: options must be an object, ${detail}`,
    );
    assertThrows(
      () => new StompEncoderStream(given),
      TypeError,
      `Cannot create encoder: options must be an object, ${detail}`,
    );
  }
});
