// The wiretap: what the client counts (`stats`, across its connections) and
// traces (the `trace` option, every frame and heart-beat as it went in or
// out, with secrets hidden). One Wiretap per connection, sharing the
// client's counters.

import { StompDecoder } from "../decoder.ts";
import type { StompFrame, StompVersion } from "../frame.ts";
import {
  redactFrame,
  type StompClientStats,
  type StompTraceEvent,
} from "./trace.ts";
import { Hooks } from "./_hooks.ts";
import { describe } from "./_util.ts";

/** The counters of `StompClient.stats`, as the client and connections keep them. */
export type ConnectionStats = {
  -readonly [K in keyof StompClientStats]: StompClientStats[K];
};

/** Counters at zero. */
export function newStats(): ConnectionStats {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    messages: 0,
    unhandled: 0,
    lateDeliveries: 0,
    acks: 0,
    nacks: 0,
    reconnects: 0,
    callbackErrors: 0,
    lastReceivedAt: undefined,
  };
}

// What we wrote is decoded again for the trace: it is ours, so no limit.
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** What a connection's wiretap is made with. */
export interface WiretapOptions {
  /** The client's counters. */
  readonly stats: ConnectionStats;
  /** The `trace` option. */
  readonly trace?: ((event: StompTraceEvent) => void) | undefined;
  /** More header names the trace hides (the `redactHeaders` option). */
  readonly redact?: readonly string[] | undefined;
  /**
   * Runs `trace` (and takes what it throws); by default one of its own
   * with no `onError`.
   */
  readonly hooks?: Hooks | undefined;
}

export class Wiretap {
  readonly stats: ConnectionStats;
  readonly #trace: ((event: StompTraceEvent) => void) | undefined;
  readonly #redact: readonly string[] | undefined;
  readonly #hooks: Hooks;
  readonly #connection: number;
  /** Where the decoder of what comes in stands (its `offset`). */
  readonly #inOffset: () => number;
  /** With `trace`: decodes again what is written, to trace it exactly. */
  #outDecoder: StompDecoder | undefined;
  #version: StompVersion = "1.0";
  /** With `trace`: where the last event traced in and out ended. */
  #inMark = 0;
  #outMark = 0;

  constructor(
    options: WiretapOptions,
    connection: number,
    inOffset: () => number,
  ) {
    this.stats = options.stats;
    this.#trace = options.trace;
    this.#redact = options.redact;
    this.#hooks = options.hooks ?? new Hooks(undefined, options.stats);
    this.#connection = connection;
    this.#inOffset = inOffset;
    if (this.#trace !== undefined) this.#outDecoder = this.#newOutDecoder();
  }

  /** Whether each frame in must be shown to {@linkcode Wiretap.received}. */
  get tracing(): boolean {
    return this.#trace !== undefined;
  }

  /** The connection's version, once CONNECTED said it. */
  set version(version: StompVersion) {
    this.#version = version;
    if (this.#outDecoder !== undefined) this.#outDecoder.version = version;
  }

  /** Bytes came in. */
  read(bytes: number): void {
    const stats = this.stats;
    stats.bytesIn += bytes;
    stats.lastReceivedAt = Date.now();
  }

  /**
   * A frame (or with `undefined` a heart-beat) was decoded from the server:
   * traced (only called while tracing; frames are counted by the caller).
   */
  received(frame: StompFrame | undefined): void {
    const at = this.#inOffset();
    const bytes = at - this.#inMark;
    this.#inMark = at;
    this.#traced("in", frame, bytes);
  }

  /** Counts what is about to be written, and traces it. */
  sent(frames: number, bytes: number, chunks: readonly Uint8Array[]): void {
    const stats = this.stats;
    stats.framesOut += frames;
    stats.bytesOut += bytes;
    if (this.#trace === undefined) return;
    const decoder = this.#outDecoder!;
    try {
      for (const chunk of chunks) {
        decoder.decode(chunk, (frame) => this.#tracedOut(frame));
      }
    } catch (error) {
      // Never for bytes our encoder made; should it happen, onError hears
      // of it and the trace starts again with the next write.
      this.#hooks.error(
        new Error(`Cannot trace what was written: ${describe(error)}`, {
          cause: error,
        }),
      );
      this.#outDecoder = this.#newOutDecoder();
      this.#outMark = 0;
    }
  }

  #newOutDecoder(): StompDecoder {
    return new StompDecoder({
      version: this.#version,
      maxHeaderLineBytes: NO_LIMIT,
      maxHeaderBytes: NO_LIMIT,
      maxHeaders: NO_LIMIT,
      maxBodyBytes: NO_LIMIT,
      onHeartbeat: () => this.#tracedOut(undefined),
    });
  }

  /** A frame (or a heart-beat) was decoded from what is being written. */
  #tracedOut(frame: StompFrame | undefined): void {
    const at = this.#outDecoder!.offset;
    const bytes = at - this.#outMark;
    this.#outMark = at;
    this.#traced("out", frame, bytes);
  }

  #traced(
    direction: "in" | "out",
    frame: StompFrame | undefined,
    bytes: number,
  ): void {
    const event: StompTraceEvent = {
      direction,
      frame: frame === undefined ? undefined : redactFrame(frame, this.#redact),
      bytes,
      connection: this.#connection,
    };
    // The hook's failure is its own: the connection goes on.
    this.#hooks.call("trace", this.#trace!, event);
  }
}
