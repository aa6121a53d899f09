// One group of measurements, run in a child process of its own (see bench.ts
// for why): it builds its workloads, warms every contender up, then times
// interleaved rounds and prints a GroupResult as JSON.

import { StompDecoder } from "../../src/decoder.ts";
import { StompDecoderStream } from "../../src/decoder_stream.ts";
import type { StompFrame } from "../../src/frame.ts";
import {
  checkDecoded,
  checkEncoded,
  CheckError,
  checkTally,
} from "./_checks.ts";
import {
  copyLimit,
  DECODERS,
  ENCODERS,
  enqueueLimit,
  framesPerChunk,
  freshCopyLimit,
  identityStreamLimit,
  runsOn,
  scanLimit,
  stompitDecoder,
} from "./_contenders.ts";
import {
  chunks,
  DECODE_IDS,
  type DecodeId,
  type DecodeWorkload,
  decodeWorkload,
  ENCODE_IDS,
  encodeWorkload,
  scanBuffer,
} from "./_workloads.ts";

/** The groups, each run in its own process, in this order. */
export const GROUPS = {
  "W1+W4": ["W1", "W4"],
  "W2": ["W2"],
  "W3": ["W3"],
  "W5": ["W5"],
  "E1": ["E1"],
  "E2": ["E2"],
} as const;

/** A group name. */
export type Group = keyof typeof GROUPS;

/** The pseudo-workload the runtime limits are recorded under. */
export const LIMITS = "limits";
/** Names of the runtime limits. */
export const LIMIT = {
  scan: "indexOf(0) scan",
  copy: "set copy",
  freshW3: "fresh buffer + copy, per W3 body",
  freshE2: "fresh buffer + copy, per E2 frame",
  identity: "identity TransformStream per chunk",
  enqueue: "TransformStream enqueue per frame",
} as const;

/** What the tables need to know about a workload. */
export interface WorkloadInfo {
  readonly id: string;
  readonly title: string;
  readonly frames: number;
  /** Wire bytes (decoders) or body bytes (encoders). */
  readonly bytes: number;
  readonly bodyBytes: number;
  readonly chunks?: number;
  readonly heartbeats?: number;
  readonly bodiesInOneChunk?: number;
}

/** What a child reports. */
export interface GroupResult {
  readonly workloads: WorkloadInfo[];
  /** Milliseconds per round, by workload then contender. */
  readonly timings: Record<string, Record<string, number[]>>;
  /** Bodies handed out as views, by workload then contender (every round). */
  readonly views: Record<string, Record<string, number[]>>;
  /**
   * Minor page faults during each timed run (Linux; else 0): first touches
   * of fresh memory, which cost W3 more than its copying when they occur.
   */
  readonly faults: Record<string, Record<string, number[]>>;
  /** Bytes the limits ran over. */
  readonly limitBytes?: number;
  readonly memory?: Record<string, Memory>;
  /** Body copies per frame, by encoder. */
  readonly copies?: Record<string, number>;
}

const gc = (globalThis as {
  gc?: (options?: { type: "minor" | "major"; execution?: "sync" }) => void;
}).gc;

/**
 * Clears the young generation before a timed run, so that no contender pays
 * for the short-lived garbage of the one before. Never a full collection: in
 * V8 one throws away optimized code, so every contender's next run would
 * start cold (W1 measured 71 -> 96 ms), a cost a short run cannot amortise.
 */
function collect(): void {
  gc?.({ type: "minor" });
}

/** A full collection, for the memory measurements only. */
function collectAll(): void {
  gc?.();
}

/**
 * Collects until memory is settled: WeakRef targets stay alive until the job
 * ends, and freed ArrayBuffer memory is accounted for once the sweeper ran.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    collectAll();
  }
}

type Hooked = Record<string, unknown>;

/**
 * Counts copies of at least `minBytes` made while `run` executes: through
 * `TypedArray.prototype.set` and `slice`, `ArrayBuffer.prototype.slice`, and
 * `new Uint8Array(arrayLike)`. These are the ways a codec copies a body: a
 * copy by any other means (a loop, `copyWithin`, a Blob) goes uncounted.
 */
export function countCopies(run: () => unknown, minBytes: number): number {
  let copies = 0;
  const typed = Uint8Array.prototype as unknown as Hooked;
  const buffer = ArrayBuffer.prototype as unknown as Hooked;
  const set = typed.set as (this: Uint8Array, ...args: unknown[]) => void;
  const slice = typed.slice as (
    this: Uint8Array,
    ...a: unknown[]
  ) => Uint8Array;
  const bufferSlice = buffer.slice as (
    this: ArrayBuffer,
    ...args: unknown[]
  ) => ArrayBuffer;
  const Original = globalThis.Uint8Array;
  typed.set = function (this: Uint8Array, ...args: unknown[]) {
    if (((args[0] as ArrayLike<number>)?.length ?? 0) >= minBytes) copies++;
    return set.apply(this, args);
  };
  typed.slice = function (this: Uint8Array, ...args: unknown[]) {
    const result = slice.apply(this, args);
    if (result.length >= minBytes) copies++;
    return result;
  };
  buffer.slice = function (this: ArrayBuffer, ...args: unknown[]) {
    const result = bufferSlice.apply(this, args);
    if (result.byteLength >= minBytes) copies++;
    return result;
  };
  globalThis.Uint8Array = new Proxy(Original, {
    construct(target, args, newTarget) {
      const source = args[0];
      if (
        typeof source === "object" && source !== null &&
        !(source instanceof ArrayBuffer) &&
        !(source instanceof SharedArrayBuffer) &&
        ((source as ArrayLike<number>).length ?? 0) >= minBytes
      ) copies++;
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    run();
  } finally {
    delete typed.set;
    delete typed.slice;
    delete buffer.slice;
    globalThis.Uint8Array = Original;
  }
  return copies;
}

export interface Memory {
  /** Peak growth of the JS heap while decoding, sampled after every chunk. */
  heapPeak: number;
  /** Peak growth of external memory (ArrayBuffer contents), likewise. */
  externalPeak: number;
  /** Growth of the JS heap and external memory after a full collection at the end. */
  retained: number;
  /** Bodies still alive after that collection. */
  bodiesAlive: number;
}

/**
 * Decodes W3 while sampling memory after every chunk. Collections are left
 * to V8 (forcing one per chunk would measure the collector, not us); the
 * bodies are dropped as soon as they are counted, as a consumer that is done
 * with them would, and weak references tell whether any survived.
 */
export async function measureMemory(
  workload: DecodeWorkload,
  stream: boolean,
): Promise<Memory> {
  const input = chunks(workload);
  await settle();
  const start = Deno.memoryUsage();
  let heapPeak = 0;
  let externalPeak = 0;
  const sample = () => {
    const now = Deno.memoryUsage();
    heapPeak = Math.max(heapPeak, now.heapUsed - start.heapUsed);
    externalPeak = Math.max(externalPeak, now.external - start.external);
  };
  let bytes = 0;
  const bodies: WeakRef<ArrayBufferLike>[] = [];
  const onFrame = (frame: StompFrame) => {
    bytes += frame.body.length;
    if (!input.owners.has(frame.body.buffer)) {
      bodies.push(new WeakRef(frame.body.buffer));
    }
  };
  if (stream) {
    let next = 0;
    const views = input.views;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        sample();
        if (next < views.length) controller.enqueue(views[next++]!);
        else controller.close();
      },
    }, { highWaterMark: 0 });
    const reader = source.pipeThrough(new StompDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onFrame(value);
    }
  } else {
    const decoder = new StompDecoder();
    for (const chunk of input.views) {
      decoder.decode(chunk, onFrame);
      sample();
    }
    decoder.end();
  }
  if (bytes !== workload.bodyBytes) {
    throw new CheckError(`memory run on ${workload.id}`, `${bytes} body bytes`);
  }
  await settle();
  const end = Deno.memoryUsage();
  return {
    heapPeak,
    externalPeak,
    retained: end.heapUsed - start.heapUsed + end.external - start.external,
    bodiesAlive: bodies.filter((body) => body.deref() !== undefined).length,
  };
}

/** Minor page faults of this process so far (Linux), else 0. */
function pageFaults(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // Field 10 (minflt), counted after the parenthesised command name.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
  } catch {
    return 0;
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function push(
  into: Record<string, Record<string, number[]>>,
  workload: string,
  contender: string,
  value: number,
): void {
  ((into[workload] ??= {})[contender] ??= []).push(value);
}

/** Checks every contender's output on every workload (its own child). */
export async function runChecks(log: (line: string) => void): Promise<void> {
  for (const id of DECODE_IDS) {
    const workload = decodeWorkload(id);
    const input = chunks(workload);
    for (const decoder of DECODERS) {
      if (!runsOn(decoder, id)) continue;
      const start = performance.now();
      const what = `${decoder.name} on ${id}`;
      checkDecoded(what, workload, await decoder.check(input));
      log(`checked ${what} in ${(performance.now() - start).toFixed(0)} ms`);
    }
  }
  for (const id of ENCODE_IDS) {
    checkEncoded(encodeWorkload(id));
    log(`checked both encoders on ${id}`);
  }
}

function info(workload: DecodeWorkload): WorkloadInfo {
  return {
    id: workload.id,
    title: workload.title,
    frames: workload.frameCount,
    bytes: workload.bytes.length,
    bodyBytes: workload.bodyBytes,
    chunks: workload.boundaries.length,
    heartbeats: workload.heartbeats,
    bodiesInOneChunk: workload.bodiesInOneChunk,
  };
}

/** Runs one group: a warm-up run of everything, then the timed rounds. */
export async function runGroup(
  group: Group,
  rounds: number,
  log: (line: string) => void,
): Promise<GroupResult> {
  const ids: readonly string[] = GROUPS[group];
  const timings: GroupResult["timings"] = {};
  const views: GroupResult["views"] = {};
  const faultCounts: GroupResult["faults"] = {};
  const decoding = ids.filter((id): id is DecodeId =>
    (DECODE_IDS as readonly string[]).includes(id)
  ).map(decodeWorkload);
  for (const workload of decoding) workload.expected = undefined;
  const encoding = ids.filter((id) =>
    (ENCODE_IDS as readonly string[]).includes(id)
  ).map((id) => encodeWorkload(id as typeof ENCODE_IDS[number]));
  const workloads: WorkloadInfo[] = [
    ...decoding.map(info),
    ...encoding.map((w) => ({
      id: w.id,
      title: w.title,
      frames: w.frames.length,
      bytes: w.bodyBytes,
      bodyBytes: w.bodyBytes,
    })),
  ];

  // The limits that the group's targets compare with.
  const w1 = decoding.find((w) => w.id === "W1");
  const w3 = decoding.find((w) => w.id === "W3");
  const w1PerChunk = w1 === undefined ? [] : framesPerChunk(w1);
  const limitBytes = w3?.bytes.length ?? 0;
  const scanned = w3 === undefined ? undefined : scanBuffer(limitBytes);
  // W3's bodies are its 1 MiB payloads; E2's frames are its bodies plus
  // about 130 bytes of header.
  const w3Bodies: Uint8Array[] = [];
  for (let at = 0; w3 !== undefined && at < w3.frameCount; at++) {
    const size = w3.bodyBytes / w3.frameCount;
    w3Bodies.push(w3.bytes.subarray(at * size, (at + 1) * size));
  }
  const e2 = encoding.find((w) => w.id === "E2");
  const freshSources = e2 === undefined
    ? w3Bodies
    : e2.frames.map((frame) => frame.body);
  const freshExtra = e2 === undefined ? 0 : 130;
  const copyFrom = new Uint8Array(limitBytes).fill(1);
  const copyTo = new Uint8Array(limitBytes);
  copyTo.set(copyFrom); // Every page touched once, before any timing.

  let memory: Record<string, Memory> | undefined;
  if (w3 !== undefined && gc !== undefined) {
    memory = {
      "stomper sync": await measureMemory(w3, false),
      "stomper stream": await measureMemory(w3, true),
    };
  }
  let copies: Record<string, number> | undefined;
  for (const workload of encoding.filter((w) => w.id === "E2")) {
    copies = {};
    for (const encoder of ENCODERS) {
      copies[encoder.name] = countCopies(
        encoder.prepare(workload),
        workload.frames[0]!.body.length,
      ) / workload.frames.length;
    }
  }

  // Round -1 is the warm-up: it runs everything once and records nothing.
  for (let round = -1; round < rounds; round++) {
    const start = performance.now();
    const keep = round >= 0;
    for (const workload of decoding) {
      const input = chunks(workload);
      const decoders = DECODERS.filter((d) => runsOn(d, workload.id));
      for (const decoder of rotate(decoders, round + 1)) {
        collect();
        const f0 = pageFaults();
        const t0 = performance.now();
        const tally = await decoder.time(input);
        const ms = performance.now() - t0;
        const faults = pageFaults() - f0;
        checkTally(
          `${decoder.name} on ${workload.id}`,
          workload,
          tally,
          decoder !== stompitDecoder,
        );
        if (!keep) continue;
        push(timings, workload.id, decoder.name, ms);
        push(views, workload.id, decoder.name, tally.views);
        push(faultCounts, workload.id, decoder.name, faults);
      }
    }
    if (scanned !== undefined) {
      collect();
      const scan = scanLimit(scanned);
      collect();
      const copy = copyLimit(copyFrom, copyTo);
      if (keep) {
        push(timings, LIMITS, LIMIT.scan, scan);
        push(timings, LIMITS, LIMIT.copy, copy);
      }
    }
    if (freshSources.length > 0) {
      collect();
      const f0 = pageFaults();
      const fresh = freshCopyLimit(freshSources, freshExtra);
      const faults = pageFaults() - f0;
      const name = e2 === undefined ? LIMIT.freshW3 : LIMIT.freshE2;
      if (keep) {
        push(timings, LIMITS, name, fresh);
        // The floor pays page faults as a decoder does: compare them.
        push(faultCounts, LIMITS, name, faults);
      }
    }
    if (w1 !== undefined) {
      collect();
      const identity = await identityStreamLimit(chunks(w1));
      collect();
      const enqueue = await enqueueLimit(chunks(w1), w1PerChunk);
      if (keep) {
        push(timings, LIMITS, LIMIT.identity, identity);
        push(timings, LIMITS, LIMIT.enqueue, enqueue);
      }
    }
    for (const workload of encoding) {
      for (const encoder of rotate(ENCODERS, round + 1)) {
        const run = encoder.prepare(workload);
        collect();
        const t0 = performance.now();
        const out = run();
        const ms = performance.now() - t0;
        if (out.length !== workload.frames.length) {
          throw new CheckError(`timed run of ${encoder.name}`, "frame count");
        }
        if (keep) push(timings, workload.id, encoder.name, ms);
      }
    }
    log(
      `${group}: ${keep ? `round ${round + 1}/${rounds}` : "warm-up"} in ${
        ((performance.now() - start) / 1000).toFixed(1)
      } s`,
    );
  }
  return {
    workloads,
    timings,
    views,
    faults: faultCounts,
    ...(limitBytes > 0 ? { limitBytes } : {}),
    ...(memory === undefined ? {} : { memory }),
    ...(copies === undefined ? {} : { copies }),
  };
}
