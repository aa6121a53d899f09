/**
 * The codec benchmark of issue 4: our decoder and encoder side by side with
 * @stomp/stompjs 7 and stompit 1, and with the runtime's own limits, in one
 * process and one run.
 *
 * Run it with `deno task bench` (or `deno task bench:offline` without JSR).
 * Flags: `--rounds=N` (at least 5 for a report; default 5), `--out=BASE`
 * (also written when `STOMPER_BENCH_OUT` is set) writes `BASE.json` and
 * `BASE.md`, `--only=W1,E2,...` runs a subset (for profiling; no report).
 *
 * Every decoder's output is checked against the generator's frames before
 * anything is timed, and every timed run is checked to have done the same
 * work, so no contender wins by doing less.
 *
 * @module
 */

import {
  copyLimit,
  type Decoded,
  type DecoderContender,
  ENCODERS,
  enqueueLimit,
  framesPerChunk,
  identityStreamLimit,
  ourEncoder,
  ourStream,
  ourSync,
  scanLimit,
  stompitDecoder,
  stompjs,
  stompjsEncoder,
  type Tally,
} from "./_contenders.ts";
import {
  markdownTable,
  median,
  si,
  type Table,
  textTable,
  times,
} from "./_report.ts";
import {
  chunks,
  type DecodeWorkload,
  decodeWorkloads,
  ENCODE_IDS,
  type EncodeWorkload,
  encodeWorkload,
  scanBuffer,
} from "./_workloads.ts";
import { StompDecoder, StompDecoderStream } from "../../src/decoder.ts";
import type { StompFrame } from "../../src/frame.ts";

// --- options -----------------------------------------------------------------

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  const found = Deno.args.find((arg) => arg.startsWith(prefix));
  return found?.slice(prefix.length);
}

const ROUNDS = Number(flag("rounds") ?? 5);
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1) {
  throw new RangeError(`Invalid --rounds: ${flag("rounds")}`);
}
const OUT = flag("out") ?? Deno.env.get("STOMPER_BENCH_OUT");
const ONLY = flag("only")?.split(",");
const selected = (id: string) => ONLY === undefined || ONLY.includes(id);

const gc = (globalThis as { gc?: () => void }).gc;
const MiB = 1024 * 1024;

function collect(): void {
  gc?.();
}

/**
 * Collects until memory is settled: WeakRef targets stay alive until the job
 * ends, and freed ArrayBuffer memory is accounted for once the sweeper ran.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    collect();
  }
}

// --- the machine line --------------------------------------------------------

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

const started = new Date();
const machine = [
  started.toISOString().slice(0, 16).replace("T", " ") + " UTC",
  `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
  `${cpuModel()}, ${navigator.hardwareConcurrency} cores`,
  `${(Deno.systemMemoryInfo().total / 1024 ** 3).toFixed(0)} GiB RAM`,
  `${Deno.build.os}-${Deno.build.arch}`,
  `load ${Deno.loadavg().map((load) => load.toFixed(2)).join(" ")}`,
].join(" · ");
const command = "deno task bench" +
  (Deno.args.length > 0 ? " " + Deno.args.join(" ") : "");

console.log(machine);
if (gc === undefined) {
  console.log(
    "(no --expose-gc: rounds are not separated by a collection, memory is not measured)",
  );
}

// --- workloads ---------------------------------------------------------------

const buildStart = performance.now();
const decoding = decodeWorkloads().filter((w) => selected(w.id));
const encoding = ENCODE_IDS.filter(selected);
console.log(
  `Built ${decoding.length} workloads in ${
    (performance.now() - buildStart).toFixed(0)
  } ms`,
);

/** Which decoders run on which workload. */
function decodersFor(_workload: DecodeWorkload): DecoderContender[] {
  return [ourStream, ourSync, stompjs, stompitDecoder];
}

// --- checks before timing ----------------------------------------------------

class CheckError extends Error {
  constructor(what: string, detail: string) {
    super(`Output check failed for ${what}: ${detail}`);
    this.name = "CheckError";
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkDecoded(
  what: string,
  workload: DecodeWorkload,
  decoded: Decoded,
): void {
  const expected = workload.expected!;
  if (decoded.frames.length !== expected.length) {
    throw new CheckError(
      what,
      `${decoded.frames.length} frames, expected ${expected.length}`,
    );
  }
  for (let i = 0; i < expected.length; i++) {
    const got = decoded.frames[i]!;
    const want = expected[i]!;
    if (got.command !== want.command) {
      throw new CheckError(what, `frame ${i} command ${got.command}`);
    }
    if (JSON.stringify(got.headers) !== JSON.stringify(want.headers)) {
      throw new CheckError(
        what,
        `frame ${i} headers ${JSON.stringify(got.headers)}, expected ${
          JSON.stringify(want.headers)
        }`,
      );
    }
    if (!sameBytes(got.body, want.body)) {
      throw new CheckError(
        what,
        `frame ${i} body of ${got.body.length} bytes differs`,
      );
    }
  }
  if (
    decoded.heartbeats !== null && decoded.heartbeats !== workload.heartbeats
  ) {
    throw new CheckError(
      what,
      `${decoded.heartbeats} heart-beats, expected ${workload.heartbeats}`,
    );
  }
}

function checkTally(
  what: string,
  workload: DecodeWorkload,
  tally: Tally,
  reportsHeartbeats: boolean,
): void {
  const problems: string[] = [];
  if (tally.frames !== workload.frameCount) {
    problems.push(`${tally.frames} frames`);
  }
  if (tally.bodyBytes !== workload.bodyBytes) {
    problems.push(`${tally.bodyBytes} body bytes`);
  }
  if (tally.destinations !== workload.frameCount) {
    problems.push(`${tally.destinations} destinations`);
  }
  if (reportsHeartbeats && tally.heartbeats !== workload.heartbeats) {
    problems.push(`${tally.heartbeats} heart-beats`);
  }
  if (problems.length > 0) {
    throw new CheckError(`timed run of ${what}`, problems.join(", "));
  }
}

const checkStart = performance.now();
for (const workload of decoding) {
  const input = chunks(workload);
  for (const decoder of decodersFor(workload)) {
    const what = `${decoder.name} on ${workload.id}`;
    const start = performance.now();
    checkDecoded(what, workload, await decoder.check(input));
    if (ONLY !== undefined) {
      console.log(
        `  checked ${what}: ${(performance.now() - start).toFixed(0)} ms`,
      );
    }
  }
}

function checkEncoded(workload: EncodeWorkload): void {
  const ours = ourEncoder.prepare(workload)();
  const theirs = stompjsEncoder.prepare(workload)();
  for (let i = 0; i < ours.length; i++) {
    if (!sameBytes(ours[i]!, theirs[i]!)) {
      throw new CheckError(
        `encoders on ${workload.id}`,
        `frame ${i} differs: ${
          JSON.stringify(new TextDecoder().decode(ours[i]!.subarray(0, 200)))
        } versus ${
          JSON.stringify(new TextDecoder().decode(theirs[i]!.subarray(0, 200)))
        }`,
      );
    }
  }
  // And the bytes decode back to the frames they came from.
  const decoder = new StompDecoder();
  for (let i = 0; i < ours.length; i++) {
    const [frame] = decoder.push(ours[i]!);
    const source = workload.frames[i]!;
    const want = [...source.headers, [
      "content-length",
      String(source.body.length),
    ]];
    if (
      frame === undefined ||
      JSON.stringify([...frame.headers]) !== JSON.stringify(want) ||
      !sameBytes(frame.body, source.body)
    ) {
      throw new CheckError(`round trip of ${workload.id}`, `frame ${i}`);
    }
  }
}

/** What the tables need of E1 and E2, which are not kept. */
const encodeInfo = encoding.map((id) => {
  const workload = encodeWorkload(id);
  checkEncoded(workload);
  return {
    id,
    title: workload.title,
    frames: workload.frames.length,
    bodyBytes: workload.bodyBytes,
  };
});
for (const workload of decoding) workload.expected = undefined;
console.log(
  `Checked every output in ${(performance.now() - checkStart).toFixed(0)} ms`,
);

// --- copies and memory (counted, not timed) ----------------------------------

type Hooked = Record<string, unknown>;

/**
 * Counts copies of at least `minBytes` made while `run` executes: through
 * `TypedArray.prototype.set` and `slice`, `ArrayBuffer.prototype.slice`, and
 * `new Uint8Array(arrayLike)`. These are every way a script can copy bytes.
 */
function countCopies(run: () => unknown, minBytes: number): number {
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

/** Body copies per frame made by each encoder on E2. */
const copiesPerFrame = new Map<string, number>();
for (
  const workload of encoding.filter((id) => id === "E2").map(encodeWorkload)
) {
  const body = workload.frames[0]!.body.length;
  for (const encoder of ENCODERS) {
    const run = encoder.prepare(workload);
    copiesPerFrame.set(
      encoder.name,
      countCopies(run, body) / workload.frames.length,
    );
  }
}

interface Memory {
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
async function measureMemory(
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

const memory = new Map<string, Memory>();
if (gc !== undefined) {
  for (const workload of decoding.filter((w) => w.id === "W3")) {
    memory.set(ourSync.name, await measureMemory(workload, false));
    memory.set(ourStream.name, await measureMemory(workload, true));
  }
}

// --- timed rounds ------------------------------------------------------------

/** Milliseconds per round, by workload then contender. */
const timings = new Map<string, Map<string, number[]>>();
/** Bodies handed out as views, by workload then contender (last round). */
const views = new Map<string, Map<string, number>>();

function record(workload: string, contender: string, ms: number): void {
  let byContender = timings.get(workload);
  if (byContender === undefined) timings.set(workload, byContender = new Map());
  let list = byContender.get(contender);
  if (list === undefined) byContender.set(contender, list = []);
  list.push(ms);
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

const LIMITS = "limits";
const SCAN = "indexOf(0) scan";
const COPY = "set copy";
const IDENTITY = "identity TransformStream per chunk";
const ENQUEUE = "TransformStream enqueue per frame";

const w1 = decoding.find((w) => w.id === "W1");
const w1PerChunk = w1 === undefined ? [] : framesPerChunk(w1);
const w3 = decoding.find((w) => w.id === "W3");
const limitBytes = w3?.bytes.length ?? 100 * MiB;
const scanned = scanBuffer(limitBytes);
const copyFrom = new Uint8Array(limitBytes).fill(1);
const copyTo = new Uint8Array(limitBytes);
// Touch every page once so no round pays the first-touch faults.
copyTo.set(copyFrom);

const roundsStart = performance.now();
for (let round = 0; round < ROUNDS; round++) {
  const roundStart = performance.now();
  for (const workload of decoding) {
    const contenders = decodersFor(workload);
    const input = chunks(workload);
    for (const decoder of rotate(contenders, round)) {
      collect();
      const start = performance.now();
      const tally = await decoder.time(input);
      const ms = performance.now() - start;
      checkTally(
        `${decoder.name} on ${workload.id}`,
        workload,
        tally,
        decoder !== stompitDecoder,
      );
      record(workload.id, decoder.name, ms);
      let byContender = views.get(workload.id);
      if (byContender === undefined) {
        views.set(workload.id, byContender = new Map());
      }
      byContender.set(decoder.name, tally.views);
    }
  }
  if (ONLY === undefined) {
    collect();
    record(LIMITS, SCAN, scanLimit(scanned));
    collect();
    record(LIMITS, COPY, copyLimit(copyFrom, copyTo));
    if (w1 !== undefined) {
      collect();
      record(LIMITS, IDENTITY, await identityStreamLimit(chunks(w1)));
      collect();
      record(LIMITS, ENQUEUE, await enqueueLimit(chunks(w1), w1PerChunk));
    }
  }
  for (const id of encoding) {
    const workload = encodeWorkload(id);
    for (const encoder of rotate(ENCODERS, round)) {
      const run = encoder.prepare(workload);
      collect();
      const start = performance.now();
      const out = run();
      const ms = performance.now() - start;
      if (out.length !== workload.frames.length) {
        throw new CheckError(`timed run of ${encoder.name}`, "frame count");
      }
      record(workload.id, encoder.name, ms);
    }
  }
  console.log(
    `Round ${round + 1}/${ROUNDS}: ${
      ((performance.now() - roundStart) / 1000).toFixed(1)
    } s`,
  );
}
const roundsSeconds = (performance.now() - roundsStart) / 1000;

// --- results -----------------------------------------------------------------

function ms(workload: string, contender: string): number[] {
  return timings.get(workload)?.get(contender) ?? [];
}

/** Per-round ratio of `a`'s rate to `b`'s rate (b's time over a's time). */
function ratios(
  a: [string, string],
  b: [string, string],
  scale = 1,
): number[] {
  const ta = ms(...a);
  const tb = ms(...b);
  return ta.map((t, i) => (tb[i]! / t) * scale);
}

interface Target {
  readonly name: string;
  readonly want: string;
  readonly median: number;
  readonly worst: number;
  readonly met: boolean;
  readonly format: (value: number) => string;
}

const targets: Target[] = [];

function atLeast(
  name: string,
  values: number[],
  threshold: number,
  format = times,
): void {
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) return;
  const m = median(values);
  targets.push({
    name,
    want: `>= ${format(threshold)}`,
    median: m,
    worst: Math.min(...values),
    met: m >= threshold,
    format,
  });
}

function atMost(
  name: string,
  values: number[],
  threshold: number,
  format = times,
): void {
  if (values.length === 0) return;
  const m = median(values);
  targets.push({
    name,
    want: `<= ${format(threshold)}`,
    median: m,
    worst: Math.max(...values),
    met: m <= threshold,
    format,
  });
}

const S = ourStream.name;
const C = ourSync.name;
const J = stompjs.name;
const T = stompitDecoder.name;

atLeast("W1 stream vs stompjs, frames/s", ratios(["W1", S], ["W1", J]), 10);
atLeast("W1 stream vs stompit, frames/s", ratios(["W1", S], ["W1", T]), 5);
atLeast("W2 stream vs stompjs, MB/s", ratios(["W2", S], ["W2", J]), 50);
atLeast("W2 stream vs stompit, MB/s", ratios(["W2", S], ["W2", T]), 5);
atLeast("W3 stream vs stompjs, MB/s", ratios(["W3", S], ["W3", J]), 80);
if (w3 !== undefined) {
  // Rates over different byte counts: scale by the byte ratio.
  atLeast(
    "W3 stream MB/s vs indexOf(0) scan MB/s",
    ratios(["W3", S], [LIMITS, SCAN], w3.bytes.length / limitBytes),
    1,
  );
}
atLeast("W4 stream vs W1 stream, frames/s", ratios(["W4", S], ["W1", S]), 0.9);
atLeast("W5 sync core vs stompjs", ratios(["W5", C], ["W5", J]), 2);
atMost(
  "W1 stream time / sync core time",
  ratios(["W1", C], ["W1", S]),
  1.3,
);
atLeast(
  "E1 encodeFrame vs stompjs",
  ratios(["E1", ourEncoder.name], ["E1", stompjsEncoder.name]),
  2,
);
atLeast(
  "E2 encodeFrame vs stompjs",
  ratios(["E2", ourEncoder.name], ["E2", stompjsEncoder.name]),
  5,
);
const ourCopies = copiesPerFrame.get(ourEncoder.name);
if (ourCopies !== undefined) {
  atMost(
    "E2 body copies per frame (counted)",
    [ourCopies],
    1,
    (v) => v.toFixed(2),
  );
}
const mib = (value: number) => (value / MiB).toFixed(2) + " MiB";
for (const [name, m] of memory) {
  atMost(`W3 JS heap peak growth, ${name}`, [m.heapPeak], 4 * MiB, mib);
  atMost(`W3 bodies alive after GC, ${name}`, [m.bodiesAlive], 0, String);
}
for (const workload of decoding) {
  for (const name of [S, C]) {
    const count = views.get(workload.id)?.get(name);
    if (count === undefined) continue;
    targets.push({
      name: `${workload.id} bodies inside one chunk that are views, ${name}`,
      want: `= ${workload.bodiesInOneChunk}`,
      median: count,
      worst: count,
      met: count === workload.bodiesInOneChunk,
      format: String,
    });
  }
}

// --- tables ------------------------------------------------------------------

const tables: Table[] = [];
const peersOf = [J, T];

for (const workload of decoding) {
  const rows: string[][] = [];
  for (const decoder of decodersFor(workload)) {
    const times_ = ms(workload.id, decoder.name);
    if (times_.length === 0) continue;
    const t = median(times_);
    const cells = [
      decoder.name,
      si(workload.frameCount / (t / 1000)),
      (workload.bytes.length / 1e6 / (t / 1000)).toFixed(1),
      t.toFixed(1),
    ];
    for (const peer of peersOf) {
      if (decoder.name === peer || ms(workload.id, peer).length === 0) {
        cells.push("");
        continue;
      }
      const r = ratios([workload.id, decoder.name], [workload.id, peer]);
      cells.push(`${times(median(r))} (${times(Math.min(...r))})`);
    }
    rows.push(cells);
  }
  tables.push({
    title: `${workload.id}: ${workload.title} — ${
      (workload.bytes.length / 1e6).toFixed(1)
    } MB in ${workload.boundaries.length} chunks`,
    columns: [
      "decoder",
      "frames/s",
      "MB/s",
      "ms",
      "vs stompjs (worst)",
      "vs stompit (worst)",
    ],
    rows,
  });
}

for (const workload of encodeInfo) {
  const rows: string[][] = [];
  for (const encoder of ENCODERS) {
    const t = median(ms(workload.id, encoder.name));
    const r = encoder === stompjsEncoder ? "" : (() => {
      const values = ratios(
        [workload.id, encoder.name],
        [workload.id, stompjsEncoder.name],
      );
      return `${times(median(values))} (${times(Math.min(...values))})`;
    })();
    const copies = copiesPerFrame.get(encoder.name);
    rows.push([
      encoder.name,
      si(workload.frames / (t / 1000)),
      (workload.bodyBytes / 1e6 / (t / 1000)).toFixed(1),
      t.toFixed(1),
      r,
      workload.id === "E2" && copies !== undefined ? copies.toFixed(2) : "",
    ]);
  }
  tables.push({
    title: `${workload.id}: ${workload.title}`,
    columns: [
      "encoder",
      "frames/s",
      "body MB/s",
      "ms",
      "vs stompjs (worst)",
      "body copies/frame",
    ],
    rows,
  });
}

if (ONLY === undefined) {
  const rows: string[][] = [];
  const scanMs = median(ms(LIMITS, SCAN));
  const copyMs = median(ms(LIMITS, COPY));
  rows.push([
    SCAN,
    `${(limitBytes / MiB).toFixed(0)} MiB`,
    (limitBytes / 1e6 / (scanMs / 1000)).toFixed(0) + " MB/s",
    scanMs.toFixed(1),
  ]);
  rows.push([
    COPY,
    `${(limitBytes / MiB).toFixed(0)} MiB`,
    (limitBytes / 1e6 / (copyMs / 1000)).toFixed(0) + " MB/s",
    copyMs.toFixed(1),
  ]);
  if (w1 !== undefined) {
    const identityMs = median(ms(LIMITS, IDENTITY));
    const enqueueMs = median(ms(LIMITS, ENQUEUE));
    rows.push([
      IDENTITY,
      `W1's ${w1.boundaries.length} chunks`,
      si(w1.boundaries.length / (identityMs / 1000)) + " chunks/s",
      identityMs.toFixed(1),
    ]);
    rows.push([
      ENQUEUE,
      `W1's ${w1.frameCount} frames`,
      si(w1.frameCount / (enqueueMs / 1000)) + " items/s",
      enqueueMs.toFixed(1),
    ]);
  }
  tables.push({
    title: "Runtime limits",
    columns: ["limit", "over", "rate", "ms"],
    rows,
  });
}

if (memory.size > 0) {
  tables.push({
    title: "Memory while decoding W3 (growth over the start)",
    columns: [
      "decoder",
      "JS heap peak",
      "external peak",
      "retained after GC",
      "bodies alive after GC",
    ],
    rows: [...memory].map(([name, m]) => [
      name,
      mib(m.heapPeak),
      mib(m.externalPeak),
      mib(m.retained),
      `${m.bodiesAlive} of ${w3?.frameCount}`,
    ]),
    notes: [
      "Sampled after every 64 KiB chunk with collections left to V8; external is ArrayBuffer memory, freed when V8 next collects.",
    ],
  });
}

tables.push({
  title: "Targets (median of per-round ratios; worst round in brackets)",
  columns: ["target", "wanted", "measured", "worst round", "met"],
  rows: targets.map((t) => [
    t.name,
    t.want,
    t.format(t.median),
    t.format(t.worst),
    t.met ? "yes" : "NO",
  ]),
});

const notes = [
  `${ROUNDS} interleaved rounds in ${
    roundsSeconds.toFixed(0)
  } s; contender order rotates each round.`,
  "MB = 10^6 bytes of wire input (decoders) or of body (encoders).",
  "stomper stream: StompDecoderStream read with a reader loop; stomper sync: StompDecoder.decode(chunk, onFrame).",
  "stompjs: @stomp/stompjs 7 Parser.parseChunk(ArrayBuffer) and FrameImpl.serialize(); stompit: stompit 1 IncomingFrameStream.",
];

console.log();
console.log(`${machine}\n${command}\n`);
for (const table of tables) console.log(textTable(table) + "\n");
for (const note of notes) console.log(note);

if (OUT !== undefined && ONLY === undefined) {
  const markdown = [
    "```",
    machine,
    command,
    "```",
    "",
    ...tables.map((table) => markdownTable(table) + "\n"),
    ...notes.map((note) => `- ${note}`),
    "",
  ].join("\n");
  await Deno.writeTextFile(`${OUT}.md`, markdown);
  const json = {
    date: started.toISOString(),
    machine,
    command,
    rounds: ROUNDS,
    workloads: [
      ...decoding.map((w) => ({
        id: w.id,
        title: w.title,
        frames: w.frameCount,
        bytes: w.bytes.length,
        bodyBytes: w.bodyBytes,
        chunks: w.boundaries.length,
        heartbeats: w.heartbeats,
      })),
      ...encodeInfo,
    ],
    timingsMs: Object.fromEntries(
      [...timings].map((
        [w, byContender],
      ) => [w, Object.fromEntries(byContender)]),
    ),
    copiesPerFrame: Object.fromEntries(copiesPerFrame),
    memory: Object.fromEntries(memory),
    targets: targets.map(({ format: _, ...t }) => t),
  };
  await Deno.writeTextFile(`${OUT}.json`, JSON.stringify(json, null, 2) + "\n");
  console.log(`\nWrote ${OUT}.md and ${OUT}.json`);
}

if (ONLY === undefined && ROUNDS < 5) {
  console.log("\nFewer than 5 rounds: not a reportable result.");
}
