// The contenders: our decoder (public stream and synchronous core), the two
// peers, and the runtime limits. Each decoder has a `check` form that records
// everything it produced and a `time` form that does what a light consumer
// does with every frame: read the command, look up one header, take the body.

import { Buffer } from "node:buffer";
import { FrameImpl, Parser } from "npm:@stomp/stompjs@7";
import stompit from "npm:stompit@1";
import { encodeFrame } from "../../src/encoder.ts";
import { StompDecoder } from "../../src/decoder.ts";
import { StompDecoderStream } from "../../src/decoder_stream.ts";
import type { StompFrame } from "../../src/frame.ts";
import {
  type Chunks,
  chunks,
  type DecodeId,
  type DecodeWorkload,
  type EncodeWorkload,
} from "./_workloads.ts";

/** What a decoder produced, in a form every contender can be compared in. */
export interface Decoded {
  readonly frames: {
    readonly command: string;
    readonly headers: [string, string][];
    readonly body: Uint8Array;
  }[];
  /** Heart-beats reported, or `null` when the decoder does not report them. */
  readonly heartbeats: number | null;
}

/** What a timed run did, so that no contender can win by doing less. */
export interface Tally {
  frames: number;
  bodyBytes: number;
  /** Frames whose `destination` header was found. */
  destinations: number;
  /** Bodies handed out as views of an input chunk. */
  views: number;
  heartbeats: number;
}

function tally(): Tally {
  return { frames: 0, bodyBytes: 0, destinations: 0, views: 0, heartbeats: 0 };
}

/** A decoder under test. */
export interface DecoderContender {
  readonly name: string;
  /** The workloads it runs on, when not all of them. */
  readonly only?: readonly DecodeId[];
  check(chunks: Chunks): Promise<Decoded>;
  time(chunks: Chunks): Promise<Tally>;
}

function source(views: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < views.length) controller.enqueue(views[next++]!);
      else controller.close();
    },
  }, { highWaterMark: 0 });
}

function ourFrame(frame: StompFrame): Decoded["frames"][number] {
  return {
    command: frame.command,
    headers: [...frame.headers],
    body: frame.body.slice(),
  };
}

/** Our public `StompDecoderStream`, read with a reader loop. */
export const ourStream: DecoderContender = {
  name: "stomper stream",
  async check(chunks) {
    const frames: Decoded["frames"] = [];
    let heartbeats = 0;
    const reader = source(chunks.views)
      .pipeThrough(new StompDecoderStream({ onHeartbeat: () => heartbeats++ }))
      .getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      frames.push(ourFrame(value));
    }
    return { frames, heartbeats };
  },
  async time(chunks) {
    const result = tally();
    const owners = chunks.owners;
    const reader = source(chunks.views)
      .pipeThrough(
        new StompDecoderStream({ onHeartbeat: () => result.heartbeats++ }),
      )
      .getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      result.frames++;
      result.bodyBytes += value.body.length;
      if (value.headers.get("destination") !== undefined) result.destinations++;
      if (owners.has(value.body.buffer)) result.views++;
    }
    return result;
  },
};

/** Our synchronous `StompDecoder` core, called with `decode(chunk, onFrame)`. */
export const ourSync: DecoderContender = {
  name: "stomper sync",
  check(chunks) {
    const frames: Decoded["frames"] = [];
    let heartbeats = 0;
    const decoder = new StompDecoder({ onHeartbeat: () => heartbeats++ });
    const onFrame = (frame: StompFrame) => frames.push(ourFrame(frame));
    for (const chunk of chunks.views) decoder.decode(chunk, onFrame);
    decoder.end();
    return Promise.resolve({ frames, heartbeats });
  },
  time(chunks) {
    const result = tally();
    const owners = chunks.owners;
    const decoder = new StompDecoder({
      onHeartbeat: () => result.heartbeats++,
    });
    const onFrame = (frame: StompFrame) => {
      result.frames++;
      result.bodyBytes += frame.body.length;
      if (frame.headers.get("destination") !== undefined) result.destinations++;
      if (owners.has(frame.body.buffer)) result.views++;
    };
    for (const chunk of chunks.views) decoder.decode(chunk, onFrame);
    decoder.end();
    return Promise.resolve(result);
  },
};

/**
 * What the light consumer does with a frame from a decoder with the
 * `bodyChunks` option: the same as with the others (count it, add up its
 * body length, look up one header, tell whether its body is a view of the
 * input), but through `bodyLength` and `bodyChunks`, so that no body is
 * joined; with `join`, it reads `body` instead, which joins a spanning body
 * into one array as the default decoder would have copied it.
 */
function consumeChunked(
  result: Tally,
  owners: ReadonlySet<ArrayBufferLike>,
  join: boolean,
): (frame: StompFrame) => void {
  if (join) {
    return (frame) => {
      result.frames++;
      result.bodyBytes += frame.body.length;
      if (frame.headers.get("destination") !== undefined) result.destinations++;
      if (owners.has(frame.body.buffer)) result.views++;
    };
  }
  return (frame) => {
    result.frames++;
    result.bodyBytes += frame.bodyLength;
    if (frame.headers.get("destination") !== undefined) result.destinations++;
    // A view when every chunk of it is one (so is any body inside a chunk).
    let views = true;
    for (const chunk of frame.bodyChunks) {
      if (!owners.has(chunk.buffer)) views = false;
    }
    if (views) result.views++;
  };
}

/**
 * Our `StompDecoderStream` with `bodyChunks: true`, on W3 only (its large
 * bodies are what the option is for); with `join`, the consumer reads `body`.
 */
function ourStreamChunked(join: boolean): DecoderContender {
  return {
    name: join
      ? "stomper stream, bodyChunks, body read"
      : "stomper stream, bodyChunks",
    only: ["W3"],
    async check(chunks) {
      const frames: Decoded["frames"] = [];
      let heartbeats = 0;
      const reader = source(chunks.views)
        .pipeThrough(
          new StompDecoderStream({
            bodyChunks: true,
            onHeartbeat: () => heartbeats++,
          }),
        )
        .getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        frames.push(ourFrame(value));
      }
      return { frames, heartbeats };
    },
    async time(chunks) {
      const result = tally();
      const onFrame = consumeChunked(result, chunks.owners, join);
      const reader = source(chunks.views)
        .pipeThrough(
          new StompDecoderStream({
            bodyChunks: true,
            onHeartbeat: () => result.heartbeats++,
          }),
        )
        .getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        onFrame(value);
      }
      return result;
    },
  };
}

/** Our `StompDecoderStream` with `bodyChunks`, bodies left as chunk views. */
export const ourStreamChunks: DecoderContender = ourStreamChunked(false);
/** The same, with the consumer reading `body` (joining each spanning body). */
export const ourStreamChunksJoined: DecoderContender = ourStreamChunked(true);

/** Our synchronous `StompDecoder` with `bodyChunks`, on W3 only. */
export const ourSyncChunks: DecoderContender = {
  name: "stomper sync, bodyChunks",
  only: ["W3"],
  check(chunks) {
    const frames: Decoded["frames"] = [];
    let heartbeats = 0;
    const decoder = new StompDecoder({
      bodyChunks: true,
      onHeartbeat: () => heartbeats++,
    });
    const onFrame = (frame: StompFrame) => frames.push(ourFrame(frame));
    for (const chunk of chunks.views) decoder.decode(chunk, onFrame);
    decoder.end();
    return Promise.resolve({ frames, heartbeats });
  },
  time(chunks) {
    const result = tally();
    const decoder = new StompDecoder({
      bodyChunks: true,
      onHeartbeat: () => result.heartbeats++,
    });
    const onFrame = consumeChunked(result, chunks.owners, false);
    for (const chunk of chunks.views) decoder.decode(chunk, onFrame);
    decoder.end();
    return Promise.resolve(result);
  },
};

/** @stomp/stompjs 7: its `Parser`, fed `ArrayBuffer` chunks. */
export const stompjs: DecoderContender = {
  name: "stompjs",
  check(chunks) {
    const frames: Decoded["frames"] = [];
    let heartbeats = 0;
    const parser = new Parser((raw) => {
      frames.push({
        command: raw.command ?? "",
        headers: raw.headers.map(([name, value]) => [name, value]),
        body: raw.binaryBody ?? new Uint8Array(0),
      });
    }, () => heartbeats++);
    for (const buffer of chunks.buffers) parser.parseChunk(buffer);
    return Promise.resolve({ frames, heartbeats });
  },
  time(chunks) {
    const result = tally();
    const parser = new Parser((raw) => {
      result.frames++;
      result.bodyBytes += raw.binaryBody?.length ?? 0;
      for (const [name] of raw.headers) {
        if (name === "destination") {
          result.destinations++;
          break;
        }
      }
    }, () => result.heartbeats++);
    for (const buffer of chunks.buffers) parser.parseChunk(buffer);
    return Promise.resolve(result);
  },
};

interface StompitFrame {
  readonly command: string;
  readonly headers: Record<string, string | number>;
  on(event: "data", listener: (chunk: Buffer) => void): void;
  on(event: "end", listener: () => void): void;
}

/**
 * Runs stompit's `IncomingFrameStream` over the chunks, honouring its
 * backpressure, and hands each frame over with its body gathered (a frame is
 * a Node stream of body pieces in stompit).
 */
function runStompit(
  chunks: readonly Buffer[],
  onFrame: (frame: StompitFrame, body: Uint8Array) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = new stompit.IncomingFrameStream();
    let started = 0;
    let ended = 0;
    let finished = false;
    const settle = () => {
      if (finished && started === ended) resolve();
    };
    stream.on("data", (frame: StompitFrame) => {
      started++;
      const pieces: Buffer[] = [];
      frame.on("data", (piece) => pieces.push(piece));
      frame.on("end", () => {
        ended++;
        onFrame(
          frame,
          pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces),
        );
        settle();
      });
    });
    stream.on("end", () => {
      finished = true;
      settle();
    });
    stream.on("error", reject);
    let next = 0;
    const write = () => {
      while (next < chunks.length) {
        if (!stream.write(chunks[next++])) {
          stream.once("drain", write);
          return;
        }
      }
      stream.end();
    };
    write();
  });
}

/** stompit 1: its `IncomingFrameStream`, a Node Transform, fed Buffers. */
export const stompitDecoder: DecoderContender = {
  name: "stompit",
  async check(chunks) {
    const frames: Decoded["frames"] = [];
    await runStompit(chunks.nodeBuffers, (frame, body) => {
      frames.push({
        command: frame.command,
        headers: Object.entries(frame.headers).map((
          [name, value],
        ) => [name, String(value)]),
        body: new Uint8Array(body),
      });
    });
    // stompit swallows heart-beats without reporting them.
    return { frames, heartbeats: null };
  },
  async time(chunks) {
    const result = tally();
    await runStompit(chunks.nodeBuffers, (frame, body) => {
      result.frames++;
      result.bodyBytes += body.length;
      if (frame.headers.destination !== undefined) result.destinations++;
    });
    return result;
  },
};

/**
 * The decoders, ours first, then the peers, then ours with options (each on
 * the workloads in its `only`).
 */
export const DECODERS: readonly DecoderContender[] = [
  ourStream,
  ourSync,
  stompjs,
  stompitDecoder,
  ourStreamChunks,
  ourStreamChunksJoined,
  ourSyncChunks,
];

/** Whether a decoder runs on a workload. */
export function runsOn(decoder: DecoderContender, id: DecodeId): boolean {
  return decoder.only === undefined || decoder.only.includes(id);
}

/** An encoder under test. */
export interface EncoderContender {
  readonly name: string;
  /** Prepares the frames (untimed) and returns the timed serialiser. */
  prepare(workload: EncodeWorkload): () => Uint8Array[];
}

/** Our `encodeFrame`, STOMP 1.2 (so every header is checked for escaping). */
export const ourEncoder: EncoderContender = {
  name: "stomper encodeFrame",
  prepare(workload) {
    const frames = workload.frames;
    return () => {
      const out: Uint8Array[] = new Array(frames.length);
      for (let i = 0; i < frames.length; i++) out[i] = encodeFrame(frames[i]!);
      return out;
    };
  },
};

/**
 * @stomp/stompjs 7: `FrameImpl.serialize()` of a frame with a binary body,
 * which returns the bytes as an `ArrayBuffer`. Header escaping is left off,
 * its fastest setting.
 */
export const stompjsEncoder: EncoderContender = {
  name: "stompjs serialize",
  prepare(workload) {
    const frames = workload.plain.map(({ command, headers, body }) =>
      new FrameImpl({ command, headers, binaryBody: body })
    );
    return () => {
      const out: Uint8Array[] = new Array(frames.length);
      for (let i = 0; i < frames.length; i++) {
        out[i] = new Uint8Array(frames[i]!.serialize() as ArrayBuffer);
      }
      return out;
    };
  },
};

/** The encoders, ours first. */
export const ENCODERS: readonly EncoderContender[] = [
  ourEncoder,
  stompjsEncoder,
];

/** `indexOf(0)` over a buffer with no NUL: the scan rate of the runtime. */
export function scanLimit(buffer: Uint8Array): number {
  const start = performance.now();
  const found = buffer.indexOf(0);
  const elapsed = performance.now() - start;
  if (found !== -1) throw new Error("Scan buffer holds a NUL");
  return elapsed;
}

/** One `set` of a large buffer into a preallocated one: the copy rate. */
export function copyLimit(from: Uint8Array, to: Uint8Array): number {
  const start = performance.now();
  to.set(from);
  return performance.now() - start;
}

/**
 * A fresh buffer per source, with the source copied in: the least any codec
 * does that hands out one contiguous, owned array per large body (W3's
 * gathered bodies, E2's frames). Fresh memory costs an allocation, zeroing
 * and, when the allocator has none to reuse, page faults.
 */
export function freshCopyLimit(
  sources: readonly Uint8Array[],
  extra: number,
): number {
  const start = performance.now();
  let bytes = 0;
  for (const source of sources) {
    const out = new Uint8Array(source.length + extra);
    out.set(source, extra);
    bytes += out.length;
  }
  const elapsed = performance.now() - start;
  if (bytes === 0) throw new Error("Fresh copy limit copied nothing");
  return elapsed;
}

/** Each chunk through an identity `TransformStream`: the per-chunk stream cost. */
export async function identityStreamLimit(chunks: Chunks): Promise<number> {
  const start = performance.now();
  const reader = source(chunks.views).pipeThrough(new TransformStream())
    .getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
  }
  const elapsed = performance.now() - start;
  if (bytes === 0) throw new Error("Identity stream passed nothing");
  return elapsed;
}

/**
 * A `TransformStream` whose transform enqueues `perChunk[i]` ready-made
 * objects for chunk `i`: what handing out W1's frames one by one costs, with
 * no decoding at all.
 */
export async function enqueueLimit(
  chunks: Chunks,
  perChunk: readonly number[],
): Promise<number> {
  const item = {};
  let index = 0;
  const start = performance.now();
  const reader = source(chunks.views).pipeThrough(
    new TransformStream<Uint8Array, object>({
      transform(_chunk, controller) {
        const count = perChunk[index++]!;
        for (let i = 0; i < count; i++) controller.enqueue(item);
      },
    }),
  ).getReader();
  let items = 0;
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
    items++;
  }
  const elapsed = performance.now() - start;
  if (items === 0) throw new Error("Enqueue stream passed nothing");
  return elapsed;
}

/** How many frames end in each chunk, for {@linkcode enqueueLimit}. */
export function framesPerChunk(workload: DecodeWorkload): number[] {
  const counts: number[] = [];
  const decoder = new StompDecoder();
  for (const chunk of chunks(workload).views) {
    counts.push(decoder.push(chunk).length);
  }
  return counts;
}
