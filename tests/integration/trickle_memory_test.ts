// What a body trickled one byte at a time costs the receiver, measured on the
// heap of a subprocess of its own (tests/bench/trickle_memory.ts, after a
// full GC): through StompDecoderStream, and through StompClient over TCP
// from a server on 127.0.0.1 that writes one byte per write; a header block
// fed the same way; and what a declared content-length makes the decoder
// hold before its bytes come.
// Heap here is V8's heap plus external memory (ArrayBuffer contents).

import { assertEquals, assertLessOrEqual } from "@std/assert";
import { runDeno } from "./_client.ts";

const MiB = 1024 * 1024;

interface Trickle {
  case: string;
  bodyBytes: number;
  heapPerByte: number;
  heapMiB: number;
  rssMiB: number;
  keptPerByte: number;
  bytesPerRead?: number;
}

async function measure(...args: string[]) {
  const run = await runDeno(
    [
      "run",
      "--v8-flags=--expose-gc",
      "--import-map=tests/offline/import_map.json",
      "-A",
      "tests/bench/trickle_memory.ts",
      ...args,
    ],
    {},
    300_000,
  );
  assertEquals(run.code, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

/**
 * The heap grew by at most twice the body, plus 1 MiB for the runtime's own
 * noise (the measurement sees a few hundred KiB either way).
 */
function assertInProportion(result: Trickle) {
  const grown = result.heapMiB * MiB;
  assertLessOrEqual(
    grown,
    2 * result.bodyBytes + MiB,
    `${result.case}: ${result.heapPerByte} B of heap per body byte`,
  );
}

Deno.test("StompDecoderStream fed a body one byte per chunk holds at most about two bytes of heap per body byte", async () => {
  // Before: 211.6 B of heap (and 510 B of RSS) per byte, 1 MB -> 202 MiB.
  const result: Trickle = await measure("stream", "--bytes=1000000");
  assertEquals(result.bodyBytes, 1_000_000);
  assertInProportion(result);
});

Deno.test("StompDecoderStream with bodyChunks fed a body one byte per chunk keeps at most about two bytes per body byte in the frame", async () => {
  // Before: the frame kept a view per byte, 211.6 B each.
  const result: Trickle = await measure(
    "stream",
    "--bytes=1000000",
    "--bodyChunks",
  );
  assertInProportion(result);
  assertLessOrEqual(result.keptPerByte, 2 + MiB / result.bodyBytes);
});

Deno.test("StompClient receiving a body written one byte per write over TCP holds at most about two bytes of heap per body byte", async () => {
  // Before: 154.7 B of heap and 473 B of RSS per byte (reads of 1.36 B).
  const result: Trickle = await measure("client", "--bytes=500000");
  assertEquals(result.bodyBytes, 500_000);
  assertInProportion(result);
});

Deno.test("StompDecoderStream fed a header block one byte per chunk holds at most about two bytes of heap per byte", async () => {
  // Before: 211.2 B of heap per byte (a view per byte, until the block ended).
  const result: Trickle = await measure("head", "--bytes=200000");
  assertInProportion(result);
});

Deno.test("StompDecoder holds a few KiB, not 64 MiB, after content-length:67108864 and 3 bytes", async () => {
  // Before: 67,131,707 B.
  const result = await measure("upfront");
  assertLessOrEqual(result.heapBytes, MiB);
  assertLessOrEqual(result.heapBytesSplit, MiB);
  assertEquals(result.keep, [3, 3]);
});
